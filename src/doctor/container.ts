/**
 * A container that runs graceful-otel, with its environment read the way the kubelet builds it and
 * its configuration resolved by the package's own code (src/config.ts), as it would be at startup.
 */
import { ConfigError, resolveConfig, type Config } from '../config.js';
import { asArray, asString, getIn, isObject, sameNamespace, stringMap, type FieldPath, type JsonObject, type K8sObject, type Workload } from './manifest.js';

/** Kubernetes' default terminationGracePeriodSeconds. */
export const KUBERNETES_DEFAULT_GRACE_S = 30;

/** `--import graceful-otel/register`, `-r graceful-otel/register`, `--require=…`. */
const PRELOAD = /(?:^|\s)(?:--import|--require|-r)(?:=|\s+)['"]?graceful-otel\/register\b/;

/** Variables whose value the doctor needs: when it cannot read one, it says so. */
const RELEVANT = /^(?:GRACEFUL_OTEL_|NODE_OPTIONS$)/;

export interface UnreadValue {
  /** The variable, or `envFrom` for a whole source. */
  name: string;
  path: FieldPath;
  reason: string;
}

export interface AppContainer {
  workload: Workload;
  container: JsonObject;
  name: string;
  /** Path of the container inside its object. */
  path: FieldPath;
  /** `command` followed by `args`, as the kubelet runs them. */
  argv: string[];
  env: Record<string, string>;
  /** Path of each literal env entry, for pointing at it. */
  envPaths: Record<string, FieldPath>;
  unread: UnreadValue[];
  /** The configuration the preload would start with, or why it would refuse to start (exit 78). */
  config: Config | ConfigError;
  terminationGracePeriodS: number;
  terminationGracePeriodSet: boolean;
  /** Container ports by name, for probes and hooks that name a port. */
  namedPorts: Record<string, number>;
}

/** The containers of a workload that load graceful-otel's preload. */
export function appContainers(workload: Workload, objects: readonly K8sObject[]): AppContainer[] {
  return asArray(workload.podSpec.containers).flatMap((container, index) => {
    if (!isObject(container)) return [];
    const path = [...workload.podSpecPath, 'containers', index];
    const argv = [...asArray(container.command), ...asArray(container.args)].map((a) => asString(a) ?? '');
    const { env, envPaths, unread } = readEnv(container, path, workload.object, objects);
    if (!PRELOAD.test(env.NODE_OPTIONS ?? '') && !PRELOAD.test(argv.join(' '))) return [];
    const grace = workload.podSpec.terminationGracePeriodSeconds;
    return [
      {
        workload,
        container,
        name: asString(container.name) ?? `#${index}`,
        path,
        argv,
        env,
        envPaths,
        unread,
        config: configFor(env),
        terminationGracePeriodS: typeof grace === 'number' ? grace : KUBERNETES_DEFAULT_GRACE_S,
        terminationGracePeriodSet: typeof grace === 'number',
        namedPorts: Object.fromEntries(
          asArray(container.ports).flatMap((p) => (typeof getIn(p, ['name']) === 'string' && typeof getIn(p, ['containerPort']) === 'number' ? [[getIn(p, ['name']) as string, getIn(p, ['containerPort']) as number]] : [])),
        ),
      },
    ];
  });
}

/** The package's own resolution, in a pod: the kubelet always sets KUBERNETES_SERVICE_HOST. */
function configFor(env: Record<string, string>): Config | ConfigError {
  try {
    return resolveConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

/** A port given as a number or as the name of a container port. */
export function resolvePort(app: AppContainer, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string') return /^\d+$/.test(port) ? Number(port) : app.namedPorts[port];
  return undefined;
}

/**
 * The container's environment as the kubelet builds it: `envFrom` sources first, then `env` in
 * order (a later entry wins), `$(VAR)` references expanded. ConfigMaps in the input are read;
 * Secrets, field references and ConfigMaps not in the input cannot be.
 */
function readEnv(container: JsonObject, containerPath: FieldPath, owner: K8sObject, objects: readonly K8sObject[]) {
  const env: Record<string, string> = {};
  const envPaths: Record<string, FieldPath> = {};
  const unread: UnreadValue[] = [];
  const configMap = (name: string | undefined) => sameNamespace(objects, 'ConfigMap', owner).find((o) => o.name === name);

  asArray(container.envFrom).forEach((source, i) => {
    const path = [...containerPath, 'envFrom', i];
    const name = asString(getIn(source, ['configMapRef', 'name']));
    const found = configMap(name);
    if (found !== undefined) {
      const prefix = asString(getIn(source, ['prefix'])) ?? '';
      for (const [key, value] of Object.entries(stringMap(found.body.data))) {
        env[prefix + key] = value;
        envPaths[prefix + key] = path;
      }
    } else {
      const what = name !== undefined ? `ConfigMap ${name} (not in the input)` : `Secret ${asString(getIn(source, ['secretRef', 'name'])) ?? '?'}`;
      unread.push({ name: 'envFrom', path, reason: `${what}: GRACEFUL_OTEL_* or NODE_OPTIONS set there are not seen` });
    }
  });

  asArray(container.env).forEach((entry, i) => {
    const name = asString(getIn(entry, ['name']));
    if (name === undefined) return;
    const path = [...containerPath, 'env', i];
    const literal = getIn(entry, ['value']);
    const ref = getIn(entry, ['valueFrom', 'configMapKeyRef']);
    const fromConfigMap = isObject(ref) ? stringMap(configMap(asString(ref.name))?.body.data)[asString(ref.key) ?? ''] : undefined;
    const value = getIn(entry, ['valueFrom']) === undefined ? (asString(literal) ?? '') : fromConfigMap;
    if (value !== undefined) {
      env[name] = value.replace(/\$\((\w+)\)/g, (ref, inner: string) => env[inner] ?? ref);
      envPaths[name] = path;
      return;
    }
    delete env[name];
    if (RELEVANT.test(name)) unread.push({ name, path, reason: `${name} comes from valueFrom, which the doctor cannot read` });
  });
  return { env, envPaths, unread };
}
