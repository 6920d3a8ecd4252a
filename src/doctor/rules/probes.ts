/**
 * Probes: readiness must watch graceful-otel's /readyz (503 from the first moment of shutdown),
 * liveness must not (a draining pod would be killed), and readiness must notice the shutdown
 * within the drain delay, the time the pod keeps serving while it leaves the endpoints.
 */
import type { Finding } from '../finding.js';
import { readProbe } from '../lifecycle.js';
import { ms, seconds, setting, type Check, type Rule } from './check.js';

export const probeRules: Rule = (check) => [...readiness(check), ...liveness(check)];

function readiness(check: Check): Finding[] {
  const { app, config } = check;
  const probe = readProbe(app, 'readinessProbe');
  const healthPort = config.healthPort;
  const findings: Finding[] = [];
  const wanted = `readinessProbe: { httpGet: { path: /readyz, port: ${healthPort ?? '<GRACEFUL_OTEL_HEALTH_PORT>'} } }`;
  if (probe === undefined) {
    if (healthPort !== undefined) {
      findings.push(
        check.report('warning', 'probe.readiness', [...app.path], {
          message: 'no readinessProbe: nothing takes the pod out of rotation when graceful-otel turns unready, only the endpoint removal on deletion',
          fix: `add ${wanted}`,
        }),
      );
    }
    return findings;
  }
  if (healthPort !== undefined && (probe.httpPath !== '/readyz' || probe.port !== healthPort)) {
    findings.push(
      check.report('warning', 'probe.readiness', probe.path, {
        message: "the readiness probe does not ask graceful-otel's /readyz, so it keeps passing during the shutdown (unless the app's own route uses isReady() or readinessHandler)",
        arithmetic: `probe ${probe.httpPath === undefined ? 'is not httpGet' : `GET ${probe.httpPath} on port ${probe.port ?? '?'}`}; health server on port ${healthPort}`,
        fix: `use ${wanted}`,
      }),
    );
  }
  const noticeS = probe.periodSeconds * probe.failureThreshold;
  if (noticeS * 1000 > config.drainDelayMs) {
    const suggestedPeriod = Math.max(1, Math.floor(config.drainDelayMs / 2000));
    findings.push(
      check.report('warning', 'probe.readiness-timing', probe.path, {
        message: 'readiness notices the shutdown only after the drain delay is over: the pod stops taking new connections while a load balancer that follows readiness may still send it traffic',
        arithmetic: `periodSeconds ${probe.periodSeconds} × failureThreshold ${probe.failureThreshold} = ${seconds(noticeS)} > ${setting(check, 'GRACEFUL_OTEL_DRAIN_DELAY', 'drain delay', config.drainDelayMs)}`,
        fix: `set periodSeconds: ${suggestedPeriod} and failureThreshold: 1, or GRACEFUL_OTEL_DRAIN_DELAY=${ms(noticeS * 1000)}`,
      }),
    );
  }
  return findings;
}

function liveness(check: Check): Finding[] {
  const probe = readProbe(check.app, 'livenessProbe');
  if (probe?.httpPath !== '/readyz') return [];
  const killS = probe.periodSeconds * probe.failureThreshold;
  return [
    check.report('error', 'probe.liveness-readyz', probe.path, {
      message: '/readyz answers 503 from the first moment of shutdown, so a liveness probe on it makes the kubelet kill the draining container',
      arithmetic: `periodSeconds ${probe.periodSeconds} × failureThreshold ${probe.failureThreshold} = ${seconds(killS)} after the shutdown starts, within its budget of ${ms(check.config.gracePeriodMs)}`,
      fix: 'probe /livez instead: it answers 200 until the process exits',
    }),
  ];
}
