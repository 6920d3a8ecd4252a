// The Grafana pack's side of the lab: its lab profile (same config, shorter windows and `for:`)
// generated into the temp dir, and every dashboard expression evaluated against the lab's
// Prometheus.
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** `graceful-otel pack` from the build, with the lab's config file (examples/rollout-lab/pack.json). */
async function generate(root, args) {
  const { runPackCommand } = createRequire(import.meta.url)(join(root, 'dist/cjs/pack/command.js'));
  let out = '';
  let err = '';
  const code = await runPackCommand(['--config', join(root, 'examples/rollout-lab/pack.json'), ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  if (code !== 0) throw new Error(`graceful-otel pack ${args.join(' ')} failed: ${err}`);
  return out;
}

/** Writes the lab's pack under `dir`; returns the rule files for Prometheus. */
export async function generateLabProfile(root, dir) {
  await generate(root, ['--out', dir]);
  return [join(dir, 'rules/graceful-otel.rules.yaml'), join(dir, 'alerts/graceful-otel.alerts.yaml')];
}

/** The dashboards' expressions with template variables expanded (lab config). */
export async function dashboardExpressions(root) {
  return JSON.parse(await generate(root, ['--list-exprs']));
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
