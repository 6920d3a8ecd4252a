// The Grafana pack's side of the lab: its lab profile (same config, shorter windows and `for:`)
// generated into the temp dir, and every dashboard expression evaluated against the lab's
// Prometheus.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Node 22 runs the pack's TypeScript only with the flag; Node 23.6+ strips types by default. */
const TS_FLAGS = process.features.typescript ? [] : ['--experimental-strip-types', '--no-warnings'];

function generate(root, args) {
  return execFileSync(process.execPath, [...TS_FLAGS, join(root, 'pack/generate.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes the lab profile under `dir`; returns the rule files for Prometheus. */
export function generateLabProfile(root, dir) {
  generate(root, ['--profile', 'lab', '--out', dir]);
  return [join(dir, 'rules/graceful-otel.rules.yaml'), join(dir, 'alerts/graceful-otel.alerts.yaml')];
}

/** The dashboards' expressions with template variables expanded (lab profile). */
export function dashboardExpressions(root) {
  return JSON.parse(generate(root, ['--list-exprs', '--profile', 'lab']));
}

/**
 * Range-queries every expression over the lab's run. Each must parse; `series` counts the series
 * that had at least one point (0: valid, but nothing in the lab produced data for it).
 * @param {import('./prometheus.mjs').Prometheus} prometheus
 */
export async function evaluateExpressions(prometheus, exprs, startS, endS) {
  const out = [];
  for (const e of exprs) {
    const r = await prometheus.queryRange(e.expr, startS, endS, 1);
    out.push({ dashboard: e.dashboard, where: e.where, kind: e.kind, refId: e.refId, expr: e.expr, error: r.error, series: r.result?.length ?? 0 });
  }
  return out;
}
