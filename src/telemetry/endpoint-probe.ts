/**
 * Why an OTLP export failed. The exporters retry inside their own timeout and report nothing
 * before the flush deadline, and their diagnostics go to the app's global `diag` logger, which
 * graceful-otel does not touch. So when the flush of the providers does not finish, the endpoint is
 * probed once (bounded): a TCP connect, then one HTTP request, and the answer is put in words.
 */
import net from 'node:net';
import { DEFAULT_GRPC, DEFAULT_HTTP } from './otlp/config.js';

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'no route to network',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connect timed out',
};

/** A connection error in words (refused, reset, no route, host not found), else its code or message. */
export function causeInWords(error: NodeJS.ErrnoException): string {
  return CAUSES[error.code ?? ''] ?? error.code ?? error.message;
}

/** The OTLP endpoints the exporters use, from the OTEL_EXPORTER_OTLP_* variables (with the spec's default). */
export function otlpEndpoints(env: NodeJS.ProcessEnv = process.env): string[] {
  const grpc = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() === 'grpc';
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || (grpc ? DEFAULT_GRPC : DEFAULT_HTTP);
  const specific = ['TRACES', 'METRICS', 'LOGS'].map((s) => env[`OTEL_EXPORTER_OTLP_${s}_ENDPOINT`]?.trim()).filter((u): u is string => !!u);
  const hosts = new Set<string>();
  for (const url of [base, ...specific]) {
    try {
      const u = new URL(url);
      hosts.add(`${u.protocol}//${u.host}`);
    } catch {
      // an invalid URL is the exporter's to report
    }
  }
  return [...hosts];
}

/** Probes `endpoint` (`http://host:port`) within `ms`; resolves with what it found, never rejects. */
export function probeEndpoint(endpoint: string, ms: number): Promise<string> {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    let connected = false;
    const socket = net.connect({ host, port });
    const finish = (cause: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(`${endpoint}: ${cause}`);
    };
    const timer = setTimeout(
      () => finish(connected ? 'accepts connections but does not answer (blackholed or overloaded)' : 'no answer to connect (filtered or unreachable)'),
      Math.max(1, ms),
    );
    socket.once('connect', () => {
      connected = true;
      socket.write(`HEAD / HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
    });
    socket.once('data', () => finish('answers (the export itself was slow or failed)'));
    socket.once('end', () => finish(connected ? 'connection closed without an answer' : 'connection closed'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(causeInWords(error)));
  });
}
