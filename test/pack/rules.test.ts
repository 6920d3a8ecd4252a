// The generated rules under promtool: syntax and templates (check rules) and behaviour (the shipped
// test file, test rules) at 15 s, 30 s and 60 s scrape intervals; a user's config file (Traefik,
// 60 s scrapes) through the CLI; clear errors for bad configs; the mixin conventions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../../src/pack/config.ts';
import { runPackCommand } from '../../src/pack/command.ts';
import { buildOutputs, PATHS } from '../../src/pack/outputs.ts';
import { alertGroups, alertNames, recordingGroups } from '../../src/pack/rules.ts';
import { buildScenarios, promtoolTestFile } from '../../src/pack/scenarios.ts';
import { SOURCES } from '../../src/pack/sources.ts';
import type { PackConfig } from '../../src/pack/types.ts';
import { promtool, requirePromtool, tempFiles } from './promtool.ts';

const REPO = join(import.meta.dirname, '../..');
beforeAll(() => requirePromtool());

/** The generated files of a config in a temp dir, and promtool's verdict on them. */
async function verdict(cfg: PackConfig) {
  const dir = tempFiles(buildOutputs(cfg));
  const [check, test] = await Promise.all([promtool('check', 'rules', join(dir, PATHS.recording), join(dir, PATHS.alerts)), promtool('test', 'rules', join(dir, PATHS.tests))]);
  return { check, test };
}

describe('rules at the usual scrape intervals', () => {
  it('pass promtool check rules and every shipped scenario at 15 s, 30 s and 60 s', async () => {
    const results = await Promise.all(['15s', '30s', '60s'].map((scrapeInterval) => verdict(resolveConfig({ scrapeInterval }))));
    for (const { check, test } of results) {
      expect(check.ok, check.output).toBe(true);
      expect(test.ok, test.output).toBe(true);
    }
  }, 240_000);
});

describe('a user config file', () => {
  it('Traefik + 60 s scrapes: rules for Traefik only that pass the same scenarios', async () => {
    const dir = tempFiles({ 'pack.json': JSON.stringify({ sources: ['traefik'], scrapeInterval: '60s' }) });
    const out = join(dir, 'out');
    const lines: string[] = [];
    const io = { stdout: (t: string) => lines.push(t), stderr: (t: string) => lines.push(t) };
    expect(await runPackCommand(['--config', join(dir, 'pack.json'), '--out', out], io)).toBe(0);
    const rules = readFileSync(join(out, PATHS.recording), 'utf8');
    expect(rules).toContain('traefik_service_requests_total');
    expect(rules).toContain('kube_service_info');
    expect(rules).not.toContain('nginx_ingress_controller_requests');
    expect(rules).toContain('interval: 60s');
    expect(readFileSync(join(out, PATHS.tests), 'utf8')).toContain('Traefik with dashes in the service name');
    const test = await promtool('test', 'rules', join(out, PATHS.tests));
    expect(test.ok, test.output).toBe(true);
    expect(await runPackCommand(['--config', join(dir, 'pack.json'), '--out', out, '--check'], io)).toBe(0);
  }, 120_000);

  it('bad configs are refused with the key, the value and what is accepted', async () => {
    expect(() => resolveConfig({ sources: ['treafik'] })).toThrow(/sources = \["treafik"\].*source ids from ingress-nginx, istio/);
    expect(() => resolveConfig({ scrapeInterval: '30' })).toThrow(/scrapeInterval = "30".*Prometheus duration/);
    expect(() => resolveConfig({ gatewayCodes: ['bad'] })).toThrow(/gatewayCodes.*"502".*"5xx"/);
    expect(() => resolveConfig({ thresholds: { errorRate: 1 } })).toThrow(/thresholds.errorRate.*one of the keys errorRatio/);
    expect(() => resolveConfig({ scrape: '1m' })).toThrow(/scrape = "1m".*one of the keys scrapeInterval/);
    const dir = tempFiles({ 'bad.json': '{ nope' });
    const err: string[] = [];
    expect(await runPackCommand(['--config', join(dir, 'bad.json')], { stdout: () => {}, stderr: (t) => err.push(t) })).toBe(2);
    expect(err.join('')).toContain('is not valid JSON');
  });
});

describe('the harness', () => {
  it('promtool really fails a scenario whose expectation is wrong', async () => {
    // Guards against a harness that passes whatever the rules do.
    const cfg = resolveConfig({ sources: ['ingress-nginx'], scrapeInterval: '60s' });
    const wrong = buildScenarios(cfg)
      .filter((s) => s.name === 'gateway errors without a rollout stay silent')
      .map((s) => ({ ...s, checks: s.checks.map((c) => ({ ...c, alert: { name: c.alert?.name as string, labels: { namespace: 'shop', service: 'web', severity: 'critical' } } })) }));
    expect(wrong).toHaveLength(1);
    const files = buildOutputs(cfg);
    const dir = tempFiles({ ...files, [PATHS.tests]: promtoolTestFile(cfg, ['graceful-otel.rules.yaml', '../alerts/graceful-otel.alerts.yaml'], wrong) });
    expect((await promtool('test', 'rules', join(dir, PATHS.tests))).ok).toBe(false);
  }, 60_000);

  it('has a firing and a silent case for every alert and every source', () => {
    const cfg = resolveConfig();
    const scenarios = buildScenarios(cfg);
    const checks = scenarios.flatMap((s) => s.checks);
    for (const name of Object.values(alertNames(cfg))) {
      expect(checks.some((c) => c.alert?.name === name && c.alert.labels), `${name} fires somewhere`).toBe(true);
      expect(checks.some((c) => c.alert?.name === name && !c.alert.labels), `${name} stays silent somewhere`).toBe(true);
    }
    for (const src of SOURCES) expect(scenarios.filter((s) => s.name.startsWith(`${src.id}:`))).toHaveLength(2);
  });
});

describe('generated files and mixin conventions', () => {
  const cfg = resolveConfig();
  const files = buildOutputs(cfg);
  const alerts = alertGroups(cfg).flatMap((g) => g.rules);

  it('on disk are exactly what the default config generates', () => {
    for (const [rel, content] of Object.entries(files)) expect(readFileSync(join(REPO, rel), 'utf8'), `${rel} is stale: run npm run pack:generate`).toBe(content);
  });

  it('the YAML writer round-trips: the files parse back to the rule objects', () => {
    expect(parse(files[PATHS.recording] as string)).toEqual({ groups: JSON.parse(JSON.stringify(recordingGroups(cfg))) });
    expect(parse(files[PATHS.alerts] as string)).toEqual({ groups: JSON.parse(JSON.stringify(alertGroups(cfg))) });
  });

  it('alerts are CamelCase with the common prefix, a severity, summary, description and runbook', () => {
    for (const rule of alerts) {
      expect(rule.alert).toMatch(new RegExp(`^${cfg.alertPrefix}([A-Z][a-z0-9]*)+$`));
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(10);
      expect(rule.annotations.runbook_url).toBe(`${cfg.runbookBaseUrl}/${rule.alert}.md`);
    }
  });

  it('every alert has a runbook in docs/runbooks that names it', () => {
    for (const rule of alerts) {
      const path = join(REPO, 'docs/runbooks', `${rule.alert}.md`);
      expect(existsSync(path), path).toBe(true);
      expect(readFileSync(path, 'utf8')).toContain(rule.alert);
    }
  });

  it('the PrometheusRule manifest carries exactly the groups of the plain files', () => {
    const manifest = parse(files[PATHS.manifest] as string);
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(manifest.spec.groups).toEqual([...parse(files[PATHS.recording] as string).groups, ...parse(files[PATHS.alerts] as string).groups]);
  });

  it('one recording rule per enabled source into one series family; ALB gauges never rate()d', () => {
    const lb = (recordingGroups(cfg)[0]?.rules ?? []).filter((r) => r.labels?.source);
    expect(lb.map((r) => r.labels?.source)).toEqual(SOURCES.map((s) => s.id));
    expect(new Set(lb.map((r) => r.record)).size).toBe(1);
    const alb = lb.find((r) => r.labels?.source === 'aws-alb');
    expect(alb?.expr).toContain('aws_applicationelb_httpcode_elb_502_count_sum');
    expect(alb?.expr).not.toMatch(/\b(rate|increase|irate)\(/);
  });

  it('a cluster label and selectors reach every aggregation', () => {
    const c = resolveConfig({ clusterLabel: 'cluster', kubeStateMetricsSelector: 'job="kube-state-metrics"' });
    const exprs = [...recordingGroups(c), ...alertGroups(c)].flatMap((g) => g.rules.map((r) => r.expr));
    for (const e of exprs) for (const m of e.matchAll(/\b(by|on) \(([^)]*)\)/g)) if (/namespace/.test(m[2] as string)) expect(m[2], e).toMatch(/\bcluster\b/);
    for (const e of exprs) for (const m of e.matchAll(/\bkube_\w+(\{[^}]*\})?/g)) expect(m[1] ?? '', m[0]).toContain('job="kube-state-metrics"');
  });
});
