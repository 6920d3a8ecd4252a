/**
 * The exporter's settings from the standard OTLP variables (opentelemetry-specification,
 * protocol/exporter.md): the traces-specific variable wins over the generic one. An invalid value
 * is reported once, naming the variable, the value and what is accepted; the default is used.
 */
import { TRACE_LOG_EVENT } from '../names.js';

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

export interface OtlpConfig {
  protocol: OtlpProtocol;
  /** The full URL POSTed to (http), or the server's origin (grpc). */
  url: URL;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** PEM files for https: trusted CA, client key and certificate, with the variables that named them. */
  tls: { ca?: TlsFile; key?: TlsFile; cert?: TlsFile };
}
export interface TlsFile {
  variable: string;
  path: string;
}

export type ConfigWarn = (message: string, fields: Record<string, unknown>) => void;

const DEFAULT_TIMEOUT_MS = 10_000;
/** The specification's default endpoints (the endpoint probe uses them too). */
export const DEFAULT_HTTP = 'http://localhost:4318';
export const DEFAULT_GRPC = 'http://localhost:4317';
const TRACES_PATH = 'v1/traces';

/** The variable that holds `setting` (traces-specific first) and its trimmed value, if any is set. */
function setting(env: NodeJS.ProcessEnv, name: string): { variable: string; value: string } | undefined {
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  return undefined;
}

/** True when an OTLP endpoint variable is set: the user asked for OTLP export. */
export function endpointConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return setting(env, 'ENDPOINT') !== undefined;
}

/** `k=v,k2=v2`, keys and values percent-decoded (W3C baggage-like, as the SDK reads it). */
function parseHeaders(variable: string, value: string, warn: ConfigWarn): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? safeDecode(pair.slice(0, eq).trim()) : undefined;
    if (key === undefined || key === '') {
      invalid(warn, variable, value, `comma-separated key=value pairs; "${pair.trim()}" is skipped`);
      continue;
    }
    headers[key.toLowerCase()] = safeDecode(pair.slice(eq + 1).trim()) ?? pair.slice(eq + 1).trim();
  }
  return headers;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function invalid(warn: ConfigWarn, variable: string, value: string, accepted: string): void {
  warn(`${variable}=${value} is not valid: accepted is ${accepted}`, { event: TRACE_LOG_EVENT.exporterConfig, variable, value });
}

/** The endpoint URL: a traces-specific one is used as is; the generic one gets `/v1/traces` (http). */
function endpoint(env: NodeJS.ProcessEnv, protocol: OtlpProtocol, warn: ConfigWarn): URL | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const variable = specific ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  let text = specific || generic || (protocol === 'grpc' ? DEFAULT_GRPC : DEFAULT_HTTP);
  // gRPC endpoints may come as host:port; OTEL_EXPORTER_OTLP_INSECURE says which scheme.
  if (protocol === 'grpc' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const insecure = /^true$/i.test(setting(env, 'INSECURE')?.value ?? '');
    text = `${insecure ? 'http' : 'https'}://${text}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid(warn, variable, text, 'an http:// or https:// URL; the shutdown trace will not be exported');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    invalid(warn, variable, text, 'an http:// or https:// URL; the shutdown trace will not be exported');
    return undefined;
  }
  if (protocol !== 'grpc' && !specific) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${TRACES_PATH}`;
  return url;
}

/** The exporter's settings; undefined (after a warning) when the endpoint is not a usable URL. */
export function otlpConfig(warn: ConfigWarn, env: NodeJS.ProcessEnv = process.env): OtlpConfig | undefined {
  const protocolSetting = setting(env, 'PROTOCOL');
  let protocol: OtlpProtocol = 'http/protobuf';
  if (protocolSetting !== undefined) {
    if ((PROTOCOLS as readonly string[]).includes(protocolSetting.value)) protocol = protocolSetting.value as OtlpProtocol;
    else invalid(warn, protocolSetting.variable, protocolSetting.value, `${PROTOCOLS.join(', ')}; using ${protocol}`);
  }
  const url = endpoint(env, protocol, warn);
  if (url === undefined) return undefined;

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const timeout = setting(env, 'TIMEOUT');
  if (timeout !== undefined) {
    const ms = Number(timeout.value);
    if (/^\d+$/.test(timeout.value) && ms > 0) timeoutMs = ms;
    else invalid(warn, timeout.variable, timeout.value, `a positive whole number of milliseconds; using ${DEFAULT_TIMEOUT_MS}`);
  }

  let compression: OtlpConfig['compression'] = 'none';
  const compressionSetting = setting(env, 'COMPRESSION');
  if (compressionSetting !== undefined) {
    if (compressionSetting.value === 'gzip' || compressionSetting.value === 'none') compression = compressionSetting.value;
    else invalid(warn, compressionSetting.variable, compressionSetting.value, 'gzip or none; sending uncompressed');
  }

  const headers: Record<string, string> = {};
  // Generic first, so the traces-specific headers override them.
  for (const variable of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const value = env[variable]?.trim();
    if (value) Object.assign(headers, parseHeaders(variable, value, warn));
  }

  const tls: OtlpConfig['tls'] = {};
  for (const [key, name] of [['ca', 'CERTIFICATE'], ['key', 'CLIENT_KEY'], ['cert', 'CLIENT_CERTIFICATE']] as const) {
    const file = setting(env, name);
    if (file !== undefined) tls[key] = { variable: file.variable, path: file.value };
  }
  return { protocol, url, headers, timeoutMs, compression, tls };
}
