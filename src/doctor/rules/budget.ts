/**
 * The budget against Kubernetes' grace period. The kubelet's clock starts at deletion; the preStop
 * hook runs inside it and SIGTERM follows the hook. A hook that calls /prestop starts the shutdown
 * itself (the budget starts then, a later SIGTERM joins it); a `sleep` hook delays the start.
 */
import { KUBERNETES_DEFAULT_GRACE_S } from '../container.js';
import { ms, setting, type Check, type Rule } from './check.js';

export const budgetRules: Rule = (check) => {
  const { app, config, preStop } = check;
  const gracePath = [...app.workload.podSpecPath, 'terminationGracePeriodSeconds'];
  const k8sMs = app.terminationGracePeriodS * 1000;
  const k8sText = app.terminationGracePeriodSet
    ? `terminationGracePeriodSeconds ${app.terminationGracePeriodS}`
    : `terminationGracePeriodSeconds (not set: Kubernetes' default ${KUBERNETES_DEFAULT_GRACE_S})`;
  const budget = setting(check, 'GRACEFUL_OTEL_GRACE_PERIOD', 'grace period', config.gracePeriodMs);

  if (preStop.kind === 'other' || (preStop.kind === 'http' && preStop.urlPath !== '/prestop')) {
    return [
      check.report('info', 'budget.prestop-unknown', preStop.path, {
        message: 'the preStop hook runs a command whose duration the doctor cannot tell; its time is taken out of the grace period before SIGTERM is sent',
        arithmetic: `hook time + ${budget} must stay within ${k8sText}`,
        fix: `call graceful-otel's /prestop from the hook (see the README, "Health server"), or make sure the hook takes at most ${ms(k8sMs - config.gracePeriodMs)}`,
      }),
    ];
  }
  const startMs = startOfBudget(check);
  const endMs = startMs + config.gracePeriodMs;
  const before = startMs > 0 ? `preStop sleep ${ms(startMs)} + ` : '';
  if (endMs > k8sMs) {
    const fitting = k8sMs - startMs;
    return [
      check.report('error', 'budget.grace-period', gracePath, {
        message: `the shutdown budget ends after Kubernetes' SIGKILL: the last ${ms(endMs - k8sMs)} of it (hooks, the flush of the shutdown telemetry, the exit) are cut`,
        arithmetic: `${before}${budget}${before ? ` = ${ms(endMs)}` : ''} > ${k8sText}`,
        fix:
          fitting > 0
            ? `set terminationGracePeriodSeconds: ${Math.ceil(endMs / 1000)}, or GRACEFUL_OTEL_GRACE_PERIOD=${ms(fitting)}`
            : `set terminationGracePeriodSeconds: ${Math.ceil(endMs / 1000)}, or drop the preStop sleep (graceful-otel's drain delay does that waiting)`,
      }),
    ];
  }
  if (k8sMs - endMs >= 1000) {
    return [
      check.report('info', 'budget.unused', gracePath, {
        message: `Kubernetes waits ${ms(k8sMs - endMs)} longer than the shutdown budget uses`,
        arithmetic: `${before}${budget}${before ? ` = ${ms(endMs)}` : ''} < ${k8sText}`,
        fix: `set GRACEFUL_OTEL_GRACE_PERIOD=${ms(k8sMs - startMs)} to give the drain that time, or lower terminationGracePeriodSeconds to ${Math.ceil(endMs / 1000)}`,
      }),
    ];
  }
  return [];
};

/** When the budget starts, counted from the pod's deletion. */
function startOfBudget({ preStop }: Check): number {
  if (preStop.kind === 'sleep') return preStop.seconds * 1000;
  if (preStop.kind === 'prestop-exec') return preStop.sleepSeconds * 1000;
  return 0;
}
