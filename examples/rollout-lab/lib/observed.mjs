// What the lab's Prometheus saw of one mode, through the pack's rules: which alerts fired, the
// peak gateway error ratio, and when the rollout window and the deploy alert were on.
import { DEPLOY_ALERT } from './modes.mjs';

/** Time ranges (ms since `originMs`) in which a range query had a point, at 1 s resolution. */
function intervals(result, originMs) {
  const stamps = [...new Set(result.flatMap((r) => r.values.map(([t]) => t)))].sort((a, b) => a - b);
  const out = [];
  for (const t of stamps) {
    const last = out.at(-1);
    if (last && t - last.t <= 1) last.t = t;
    else out.push({ from: t, t });
  }
  return out.map(({ from, t }) => [Math.round(from * 1000 - originMs), Math.round(t * 1000 - originMs)]);
}

async function range(prometheus, expr, startS, endS) {
  const { result, error } = await prometheus.queryRange(expr, startS, endS);
  if (error) throw new Error(`querying ${expr}: ${error}`);
  return result;
}

/** @param {import('./prometheus.mjs').Prometheus} prometheus */
export async function observed(prometheus, service, startS, endS, originMs) {
  const firing = await range(prometheus, 'ALERTS{alertstate="firing"}', startS, endS);
  // Alerts about the service: by service (deploy alert), job (graceful-otel's) or deployment.
  const mine = firing.filter(({ metric: m }) => [m.service, m.job, m.deployment].includes(service));
  // The record name carries the profile's window (ratio_rate10s): match it, not its :baseline.
  const ratio = await range(prometheus, `{__name__=~"graceful:lb_gateway_errors:ratio_rate[0-9a-z]+", service="${service}"}`, startS, endS);
  const ratios = ratio.flatMap((r) => r.values.map(([, v]) => Number(v)));
  const window = await range(prometheus, `graceful:rollout:service_active{service="${service}"} == 1`, startS, endS);
  return {
    alerts: [...new Set(mine.map((r) => r.metric.alertname))].sort(),
    peakGatewayErrorRatio: ratios.length ? Math.max(...ratios) : undefined,
    rolloutWindow: intervals(window, originMs),
    deployAlertFiring: intervals(mine.filter((r) => r.metric.alertname === DEPLOY_ALERT), originMs),
  };
}
