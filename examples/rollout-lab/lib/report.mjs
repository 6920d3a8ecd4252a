// The lab's results as a Markdown table (printed, and written next to the chart) plus one verdict
// line per mode.
import { DEPLOY_ALERT } from './modes.mjs';

const counts = (o) => {
  const entries = Object.entries(o).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([k, n]) => `${n} × ${k}`).join(', ') : '0';
};

const exitCodes = (codes) => {
  const tally = {};
  for (const c of codes) tally[c] = (tally[c] ?? 0) + 1;
  return Object.entries(tally).map(([c, n]) => `${c} × ${n}`).join(', ') || '–';
};

const pct = (ratio) => (ratio === undefined ? '–' : `${(ratio * 100).toFixed(1)} %`);

export function table(modes) {
  const rows = [
    '| Mode | Requests sent | Failed (status) | Failed (connection) | Gateway errors at Caddy | 5xx at HAProxy | Peak gateway error ratio (pack rule) | Alerts fired | Exit codes |',
    '|---|---:|---|---|---:|---:|---:|---|---|',
  ];
  for (const m of modes) {
    rows.push(
      `| ${m.title} | ${m.requests.sent} | ${counts(m.requests.failedByStatus)} | ${counts(m.requests.connectionErrors)} | ` +
        `${m.proxy.caddy.gatewayErrors} | ${m.proxy.haproxy.gatewayErrors} | ${pct(m.peakGatewayErrorRatio)} | ${m.alerts.join(', ') || 'none'} | ${exitCodes(m.exitCodes)} |`,
    );
  }
  return rows.join('\n');
}

export function verdict(m) {
  const failed = m.requests.failedStatus + m.requests.failedConnection;
  const deployAlert = m.alerts.includes(DEPLOY_ALERT);
  const clean = failed === 0 && m.proxy.gatewayErrors === 0 && !deployAlert;
  return `${m.id}: ${clean ? 'clean rollout' : 'visible damage'}: ${failed} failed of ${m.requests.sent}, ` +
    `${m.proxy.gatewayErrors} gateway errors at the proxy, ${DEPLOY_ALERT} ${deployAlert ? 'fired' : 'silent'}`;
}

export function expressionsSummary(evaluated) {
  const bad = evaluated.filter((e) => e.error);
  const withData = evaluated.filter((e) => !e.error && e.series > 0);
  const lines = [`${evaluated.length} dashboard expressions evaluated: ${bad.length ? `${bad.length} FAILED` : 'all parse'}, ${withData.length} returned data.`];
  for (const e of evaluated) {
    const state = e.error ? `ERROR ${e.error}` : e.series > 0 ? `${e.series} series` : 'no data';
    lines.push(`- ${e.dashboard} / ${e.kind} "${e.where}"${e.refId ? ` ${e.refId}` : ''}: ${state}`);
  }
  return lines.join('\n');
}
