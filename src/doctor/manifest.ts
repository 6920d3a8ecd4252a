/**
 * The manifest model: Kubernetes objects out of YAML documents (List kinds unwrapped), the pod
 * templates of workloads, and the objects that route to them. Unknown kinds are kept but ignored.
 */
import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { SourceDocument } from './input.js';

/** A field path: keys and list indices, as in `spec.template.spec.containers[0]`. */
export type FieldPath = readonly (string | number)[];

/** Any JSON-ish value read from YAML. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One Kubernetes object, with where it came from. */
export interface K8sObject {
  kind: string;
  name: string;
  namespace: string;
  body: JsonObject;
  file: string;
  /** Path of the object inside its document (`items[2]` for a List member). */
  base: FieldPath;
  document: Document;
  lineCounter: LineCounter;
}

/** A pod template (or bare Pod) and where its spec sits in the object. */
export interface Workload {
  object: K8sObject;
  podSpec: JsonObject;
  podSpecPath: FieldPath;
  labels: Record<string, string>;
}

/** Where the pod spec sits, per workload kind. */
const POD_SPEC_PATHS: Record<string, FieldPath> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Pod: ['spec'],
};

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
export const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value : []);
export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/** Reads a nested field, or `undefined` when any step is missing. */
export function getIn(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number' ? !Array.isArray(current) : !isObject(current)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** `spec.containers[0].env` */
export function formatPath(path: FieldPath): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_][\w-]*$/.test(key) ? (i === 0 ? key : `.${key}`) : `[${JSON.stringify(key)}]`))
    .join('');
}

/** Line of a field's key in its file (of the nearest existing parent when the field is absent). */
export function lineOf(object: K8sObject, path: FieldPath): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const at = length === 0 ? object.document.getIn(object.base, true) : keyNode(object, [...object.base, ...path.slice(0, length)]);
    if (isNode(at) && at.range) return object.lineCounter.linePos(at.range[0]).line;
  }
  return undefined;
}

/** The key of a map entry (where `terminationGracePeriodSeconds:` is written), or a list item. */
function keyNode(object: K8sObject, path: FieldPath): unknown {
  const parent = path.length === 1 ? object.document.contents : object.document.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) return parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
  if (isSeq(parent) && typeof last === 'number') return parent.items[last];
  return undefined;
}

/** `Deployment/shop/api` (namespace left out when the manifest does not set one). */
export function describe(object: K8sObject): string {
  return [object.kind, object.namespace, object.name].filter((part) => part !== '').join('/');
}

/** Every object of every document; `List` and `*List` kinds are unwrapped. */
export function collectObjects(documents: readonly SourceDocument[]): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const { file, document, lineCounter } of documents) {
    const add = (body: unknown, base: FieldPath): void => {
      if (!isObject(body) || typeof body.kind !== 'string') return;
      if (body.kind.endsWith('List') && Array.isArray(body.items)) {
        body.items.forEach((item, i) => add(item, [...base, 'items', i]));
        return;
      }
      const metadata = isObject(body.metadata) ? body.metadata : {};
      objects.push({ kind: body.kind, name: asString(metadata.name) ?? '', namespace: asString(metadata.namespace) ?? '', body, file, base, document, lineCounter });
    };
    add(document.toJS({ maxAliasCount: 1000 }), []);
  }
  return objects;
}

/** The workloads (pod templates and bare pods) among the objects. */
export function findWorkloads(objects: readonly K8sObject[]): Workload[] {
  return objects.flatMap((object) => {
    const podSpecPath = POD_SPEC_PATHS[object.kind];
    if (podSpecPath === undefined) return [];
    const podSpec = getIn(object.body, podSpecPath);
    if (!isObject(podSpec)) return [];
    const labelsPath = object.kind === 'Pod' ? ['metadata', 'labels'] : [...podSpecPath.slice(0, -1), 'metadata', 'labels'];
    return [{ object, podSpec, podSpecPath, labels: stringMap(getIn(object.body, labelsPath)) }];
  });
}

/** A map of strings (labels, annotations, ConfigMap data); other values are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).flatMap(([key, v]) => (asString(v) === undefined ? [] : [[key, asString(v) as string]])));
}

/** Objects of a kind in the same namespace as `object` (an unset namespace matches unset). */
export function sameNamespace(objects: readonly K8sObject[], kind: string, object: K8sObject): K8sObject[] {
  return objects.filter((o) => o.kind === kind && o.namespace === object.namespace);
}

/** Services whose selector picks the workload's pods. */
export function servicesFor(objects: readonly K8sObject[], workload: Workload): K8sObject[] {
  return sameNamespace(objects, 'Service', workload.object).filter((service) => {
    const selector = stringMap(getIn(service.body, ['spec', 'selector']));
    const keys = Object.keys(selector);
    return keys.length > 0 && keys.every((key) => workload.labels[key] === selector[key]);
  });
}

/** Ingresses with a backend that is one of the given Services. */
export function ingressesFor(objects: readonly K8sObject[], service: K8sObject): K8sObject[] {
  return sameNamespace(objects, 'Ingress', service).filter((ingress) => {
    const backends = [getIn(ingress.body, ['spec', 'defaultBackend']), ...asArray(getIn(ingress.body, ['spec', 'rules'])).flatMap((rule) => asArray(getIn(rule, ['http', 'paths'])).map((p) => getIn(p, ['backend'])))];
    return backends.some((backend) => asString(getIn(backend, ['service', 'name'])) === service.name);
  });
}
