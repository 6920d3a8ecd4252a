// The generated rules under promtool: syntax and templates (check rules), behaviour (test rules)
// for both profiles, and the mixin conventions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, type PackConfig } from '../../pack/config.ts';
import { buildOutputs, PATHS } from '../../pack/outputs.ts';
import { alertGroups, alertNames, recordingGroups } from '../../pack/rules.ts';
import { promtool, requirePromtool, tempFiles } from './promtool.ts';
import { buildScenarios, promtoolTestFile } from './scenarios.ts';

const REPO = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

beforeAll(() => requirePromtool());

/** Writes a config's rule files plus the scenario test file to a temp dir; returns promtool's verdict. */
function runScenarios(cfg: PackConfig) {
  const files = buildOutputs(cfg);
  const ruleFiles = ['recording.yaml', 'alerts.yaml'];
  const dir = tempFiles({
    'recording.yaml': files[PATHS.recording] as string,
    'alerts.yaml': files[PATHS.alerts] as string,
    'tests.yaml': promtoolTestFile(cfg, ruleFiles, buildScenarios(cfg)),
  });
  return promtool('test', 'rules', join(dir, 'tests.yaml'));
}

describe.each(['default', 'lab'])('rules, profile %s', (profile) => {
  const cfg = loadConfig(profile);

  it('pass promtool check rules (expressions and annotation templates)', () => {
    const files = buildOutputs(cfg);
    const dir = tempFiles({ 'recording.yaml': files[PATHS.recording] as string, 'alerts.yaml': files[PATHS.alerts] as string });
    const r = promtool('check', 'rules', join(dir, 'recording.yaml'), join(dir, 'alerts.yaml'));
    expect(r.output).toContain('SUCCESS');
    expect(r.ok, r.output).toBe(true);
  });

  it('behave as the scenarios say (promtool test rules)', () => {
    const r = runScenarios(cfg);
    expect(r.ok, r.output).toBe(true);
  });
});

describe('scenario coverage', () => {
  it('has a firing and a silent case for every alert', () => {
    const cfg = loadConfig();
    const checks = buildScenarios(cfg).flatMap((s) => s.checks);
    for (const name of Object.values(alertNames(cfg))) {
      expect(checks.some((c) => c.alert?.name === name && c.alert.labels), `${name} fires somewhere`).toBe(true);
      expect(checks.some((c) => c.alert?.name === name && !c.alert.labels), `${name} stays silent somewhere`).toBe(true);
    }
  });

  it('the Envoy 503 spike fires once 503 is in the gateway code set', () => {
    const cfg = { ...loadConfig(), gatewayCodes: ['502', '503'] };
    const r = runScenarios(cfg);
    expect(r.ok, r.output).toBe(true);
  });

  it('promtool really fails a scenario whose expectation is wrong', () => {
    // Guards against a harness that passes whatever the rules do.
    const cfg = loadConfig();
    const scenarios = buildScenarios(cfg).filter((s) => s.name.startsWith('502s without a rollout'));
    const wrong = scenarios.map((s) => ({ ...s, checks: s.checks.map((c) => ({ ...c, alert: { name: c.alert?.name as string, labels: { namespace: 'shop', service: 'web', severity: 'critical' } } })) }));
    const files = buildOutputs(cfg);
    const dir = tempFiles({
      'recording.yaml': files[PATHS.recording] as string,
      'alerts.yaml': files[PATHS.alerts] as string,
      'tests.yaml': promtoolTestFile(cfg, ['recording.yaml', 'alerts.yaml'], wrong),
    });
    expect(promtool('test', 'rules', join(dir, 'tests.yaml')).ok).toBe(false);
  });
});

describe('mixin conventions', () => {
  const cfg = loadConfig();
  const alerts = alertGroups(cfg).flatMap((g) => g.rules);

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
    const files = buildOutputs(cfg);
    const manifest = parse(files[PATHS.manifest] as string);
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
    const plain = [...parse(files[PATHS.recording] as string).groups, ...parse(files[PATHS.alerts] as string).groups];
    expect(manifest.spec.groups).toEqual(plain);
    expect(plain).toEqual(JSON.parse(JSON.stringify([...recordingGroups(cfg), ...alertGroups(cfg)])));
  });

  it('feeds one recording rule per load-balancer source into one series family', () => {
    const lb = recordingGroups(cfg)[0]?.rules ?? [];
    expect(lb.map((r) => r.labels?.source)).toEqual(cfg.sources.map((s) => s.id));
    expect(new Set(lb.map((r) => r.record)).size).toBe(1);
    // The per-period ALB gauges must never go through rate()/increase().
    const alb = lb.find((r) => r.labels?.source === 'aws-alb');
    expect(alb?.expr).toContain('aws_applicationelb_httpcode_elb_502_count_sum');
    expect(alb?.expr).not.toMatch(/\b(rate|increase|irate)\(/);
  });
});
