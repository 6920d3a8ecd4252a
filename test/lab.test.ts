/**
 * The rollout lab end to end (examples/rollout-lab): a short run with Debian's Caddy and
 * Prometheus, three instances per mode, one rolling restart under fixed-rate keep-alive load.
 * Without shutdown handling the lab must see the damage (failed requests, 502s at the proxy, the
 * pack's deploy alert); under graceful-otel it must see none. Also: a missing package is named,
 * and an interrupted run leaves no process and no temp dir behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './helpers/app.js';
import { DRAIN_TIMEOUT, GRACEFUL_ENV, REPLICAS, RUNS, SHUTDOWN } from '../examples/rollout-lab/lib/timings.mjs';

const LAB = path.join(ROOT, 'examples/rollout-lab/lab.mjs');
const DEPLOY_ALERT = 'GracefulOtelDeployGatewayErrors';

interface Mode {
  id: string;
  requests: { sent: number; failedStatus: number; failedConnection: number };
  proxy: { gatewayErrors: number; caddy: { gatewayErrors: number }; haproxy: { gatewayErrors: number; byCode: Record<string, number> } };
  requestsByProxy: { caddy: { sent: number; failedStatus: number; failedConnection: number }; haproxy: { sent: number; failedStatus: number; failedConnection: number } };
  alerts: string[];
  exitCodes: number[];
  peakGatewayErrorRatio?: number;
  timeline: {
    instances: {
      pid: number;
      teardown: boolean;
      deletedAt?: number;
      sigtermAt?: number;
      preStopEndedAt?: number;
      preStopExit?: number;
      summary?: { exit_code: number; trigger?: string };
    }[];
  };
}
interface Report {
  modes: Mode[];
  expressions: { expr: string; error?: string; series: number }[];
  tempDir: string;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const labs = new Set<number>();
const outDirs: string[] = [];

// Each lab runs in its own process group: if a test gives up on it, the whole group goes.
afterAll(() => {
  for (const pid of labs) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

function startLab(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [LAB, ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  labs.add(child.pid as number);
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve) => {
    child.once('close', (code, signal) => {
      labs.delete(child.pid as number);
      resolve({ code, signal, stderr });
    });
  });
  const waitForStderr = async (pattern: RegExp, ms: number): Promise<RegExpMatchArray> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const m = stderr.match(pattern);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`lab printed no ${pattern} within ${ms} ms:\n${stderr}`);
  };
  return { child, done, waitForStderr };
}

function outDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-test-out-'));
  outDirs.push(dir);
  return dir;
}

/** Running, not a zombie: a killed child stays a zombie until its new parent reaps it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pids still alive after a bounded wait (SIGKILL is delivered asynchronously). */
async function survivors(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 40 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

/** Pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // The command name is in parentheses and may hold spaces: the parent pid follows it.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('Kubernetes manifests mirror the lab', () => {
  type Doc = { kind: string; spec: Record<string, any> };
  const docs = ['deployment.yaml', 'servicemonitor.yaml'].flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(ROOT, 'examples/kubernetes', file), 'utf8')).map((d) => d.toJS() as Doc),
  );
  const byKind = (kind: string) => docs.find((d) => d.kind === kind) as Doc;
  const pod = byKind('Deployment').spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));

  it('the same budget: grace period = delay + drain + hooks + flush + margin = terminationGracePeriodSeconds', () => {
    const { gracePeriod, drainDelay, hooks, flush, safetyMargin } = SHUTDOWN;
    expect(drainDelay + DRAIN_TIMEOUT + hooks + flush + safetyMargin).toBe(gracePeriod);
    expect(DRAIN_TIMEOUT).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBe(gracePeriod);
    for (const name of ['GRACE_PERIOD', 'DRAIN_DELAY', 'HOOKS_TIMEOUT', 'FLUSH_TIMEOUT', 'SAFETY_MARGIN'].map((n) => `GRACEFUL_OTEL_${n}`)) {
      expect(env[name], name).toBe(GRACEFUL_ENV[name as keyof typeof GRACEFUL_ENV]);
    }
  });

  it('the same rollout, probes on the health port, a preStop hook, a scrape of /metrics', () => {
    const deployment = byKind('Deployment').spec;
    expect(deployment.replicas).toBe(REPLICAS);
    expect(deployment.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const health = container.ports.find((p: { name: string }) => p.name === 'health').containerPort;
    expect(String(health)).toBe(env.GRACEFUL_OTEL_HEALTH_PORT);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'health' });
    expect(container.lifecycle.preStop.exec.command.join(' ')).toContain(`http://127.0.0.1:${health}/prestop`);
    const service = byKind('Service').spec;
    expect(service.ports.map((p: { name: string }) => p.name)).toContain('health');
    const monitor = byKind('ServiceMonitor').spec;
    expect(monitor.selector.matchLabels).toEqual(service.selector);
    expect(monitor.endpoints[0]).toMatchObject({ port: 'health', path: '/metrics' });
  });
});

describe('rollout lab', () => {
  it('names the missing Debian packages and starts nothing', async () => {
    const { done } = startLab(['--short', '--out', outDir()], { PATH: '/nonexistent' });
    const run = await done;
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/`caddy`.*Debian package "caddy"/);
    expect(run.stderr).toMatch(/`haproxy`.*Debian package "haproxy"/);
    expect(run.stderr).toMatch(/`prometheus`.*Debian package "prometheus"/);
    expect(run.stderr).toContain('apt-get install --no-install-recommends caddy haproxy prometheus');
  });

  it('an interrupted run leaves no process and no temp dir behind', async () => {
    const lab = startLab(['--short', '--modes', 'none', '--out', outDir()]);
    const [, tmp] = await lab.waitForStderr(/temp dir (\S+)/, 20_000);
    // Caddy, HAProxy, Prometheus and three instances are running once the load starts.
    await lab.waitForStderr(/\[none\] load:/, 60_000);
    const children = childrenOf(lab.child.pid as number);
    expect(children.length).toBeGreaterThanOrEqual(6);
    lab.child.kill('SIGINT');
    const run = await lab.done;
    expect(run.code).toBe(130);
    expect(await survivors(children)).toEqual([]);
    expect(existsSync(tmp as string)).toBe(false);
  }, 90_000);

  it('short run: without handling the proxy returns 502s and the deploy alert fires; under graceful-otel nothing fails', async () => {
    const out = outDir();
    const run = await startLab(['--short', '--out', out]).done;
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as Report;
    const mode = (id: string) => report.modes.find((m) => m.id === id) as Mode;
    const none = mode('none');
    const graceful = mode('graceful-otel');
    expect(mode('naive')).toBeDefined();

    // Identical load: every mode got at least the fixed-rate schedule of the short run.
    const { rate, loadS } = RUNS.short;
    for (const m of report.modes) expect(m.requests.sent).toBeGreaterThanOrEqual(rate * loadS);

    // The lab can see the problem...
    expect(none.requests.failedStatus + none.requests.failedConnection).toBeGreaterThan(0);
    expect(none.proxy.gatewayErrors).toBeGreaterThan(0);
    // Both proxies carried load and saw the damage: Caddy's 502s, HAProxy's 5xx class (after idle
    // scrapes of 0 requests, which once poisoned the baseline with NaN).
    expect(none.requestsByProxy.caddy.sent).toBeGreaterThan(0);
    expect(none.requestsByProxy.haproxy.sent).toBeGreaterThan(0);
    expect(none.proxy.caddy.gatewayErrors).toBeGreaterThan(0);
    expect(none.proxy.haproxy.gatewayErrors).toBeGreaterThan(0);
    // ...through the pack's Caddy mapping and its deploy-time alert.
    expect(none.peakGatewayErrorRatio).toBeGreaterThan(0.01);
    expect(none.alerts).toContain(DEPLOY_ALERT);
    expect(none.exitCodes).toEqual([143, 143, 143]);

    // graceful-otel: not one failed request, not one gateway error, no alert.
    expect(graceful.requests.failedStatus).toBe(0);
    expect(graceful.requests.failedConnection).toBe(0);
    expect(graceful.proxy.gatewayErrors).toBe(0);
    expect(graceful.proxy.haproxy.byCode['2xx']).toBeGreaterThan(0);
    expect(graceful.alerts).not.toContain(DEPLOY_ALERT);
    expect(graceful.exitCodes).toEqual([0, 0, 0]);
    // The kubelet stand-in ran the Deployment's preStop hook (with the preload in NODE_OPTIONS)
    // before SIGTERM: it returned 0 once the drain was over, and the shutdown began with it. (On a
    // loaded machine the app may be gone before the hook's own exit is seen: then no SIGTERM.)
    const stopped = graceful.timeline.instances.filter((i) => i.deletedAt !== undefined && !i.teardown);
    expect(stopped.length).toBe(3);
    for (const i of stopped) {
      expect(i.preStopExit).toBe(0);
      if (i.sigtermAt !== undefined) expect(i.sigtermAt).toBeGreaterThanOrEqual(i.preStopEndedAt as number);
      expect(i.summary?.trigger).toBe('prestop');
    }

    // Every dashboard expression parses in Prometheus; the gateway error panels (normalised
    // load-balancer series, code 502) and graceful-otel's own panels have data.
    expect(report.expressions.length).toBeGreaterThan(10);
    expect(report.expressions.filter((e) => e.error)).toEqual([]);
    const withData = report.expressions.filter((e) => e.series > 0).map((e) => e.expr);
    expect(withData.some((e) => e.includes('graceful:lb_requests') && e.includes('502'))).toBe(true);
    expect(withData.some((e) => e.includes('graceful_shutdown_phase'))).toBe(true);

    // A chart was drawn, and nothing of the run is left.
    expect(readFileSync(path.join(out, 'result.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    const pids = report.modes.flatMap((m) => m.timeline.instances.map((i) => i.pid));
    expect(await survivors(pids)).toEqual([]);
    expect(existsSync(report.tempDir)).toBe(false);
  }, 180_000);
});
