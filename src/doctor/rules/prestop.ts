/**
 * The preStop hook against the health server: a hook that calls /prestop must reach it (port,
 * address, access), and a `sleep` hook should not wait a second time for what the drain delay
 * already waits for.
 */
import { concerning, finding, type Finding } from '../finding.js';
import { resolvePort } from '../container.js';
import { asArray, describe, getIn, servicesFor } from '../manifest.js';
import { envPath, ms, seconds, setting, type Check, type Rule } from './check.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const ALL_INTERFACES = new Set(['0.0.0.0', '::', '[::]']);

export const preStopRules: Rule = (check) => [...sleepAndDelay(check), ...reachesPrestop(check), ...exposedPrestop(check)];

function sleepAndDelay(check: Check): Finding[] {
  const { preStop, config } = check;
  const sleepS = preStop.kind === 'sleep' ? preStop.seconds : preStop.kind === 'prestop-exec' ? preStop.sleepSeconds : 0;
  if (sleepS <= 0 || config.drainDelayMs <= 0) return [];
  const delay = setting(check, 'GRACEFUL_OTEL_DRAIN_DELAY', 'drain delay', config.drainDelayMs);
  return [
    check.report('warning', 'prestop.sleep-and-delay', preStop.path, {
      message: 'the preStop sleep and the drain delay both wait for the load balancer to let go of the pod: the wait is paid twice, and during the sleep keep-alive connections are not told to close',
      arithmetic: `preStop sleep ${seconds(sleepS)} + ${delay} = ${ms(sleepS * 1000 + config.drainDelayMs)} before intake stops`,
      fix: `drop the sleep and set GRACEFUL_OTEL_DRAIN_DELAY=${ms(sleepS * 1000 + config.drainDelayMs)} (if that long a wait is needed), or call /prestop from the hook`,
    }),
  ];
}

function reachesPrestop(check: Check): Finding[] {
  const { preStop, config } = check;
  if (preStop.kind !== 'prestop-exec' && !(preStop.kind === 'http' && preStop.urlPath === '/prestop')) return [];
  const findings: Finding[] = [];
  const hookPort = preStop.kind === 'prestop-exec' ? (preStop.port ?? 80) : preStop.port;
  const refused = 'the hook fails (FailedPreStopHook) and SIGTERM follows at once: the pod is not kept serving by the hook';
  if (config.healthPort === undefined) {
    findings.push(
      check.report('error', 'prestop.port', envPath(check, 'GRACEFUL_OTEL_HEALTH_PORT'), {
        message: `the preStop hook calls /prestop, but the health server is off: ${refused}`,
        arithmetic: `hook port ${hookPort ?? '?'}; GRACEFUL_OTEL_HEALTH_PORT not set`,
        fix: `set GRACEFUL_OTEL_HEALTH_PORT=${hookPort ?? 9000}`,
      }),
    );
  } else if (hookPort !== config.healthPort) {
    findings.push(
      check.report('error', 'prestop.port', preStop.path, {
        message: `the preStop hook calls /prestop on another port than the health server's: ${refused}`,
        arithmetic: `hook port ${hookPort ?? '(unknown named port)'} ≠ GRACEFUL_OTEL_HEALTH_PORT ${config.healthPort}`,
        fix: `call port ${config.healthPort} in the hook`,
      }),
    );
  }
  if (config.preStop === 'off') {
    findings.push(
      check.report('error', 'prestop.access', envPath(check, 'GRACEFUL_OTEL_PRESTOP'), {
        message: `the preStop hook calls /prestop, but GRACEFUL_OTEL_PRESTOP=off removes it (404): ${refused}`,
        fix: preStop.kind === 'http' ? 'set GRACEFUL_OTEL_PRESTOP=any' : 'remove GRACEFUL_OTEL_PRESTOP=off (loopback is the default)',
      }),
    );
  } else if (preStop.kind === 'http' && config.preStop !== 'any') {
    findings.push(
      check.report('error', 'prestop.access', preStop.path, {
        message: `the kubelet's httpGet hook comes from the node, not loopback, and /prestop answers only loopback callers (403): ${refused}`,
        arithmetic: `GRACEFUL_OTEL_PRESTOP ${config.preStop}; httpGet needs any`,
        fix: `set GRACEFUL_OTEL_PRESTOP=any (and keep the health port off every Service), or use an exec hook: ["node", "-e", "fetch('http://127.0.0.1:${config.healthPort ?? 9000}/prestop').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]`,
      }),
    );
  } else if (preStop.kind === 'prestop-exec') {
    const host = preStop.host;
    const bound = config.healthHost;
    if (!LOOPBACK.has(host) && config.preStop === 'loopback') {
      findings.push(
        check.report('error', 'prestop.access', preStop.path, {
          message: `the hook calls /prestop at ${host}, not loopback, and /prestop answers only loopback callers (403): ${refused}`,
          fix: `call http://127.0.0.1:${config.healthPort ?? hookPort}/prestop`,
        }),
      );
    } else if (LOOPBACK.has(host) && bound !== undefined && !ALL_INTERFACES.has(bound) && !LOOPBACK.has(bound)) {
      findings.push(
        check.report('error', 'prestop.port', envPath(check, 'GRACEFUL_OTEL_HEALTH_HOST'), {
          message: `the hook calls /prestop on loopback, but the health server binds only ${bound}: ${refused}`,
          fix: 'set GRACEFUL_OTEL_HEALTH_HOST=0.0.0.0 (or leave it unset: all interfaces)',
        }),
      );
    }
  }
  return findings;
}

/** With GRACEFUL_OTEL_PRESTOP=any, anyone who reaches the health port through a Service can stop the pod. */
function exposedPrestop(check: Check): Finding[] {
  const { app, config } = check;
  if (config.preStop !== 'any' || config.healthPort === undefined) return [];
  return servicesFor(check.objects, app.workload).flatMap((service) =>
    asArray(getIn(service.body, ['spec', 'ports'])).flatMap((port, i) => {
      const target = resolvePort(app, getIn(port, ['targetPort']) ?? getIn(port, ['port']));
      if (target !== config.healthPort) return [];
      return [
        finding('error', 'prestop.exposed', service, ['spec', 'ports', i], {
          message: `GRACEFUL_OTEL_PRESTOP=any lets any caller of /prestop shut the pod down, and this Service routes to the health port (${describe(app.workload.object)})`,
          fix: 'remove the health port from the Service (scrape /metrics from the pod, e.g. a PodMonitor), or use an exec preStop hook with GRACEFUL_OTEL_PRESTOP=loopback',
        }, concerning(app)),
      ];
    }),
  );
}
