/**
 * `graceful-otel doctor`: the real bin (dist/cjs/cli.js, and once from the packed tarball) run as a
 * child process on realistic manifests. Expected arithmetic is computed from the package's own
 * resolved configuration, not from default numbers copied here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import type { Finding, Severity } from '../src/doctor/finding.js';
import type { Report } from '../src/doctor/format.js';
import { formatDuration } from '../src/duration.js';
import { ROOT } from './helpers/app.js';

const CLI = path.join(ROOT, 'dist/cjs/cli.js');
const FIXTURES = path.join(ROOT, 'test/fixtures/doctor');
const fixture = (name: string): string => path.join(FIXTURES, name);

type JsonReport = Report & { summary: Record<Severity, number> };

function run(args: string[], input?: string, bin: string[] = [process.execPath, CLI]) {
  const [command, ...rest] = bin as [string, ...string[]];
  const result = spawnSync(command, [...rest, ...args], { input, encoding: 'utf8', cwd: ROOT, timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function doctorJson(args: string[], input?: string): { code: number | null; report: JsonReport } {
  const result = run(['doctor', '--format', 'json', ...args], input);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
}

/** What the preload resolves in a pod with the fixtures' common environment (health port 9000). */
const podDefaults = resolveConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1', GRACEFUL_OTEL_HEALTH_PORT: '9000' });
const fmt = formatDuration;

describe('graceful-otel doctor: aligned manifests pass clean', () => {
  it('the shipped examples/kubernetes/ (a directory: Deployment, Service, ServiceMonitor CRD, Kustomization)', () => {
    const { code, report } = doctorJson(['examples/kubernetes/']);
    expect(report.findings).toEqual([]);
    expect({ code, workloads: report.workloads, containers: report.containers, files: report.files.length }).toEqual({ code: 0, workloads: 1, containers: 1, files: 3 });
  });

  it("the rollout lab's timings, as the manifest they stand for (scripts/lab-manifest.mjs), on stdin", () => {
    const manifest = execFileSync(process.execPath, [path.join(ROOT, 'scripts/lab-manifest.mjs')], { encoding: 'utf8', cwd: ROOT });
    const { code, report } = doctorJson(['-'], manifest);
    expect(report.findings).toEqual([]);
    expect({ code, containers: report.containers }).toEqual({ code: 0, containers: 1 });
  });
});

describe('graceful-otel doctor: one manifest per rule', () => {
  const cases: { file: string; rule: string; severity: string; path: string; fix: string; arithmetic?: string; object?: string }[] = [
    {
      file: 'budget-grace-period.yaml',
      rule: 'budget.grace-period',
      severity: 'error',
      path: 'spec.template.spec.terminationGracePeriodSeconds',
      arithmetic: "GRACEFUL_OTEL_GRACE_PERIOD 45s > terminationGracePeriodSeconds (not set: Kubernetes' default 30)",
      fix: 'set terminationGracePeriodSeconds: 45, or GRACEFUL_OTEL_GRACE_PERIOD=30s',
    },
    {
      file: 'prestop-sleep.yaml',
      rule: 'budget.grace-period',
      severity: 'error',
      path: 'spec.template.spec.terminationGracePeriodSeconds',
      arithmetic: `preStop sleep 10s + grace period ${fmt(podDefaults.gracePeriodMs)} (default) = ${fmt(10_000 + podDefaults.gracePeriodMs)} > terminationGracePeriodSeconds 30`,
      fix: `set terminationGracePeriodSeconds: ${Math.ceil((10_000 + podDefaults.gracePeriodMs) / 1000)}, or GRACEFUL_OTEL_GRACE_PERIOD=20s`,
    },
    {
      file: 'prestop-sleep.yaml',
      rule: 'prestop.sleep-and-delay',
      severity: 'warning',
      path: 'spec.template.spec.containers[0].lifecycle.preStop.exec.command',
      arithmetic: `preStop sleep 10s + drain delay ${fmt(podDefaults.drainDelayMs)} (default) = ${fmt(10_000 + podDefaults.drainDelayMs)} before intake stops`,
      fix: `drop the sleep and set GRACEFUL_OTEL_DRAIN_DELAY=${fmt(10_000 + podDefaults.drainDelayMs)}`,
    },
    {
      file: 'prestop-port.yaml',
      rule: 'prestop.port',
      severity: 'error',
      path: 'spec.template.spec.containers[0].lifecycle.preStop.exec.command',
      arithmetic: 'hook port 8081 ≠ GRACEFUL_OTEL_HEALTH_PORT 9000',
      fix: 'call port 9000 in the hook',
    },
    {
      file: 'prestop-httpget.yaml',
      rule: 'prestop.access',
      severity: 'error',
      path: 'spec.template.spec.containers[0].lifecycle.preStop.httpGet',
      fix: "set GRACEFUL_OTEL_PRESTOP=any (and keep the health port off every Service), or use an exec hook: [\"node\", \"-e\", \"fetch('http://127.0.0.1:9000/prestop')",
    },
    {
      file: 'prestop-exposed.yaml',
      rule: 'prestop.exposed',
      severity: 'error',
      object: 'Service/shop/payments',
      path: 'spec.ports[1]',
      fix: 'remove the health port from the Service',
    },
    {
      file: 'probe-liveness-readyz.yaml',
      rule: 'probe.liveness-readyz',
      severity: 'error',
      path: 'spec.template.spec.containers[0].livenessProbe',
      arithmetic: 'periodSeconds 5 × failureThreshold 2 = 10s after the shutdown starts',
      fix: 'probe /livez instead',
    },
    {
      file: 'probe-readiness-timing.yaml',
      rule: 'probe.readiness-timing',
      severity: 'warning',
      path: 'spec.template.spec.containers[0].readinessProbe',
      arithmetic: `periodSeconds 10 × failureThreshold 3 = 30s > drain delay ${fmt(podDefaults.drainDelayMs)} (default)`,
      fix: `set periodSeconds: ${Math.max(1, Math.floor(podDefaults.drainDelayMs / 2000))} and failureThreshold: 1, or GRACEFUL_OTEL_DRAIN_DELAY=30s`,
    },
    {
      file: 'probe-readiness-path.yaml',
      rule: 'probe.readiness',
      severity: 'warning',
      path: 'spec.template.spec.containers[0].readinessProbe',
      arithmetic: 'probe GET /health on port 3000; health server on port 9000',
      fix: 'use readinessProbe: { httpGet: { path: /readyz, port: 9000 } }',
    },
    {
      file: 'entrypoint-npm.yaml',
      rule: 'entrypoint.package-manager',
      severity: 'error',
      path: 'spec.template.spec.containers[0].command',
      arithmetic: 'PID 1: npm start',
      fix: 'run node directly in exec form',
    },
    {
      file: 'entrypoint-shell.yaml',
      rule: 'entrypoint.shell',
      severity: 'warning',
      path: 'spec.template.spec.containers[0].command',
      fix: 'use exec form (command: ["node", "server.js"]), or start the script\'s last command with exec',
    },
    {
      file: 'pm2-kill-timeout.yaml',
      rule: 'pm2.kill-timeout',
      severity: 'error',
      path: 'spec.template.spec.containers[0].command',
      arithmetic: `kill_timeout 1.6s (PM2's default) < grace period ${fmt(podDefaults.gracePeriodMs)} (default) − safety margin ${fmt(podDefaults.safetyMarginMs)} (default) = ${fmt(podDefaults.gracePeriodMs - podDefaults.safetyMarginMs)}`,
      fix: `set kill_timeout: ${podDefaults.gracePeriodMs - podDefaults.safetyMarginMs} in the ecosystem file`,
    },
    {
      file: 'lb-aws.yaml',
      rule: 'lb.aws-deregistration',
      severity: 'warning',
      object: 'Service/shop/checkout',
      path: 'metadata.annotations',
      arithmetic: 'deregistration_delay.timeout_seconds 300 (default) > terminationGracePeriodSeconds 30 (default)',
      fix: `set service.beta.kubernetes.io/aws-load-balancer-target-group-attributes: deregistration_delay.timeout_seconds=${Math.ceil((podDefaults.drainDelayMs + podDefaults.drainTimeoutMs) / 1000)}`,
    },
    {
      file: 'lb-aws.yaml',
      rule: 'lb.aws-deregistration',
      severity: 'warning',
      object: 'Ingress/shop/checkout',
      path: 'metadata.annotations["alb.ingress.kubernetes.io/target-group-attributes"]',
      arithmetic: 'deregistration_delay.timeout_seconds 60 > terminationGracePeriodSeconds 30 (default)',
      fix: `set alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=${Math.ceil((podDefaults.drainDelayMs + podDefaults.drainTimeoutMs) / 1000)}`,
    },
    {
      file: 'lb-gke.yaml',
      rule: 'lb.gke-draining',
      severity: 'warning',
      object: 'BackendConfig/shop/frontend',
      path: 'spec.connectionDraining.drainingTimeoutSec',
      arithmetic: 'drainingTimeoutSec 0 (default)',
      fix: `set spec.connectionDraining.drainingTimeoutSec: ${Math.ceil((podDefaults.drainDelayMs + podDefaults.drainTimeoutMs) / 1000)}`,
    },
    {
      file: 'lb-nginx.yaml',
      rule: 'lb.nginx-keepalive',
      severity: 'warning',
      object: 'ConfigMap/ingress-nginx/ingress-nginx-controller',
      path: 'data.upstream-keepalive-timeout',
      arithmetic: "upstream-keepalive-timeout 60s > Node's default server.keepAliveTimeout 5s",
      fix: 'set upstream-keepalive-timeout: "4" in the ingress-nginx ConfigMap',
    },
    {
      file: 'config-invalid.yaml',
      rule: 'config.invalid',
      severity: 'error',
      path: 'spec.template.spec.containers[0].env[2]',
      fix: 'correct the value',
    },
    {
      file: 'config-invalid.yaml',
      rule: 'env.unread',
      severity: 'info',
      path: 'spec.template.spec.containers[0].env[3]',
      fix: 'check that value by hand',
    },
  ];

  // One run over every rule's manifest (a child process each would cost seconds on a busy machine).
  const files = [...new Set(cases.map((c) => c.file))];
  const all = doctorJson(files.map(fixture));

  it('every rule manifest fails: exit 1, one workload per file', () => {
    expect(all.code).toBe(1);
    expect(all.report.workloads).toBe(files.length);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.severity} ${c.rule} at ${c.path}`, () => {
      const found = all.report.findings.filter((f) => f.file === fixture(c.file) && f.rule === c.rule && f.path === c.path);
      expect(found, JSON.stringify(all.report.findings, null, 2)).toHaveLength(1);
      const [f] = found as [Finding];
      expect(f.severity).toBe(c.severity);
      expect(f.object).toBe(c.object ?? f.workload);
      expect(f.fix).toContain(c.fix);
      if (c.arithmetic !== undefined) expect(f.arithmetic).toContain(c.arithmetic);
      expect(f.line).toBeGreaterThan(0);
    });
  }

  it('the invalid value carries the package\'s own message: the variable, the value, what is accepted', () => {
    const f = all.report.findings.find((x) => x.rule === 'config.invalid');
    expect(f?.message).toContain('exit 78');
    expect(f?.message).toContain('GRACEFUL_OTEL_DRAIN_DELAY="5 seconds" is invalid: expected');
  });
});

describe('graceful-otel doctor: input and output', () => {
  it('human output: file:line, severity, rule, object, field path, arithmetic and fix; exit 1 on an error', () => {
    const { code, stdout, stderr } = run(['doctor', 'test/fixtures/doctor/budget-grace-period.yaml']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = readFileSync(fixture('budget-grace-period.yaml'), 'utf8').split('\n');
    // The field is not set: the finding points at the pod spec's key, where it belongs.
    const specLine = lines.findIndex((l) => l === '    spec:') + 1;
    expect(stdout).toContain(`test/fixtures/doctor/budget-grace-period.yaml:${specLine}  error  budget.grace-period  Deployment/shop/orders (container api)\n`);
    expect(stdout).toContain('  at spec.template.spec.terminationGracePeriodSeconds\n');
    expect(stdout).toContain('  fix: set terminationGracePeriodSeconds: 45, or GRACEFUL_OTEL_GRACE_PERIOD=30s\n');
    expect(stdout).toMatch(/doctor: 1 workload \(1 container with graceful-otel\) in 1 file: 1 error, 0 warnings, 0 info\n$/);
  });

  it('stdin with several documents (kustomize/helm output): every workload is checked, findings point at <stdin>', () => {
    const stream = ['examples/kubernetes/deployment.yaml', 'test/fixtures/doctor/prestop-port.yaml'].map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n---\n');
    const { code, report } = doctorJson(['-'], stream);
    expect(code).toBe(1);
    expect(report.files).toEqual(['<stdin>']);
    expect(report.workloads).toBe(2);
    expect(report.findings.map((f) => `${f.file} ${f.object} ${f.rule}`)).toEqual(['<stdin> Deployment/shop/search prestop.port']);
  });

  it('List kinds: a CronJob and a bare Pod inside `kind: List`, with -r and --require= preloads', () => {
    const { code, report } = doctorJson([fixture('list.yaml')]);
    expect(code).toBe(1);
    expect(report.findings.map((f) => `${f.object} ${f.rule} ${f.path}`)).toEqual([
      'CronJob/jobs/nightly-report budget.grace-period spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds',
      'Pod/jobs/debug config.invalid spec.containers[0].env',
      'Pod/jobs/debug entrypoint.package-manager spec.containers[0].command',
    ]);
  });

  it('no graceful-otel container: nothing to check, exit 0; the CRD and the custom resource are skipped quietly', () => {
    const human = run(['doctor', 'test/fixtures/doctor/no-graceful.yaml']);
    expect(human).toEqual({ code: 0, stderr: '', stdout: expect.stringContaining('no container uses graceful-otel') });
    expect(doctorJson([fixture('no-graceful.yaml')]).report).toMatchObject({ workloads: 0, containers: 0, findings: [] });
  });

  it('malformed YAML: file:line:column and the parser\'s sentence, exit 2, no stack', () => {
    const { code, stdout, stderr } = run(['doctor', 'test/fixtures/doctor/malformed.yaml']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^graceful-otel doctor: test\/fixtures\/doctor\/malformed\.yaml:11:\d+: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]\n$/);
  });

  it('usage errors exit 2 with one clear line: no input, a missing file, an unknown format, an unknown command', () => {
    expect(run(['doctor'])).toMatchObject({ code: 2, stderr: expect.stringContaining('name the manifests to check') });
    expect(run(['doctor', 'nope.yaml'])).toMatchObject({ code: 2, stderr: 'graceful-otel doctor: nope.yaml: no such file or directory\n' });
    expect(run(['doctor', '--format', 'xml', 'examples/kubernetes'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format "xml" is not known: expected human or json') });
    expect(run(['docter'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "docter"') });
    expect(run([])).toMatchObject({ code: 2, stderr: expect.stringContaining('  doctor ') });
    expect(run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: graceful-otel <command>') });
  });
});

describe('graceful-otel doctor from the packed tarball', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-doctor-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('npm i <tarball>, then npx graceful-otel doctor: clean example exit 0, broken manifest exit 1', () => {
    const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 120_000 });
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], ROOT)) as [{ filename: string }];
    const app = path.join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }));
    npm(['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock', path.join(scratch, packed.filename)], app);
    const npx = (args: string[]) => spawnSync('npx', ['--no-install', 'graceful-otel', 'doctor', ...args], { cwd: app, encoding: 'utf8', timeout: 20_000 });
    const clean = npx([path.join(ROOT, 'examples/kubernetes')]);
    expect({ code: clean.status, stdout: clean.stdout }).toEqual({ code: 0, stdout: 'doctor: 1 workload (1 container with graceful-otel) in 3 files: 0 errors, 0 warnings, 0 info\n' });
    const broken = npx([fixture('probe-liveness-readyz.yaml')]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('probe.liveness-readyz');
  });
});
