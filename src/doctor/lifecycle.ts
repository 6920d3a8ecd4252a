/** The container's preStop hook and probes, read into what the rules compare. */
import { resolvePort, type AppContainer } from './container.js';
import { asArray, asString, getIn, isObject, type FieldPath } from './manifest.js';

/** What a preStop hook does, as far as its definition tells. */
export type PreStop =
  | { kind: 'none'; path: FieldPath }
  /** `sleep N` (exec or the native sleep action), with no call to /prestop. */
  | { kind: 'sleep'; seconds: number; path: FieldPath }
  /** An exec hook that calls graceful-otel's `/prestop` (after an optional sleep). */
  | { kind: 'prestop-exec'; host: string; port: number | undefined; sleepSeconds: number; path: FieldPath }
  /** The kubelet's own HTTP GET. */
  | { kind: 'http'; urlPath: string; port: number | undefined; path: FieldPath }
  /** An exec hook doctor cannot time. */
  | { kind: 'other'; path: FieldPath };

const PRESTOP_URL = /https?:\/\/(\[[^\]]+\]|[^/:'"\s]+)(?::(\d+))?\/prestop\b/;
const SLEEP = /(?:^|[\s;&|(])sleep\s+(\d+(?:\.\d+)?)s?(?=$|[\s;&|)])/;

export function readPreStop(app: AppContainer): PreStop {
  const path = [...app.path, 'lifecycle', 'preStop'];
  const hook = getIn(app.container, ['lifecycle', 'preStop']);
  if (!isObject(hook)) return { kind: 'none', path };
  const nativeSleep = getIn(hook, ['sleep', 'seconds']);
  if (typeof nativeSleep === 'number') return { kind: 'sleep', seconds: nativeSleep, path: [...path, 'sleep', 'seconds'] };
  if (isObject(hook.httpGet)) {
    return { kind: 'http', urlPath: asString(hook.httpGet.path) ?? '/', port: resolvePort(app, hook.httpGet.port), path: [...path, 'httpGet'] };
  }
  const command = asArray(getIn(hook, ['exec', 'command'])).map((part) => asString(part) ?? '').join(' ');
  const sleep = SLEEP.exec(command);
  const sleepSeconds = sleep ? Number(sleep[1]) : 0;
  const url = PRESTOP_URL.exec(command);
  const execPath = [...path, 'exec', 'command'];
  if (url) return { kind: 'prestop-exec', host: url[1] ?? '', port: url[2] === undefined ? undefined : Number(url[2]), sleepSeconds, path: execPath };
  if (sleep) return { kind: 'sleep', seconds: sleepSeconds, path: execPath };
  return { kind: 'other', path: execPath };
}

/** A probe with Kubernetes' defaults filled in. */
export interface Probe {
  path: FieldPath;
  /** `httpGet` path, or undefined for exec/tcpSocket/grpc probes. */
  httpPath: string | undefined;
  port: number | undefined;
  periodSeconds: number;
  failureThreshold: number;
}

export function readProbe(app: AppContainer, field: 'readinessProbe' | 'livenessProbe'): Probe | undefined {
  const probe = getIn(app.container, [field]);
  if (!isObject(probe)) return undefined;
  const httpGet = isObject(probe.httpGet) ? probe.httpGet : undefined;
  return {
    path: [...app.path, field],
    httpPath: httpGet ? (asString(httpGet.path) ?? '/') : undefined,
    port: httpGet ? resolvePort(app, httpGet.port) : undefined,
    periodSeconds: typeof probe.periodSeconds === 'number' ? probe.periodSeconds : 10,
    failureThreshold: typeof probe.failureThreshold === 'number' ? probe.failureThreshold : 3,
  };
}
