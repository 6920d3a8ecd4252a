// Generated dashboards: Grafana's dashboard-linter rules (with the documented exclusions in
// dashboards/.lint), every expression parsed by Prometheus' lezer grammar and by promtool, links
// between the dashboards and to runbooks, the service mapping honoured, and --list-exprs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../../src/pack/config.ts';
import { runPackCommand } from '../../src/pack/command.ts';
import { SCHEMA_VERSION } from '../../src/pack/dashboards/common.ts';
import { buildDashboards, expand, listExpressions, variableValues } from '../../src/pack/outputs.ts';
import { names } from '../../src/pack/rules.ts';
import { applyExclusions, lintDashboard, lintExpr, promqlErrors } from './dashboard-lint.ts';
import { promtool, requirePromtool, tempFiles } from './promtool.ts';
import { defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';

const REPO = join(import.meta.dirname, '../..');
const cfg = resolveConfig();
const dashboards = buildDashboards(cfg);
const exclusions = parse(readFileSync(join(REPO, 'dashboards/.lint'), 'utf8')).exclusions as Record<string, { reason: string }>;
const values = variableValues(cfg);

describe.each(Object.keys(dashboards))('%s', (path) => {
  const d = dashboards[path] as Record<string, any>;

  it('passes the dashboard linter rules, less the documented exclusions', () => {
    expect(applyExclusions(lintDashboard(d, (raw) => expand(raw, values)), exclusions)).toEqual([]);
  });

  it('links to the other dashboard and to runbooks; panels have ids', () => {
    expect(d.links[0]).toMatchObject({ type: 'dashboards', tags: cfg.dashboards.tags, includeVars: true, keepTime: true });
    const urls = d.panels.flatMap((p: any) => (p.links ?? []).map((l: any) => l.url));
    expect(urls.some((u: string) => u.startsWith(`${cfg.runbookBaseUrl}/`))).toBe(true);
    expect(urls.some((u: string) => u.startsWith('/d/graceful-otel-'))).toBe(true);
    expect(d.panels.map((p: any) => p.id)).toEqual(d.panels.map((_: unknown, i: number) => i + 1));
    expect(d.schemaVersion).toBe(defaultDashboard().schemaVersion);
    expect(SCHEMA_VERSION).toBe(defaultDashboard().schemaVersion);
  });
});

describe('the linter', () => {
  it('flags what it promises to flag', () => {
    expect(lintExpr('sum(rate(http_requests_total[5m]))').map((p) => p.rule)).toEqual(['target-rate-interval-rule']);
    expect(lintExpr('sum(http_requests_total)').map((p) => p.rule)).toEqual(['target-counter-agg-rule']);
    expect(lintExpr('histogram_quantile(0.9, sum by (le) (rate(x_bucket[$__rate_interval])))')).toEqual([]);
    expect(promqlErrors('sum by (a) (x')).not.toEqual([]);
    expect(promqlErrors('sum by (a) (x{b=~"c"}) / on (a) y')).toEqual([]);
    const d = structuredClone(dashboards['dashboards/graceful-shutdown.json']) as Record<string, any>;
    d.panels[0].datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    delete d.panels[1].fieldConfig.defaults.unit;
    d.panels[2].description = '';
    d.panels[3].targets[0].expr = 'max(';
    d.editable = true;
    const rules = applyExclusions(lintDashboard(d, (raw) => expand(raw, values)), exclusions).map((p) => p.rule).sort();
    expect(rules).toEqual(['panel-datasource-rule', 'panel-title-description-rule', 'panel-units-rule', 'target-promql-rule', 'template-uneditable-rule']);
    // Without the exclusions file the job/instance rules fire, as Grafana's linter would.
    expect(lintDashboard(d, (raw) => expand(raw, values)).map((p) => p.rule)).toContain('target-job-rule');
  });
});

describe('dashboard expressions', () => {
  it('all parse with promtool, for the default and a 60 s config', async () => {
    requirePromtool();
    for (const c of [cfg, resolveConfig({ scrapeInterval: '60s', clusterLabel: 'cluster' })]) {
      const exprs = listExpressions(c);
      expect(exprs.length).toBeGreaterThan(20);
      const rules = { groups: [{ name: 'dashboard-expressions', rules: exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: e.expr })) }] };
      const dir = tempFiles({ 'exprs.yaml': JSON.stringify(rules) });
      const r = await promtool('check', 'rules', join(dir, 'exprs.yaml'));
      expect(r.ok, r.output).toBe(true);
    }
  }, 60_000);

  it('honour the service mapping: rollouts and SIGKILLs are selected by the mapped service', () => {
    const c = resolveConfig({ serviceFromDeployment: { regex: '(.*)-deployment', replacement: '$1' } });
    const exprs = listExpressions(c).map((e) => e.raw);
    for (const e of exprs) expect(e).not.toMatch(/deployment=~"\$service"/);
    expect(exprs.some((e) => e.includes(`${names(c).sigkill}{namespace=~"$namespace", service=~"$service"}`))).toBe(true);
  });

  it('--list-exprs prints them with variables expanded', async () => {
    const out: string[] = [];
    expect(await runPackCommand(['--list-exprs'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t) })).toBe(0);
    const listed = JSON.parse(out.join(''));
    expect(listed).toEqual(listExpressions(cfg));
    for (const e of listed) expect(e.expr).not.toMatch(/\$/);
  });
});
