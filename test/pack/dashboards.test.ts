// Generated dashboards: fresh on disk, lint-clean, every expression accepted by Prometheus's parser,
// and the generator CLI (--check, --profile/--out, --list-exprs) working under this Node.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { loadConfig } from '../../pack/config.ts';
import { buildDashboards, buildOutputs, expand, listExpressions, PATHS, variableValues } from '../../pack/outputs.ts';
import { names } from '../../pack/rules.ts';
import { lintDashboard, lintExpr } from './dashboard-lint.ts';
import { promtool, requirePromtool, tempFiles } from './promtool.ts';

const REPO = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
// Type stripping is on by default from Node 22.18; older 22.x needs the flag.
const NODE_FLAGS = (process.features as { typescript?: unknown }).typescript ? [] : ['--experimental-strip-types'];

function generator(...args: string[]) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, 'pack/generate.ts', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cfg = loadConfig();
const dashboards = buildDashboards(cfg);

describe('generated files', () => {
  it('on disk are exactly what the sources generate', () => {
    for (const [rel, content] of Object.entries(buildOutputs(cfg))) {
      expect(readFileSync(join(REPO, rel), 'utf8'), `${rel} is stale: run npm run pack:generate`).toBe(content);
    }
  });

  it('pack:check agrees, through the CLI', () => {
    const r = generator('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--profile lab --out writes the lab rules from the same sources', () => {
    const out = mkdtempSync(join(tmpdir(), 'graceful-pack-lab-'));
    const r = generator('--profile', 'lab', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lab = loadConfig('lab');
    for (const [rel, content] of Object.entries(buildOutputs(lab))) expect(readFileSync(join(out, rel), 'utf8')).toBe(content);
    const rules = readFileSync(join(out, PATHS.recording), 'utf8');
    expect(rules).toContain(`interval: ${lab.timings.evaluationInterval}`);
    expect(rules).toContain(names(lab).lbRequests);
    expect(generator('--profile', 'nope').status).not.toBe(0);
  });

  it('--list-exprs prints every dashboard expression with variables expanded', () => {
    const r = generator('--list-exprs', '--profile', 'lab');
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout);
    expect(listed).toEqual(listExpressions(loadConfig('lab')));
    for (const e of listed) expect(e.expr).not.toMatch(/\$/);
  });
});

describe.each(Object.keys(dashboards))('%s', (path) => {
  const d = dashboards[path] as Record<string, any>;

  it('passes the dashboard lint rules', () => {
    expect(lintDashboard(d)).toEqual([]);
  });

  it('uses the current schemaVersion and a stable uid', () => {
    expect(d.schemaVersion).toBe(defaultDashboard().schemaVersion);
    expect(buildDashboards(cfg)[path]?.uid).toBe(d.uid);
  });
});

describe('the linter', () => {
  it('flags what it promises to flag', () => {
    expect(lintExpr('sum(rate(http_requests_total[5m]))')).toHaveLength(1);
    expect(lintExpr('sum(http_requests_total)')).toHaveLength(1);
    expect(lintExpr('histogram_quantile(0.9, sum by (le) (rate(x_bucket[$__rate_interval])))')).toEqual([]);
    expect(lintExpr('sum(graceful:shutdown_drain_duration_seconds_sum:increase5m)')).toEqual([]);
    const d = structuredClone(dashboards['dashboards/graceful-shutdown.json']) as Record<string, any>;
    d.panels[0].datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    delete d.panels[1].fieldConfig.defaults.unit;
    d.panels[2].description = '';
    d.panels[3].targets[0].expr = '';
    expect(lintDashboard(d)).toHaveLength(4);
  });
});

describe('dashboard expressions', () => {
  beforeAll(() => requirePromtool());

  it.each(['default', 'lab'])('all parse with Prometheus (profile %s)', (profile) => {
    const exprs = listExpressions(loadConfig(profile));
    expect(exprs.length).toBeGreaterThan(20);
    const rules = { groups: [{ name: 'dashboard-expressions', rules: exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: e.expr })) }] };
    const dir = tempFiles({ 'exprs.yaml': stringify(rules) });
    const r = promtool('check', 'rules', join(dir, 'exprs.yaml'));
    expect(r.ok, r.output).toBe(true);
  });

  it('expands every template variable', () => {
    const values = variableValues(cfg);
    expect(expand('rate(x{a=~"$namespace"}[$__rate_interval]) * $__interval_ms', values)).toBe(`rate(x{a=~".*"}[${cfg.timings.rateWindow}]) * ${values.__interval_ms}`);
    expect(expand('label_replace(x, "a", "$1", "b", "(.*)")', values)).toContain('"$1"');
  });
});
