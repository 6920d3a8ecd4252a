/**
 * Load-balancer settings, read from the Services that select the pods, the Ingresses that route to
 * those Services and the objects they name: how long the load balancer holds on to a leaving pod
 * against how long the pod lives, and how long it keeps idle connections against Node's own.
 */
import { concerning, finding, type Finding } from '../finding.js';
import { asString, getIn, ingressesFor, sameNamespace, servicesFor, stringMap, type K8sObject } from '../manifest.js';
import { ms, type Check, type Rule } from './check.js';

const AWS_DEFAULT_DEREGISTRATION_S = 300;
const NGINX_DEFAULT_UPSTREAM_KEEPALIVE_S = 60;
/** Node's default `server.keepAliveTimeout` (22 and 24). */
const NODE_KEEPALIVE_TIMEOUT_S = 5;
const DEREGISTRATION = /deregistration_delay\.timeout_seconds=(\d+)/;

export const loadBalancerRules: Rule = (check) =>
  servicesFor(check.objects, check.app.workload).flatMap((service) => {
    const ingresses = ingressesFor(check.objects, service);
    return [...aws(check, service, ingresses), ...gke(check, service), ...ingresses.flatMap((ingress) => nginx(check, ingress))];
  });

/** How long the pod keeps serving the connections it has: delay plus drain timeout. */
const servingMs = ({ config }: Check): number => config.drainDelayMs + config.drainTimeoutMs;
const podLife = ({ app }: Check): string => `terminationGracePeriodSeconds ${app.terminationGracePeriodS}${app.terminationGracePeriodSet ? '' : ' (default)'}`;

/** AWS Load Balancer Controller: target group attributes on the Service (NLB) or the Ingress (ALB). */
function aws(check: Check, service: K8sObject, ingresses: readonly K8sObject[]): Finding[] {
  const candidates = [
    { object: service, key: 'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes', isAws: /^service\.beta\.kubernetes\.io\/aws-load-balancer-(type|nlb-target-type)$/ },
    { object: service, key: 'alb.ingress.kubernetes.io/target-group-attributes', isAws: /^alb\.ingress\.kubernetes\.io\// },
    ...ingresses.map((object) => ({ object, key: 'alb.ingress.kubernetes.io/target-group-attributes', isAws: /^alb\.ingress\.kubernetes\.io\// })),
  ];
  return candidates.flatMap(({ object, key, isAws }) => {
    const annotations = stringMap(getIn(object.body, ['metadata', 'annotations']));
    if (!Object.keys(annotations).some((name) => isAws.test(name)) && annotations[key] === undefined) return [];
    const given = DEREGISTRATION.exec(annotations[key] ?? '');
    const delayS = given ? Number(given[1]) : AWS_DEFAULT_DEREGISTRATION_S;
    if (delayS <= check.app.terminationGracePeriodS) return [];
    const path = ['metadata', 'annotations', given ? key : ''].filter((p) => p !== '');
    return [
      finding('warning', 'lb.aws-deregistration', object, path, {
        message: `the AWS load balancer keeps the leaving pod's connections for up to ${delayS} s, but the pod is gone long before: what it still routes on them then fails, and each rollout step's targets linger`,
        arithmetic: `deregistration_delay.timeout_seconds ${delayS}${given ? '' : ' (default)'} > ${podLife(check)}`,
        fix: `set ${key}: deregistration_delay.timeout_seconds=${Math.ceil(servingMs(check) / 1000)} (drain delay + drain timeout = ${ms(servingMs(check))}, while the pod still serves)`,
      }, concerning(check.app)),
    ];
  });
}

/** GKE: connection draining of the BackendConfig a Service names. */
function gke(check: Check, service: K8sObject): Finding[] {
  const annotations = stringMap(getIn(service.body, ['metadata', 'annotations']));
  const text = annotations['cloud.google.com/backend-config'] ?? annotations['beta.cloud.google.com/backend-config'];
  if (text === undefined) return [];
  let names: string[];
  try {
    const parsed = JSON.parse(text) as { default?: string; ports?: Record<string, string> };
    names = [parsed.default, ...Object.values(parsed.ports ?? {})].filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
  return sameNamespace(check.objects, 'BackendConfig', service)
    .filter((config) => names.includes(config.name))
    .flatMap((config) => {
      const path = ['spec', 'connectionDraining', 'drainingTimeoutSec'];
      const raw = getIn(config.body, path);
      const drainingS = typeof raw === 'number' ? raw : 0;
      const fix = `set spec.connectionDraining.drainingTimeoutSec: ${Math.ceil(servingMs(check) / 1000)} (drain delay + drain timeout = ${ms(servingMs(check))}, while the pod still serves)`;
      if (drainingS === 0) {
        return [finding('warning', 'lb.gke-draining', config, path, { message: 'connection draining is off: the load balancer cuts the requests in flight to the pod as soon as its endpoint is removed, at the start of the shutdown, whatever the pod does', arithmetic: `drainingTimeoutSec ${typeof raw === 'number' ? raw : '0 (default)'}`, fix }, concerning(check.app))];
      }
      if (drainingS > check.app.terminationGracePeriodS) {
        return [finding('warning', 'lb.gke-draining', config, path, { message: `the load balancer waits up to ${drainingS} s for requests to a leaving pod, but the pod is gone long before`, arithmetic: `drainingTimeoutSec ${drainingS} > ${podLife(check)}`, fix }, concerning(check.app))];
      }
      return [];
    });
}

/** ingress-nginx keeps idle upstream connections for upstream-keepalive-timeout (its ConfigMap). */
function nginx(check: Check, ingress: K8sObject): Finding[] {
  const annotations = stringMap(getIn(ingress.body, ['metadata', 'annotations']));
  const className = asString(getIn(ingress.body, ['spec', 'ingressClassName'])) ?? annotations['kubernetes.io/ingress.class'];
  if (className !== 'nginx' && !Object.keys(annotations).some((name) => name.startsWith('nginx.ingress.kubernetes.io/'))) return [];
  const controllerConfig = check.objects.find((o) => o.kind === 'ConfigMap' && stringMap(o.body.data)['upstream-keepalive-timeout'] !== undefined);
  const given = controllerConfig && stringMap(controllerConfig.body.data)['upstream-keepalive-timeout'];
  const keepAliveS = given !== undefined ? Number.parseInt(given, 10) : NGINX_DEFAULT_UPSTREAM_KEEPALIVE_S;
  if (!(keepAliveS > NODE_KEEPALIVE_TIMEOUT_S)) return [];
  const [object, path] = controllerConfig ? [controllerConfig, ['data', 'upstream-keepalive-timeout']] : [ingress, ['spec']];
  return [
    finding('warning', 'lb.nginx-keepalive', object, path, {
      message: 'ingress-nginx keeps idle connections to the pods longer than Node keeps them open: a request nginx sends on a connection Node has just closed gets a 502 (nginx retries only idempotent requests)',
      arithmetic: `upstream-keepalive-timeout ${keepAliveS}s${given !== undefined ? '' : ' (ingress-nginx default; its ConfigMap is not in the input)'} > Node's default server.keepAliveTimeout ${NODE_KEEPALIVE_TIMEOUT_S}s`,
      fix: `set upstream-keepalive-timeout: "${NODE_KEEPALIVE_TIMEOUT_S - 1}" in the ingress-nginx ConfigMap, or raise the app's server.keepAliveTimeout above ${keepAliveS}s`,
    }, concerning(check.app)),
  ];
}
