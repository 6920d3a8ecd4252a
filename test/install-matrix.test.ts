/**
 * The packed tarball installed with npm into scratch apps, the way users get it: (a) an app on
 * @opentelemetry/api 1.9.1 with auto-instrumentations-node 0.81.0 pinned, (b) the newest versions,
 * (c) an app with its own NodeSDK setup file (exporting over gRPC), (d) no OpenTelemetry at all.
 * In (a)–(c) the shutdown trace (root + phase spans) arrives at a real OTLP receiver with a 1 s
 * request in flight at SIGTERM, and `npm ls` shows one copy of the API. In (d) it arrives too once
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (graceful-otel's own exporter), and without it one line says
 * how to get it; (d) is also the install budget: packages, size, no install-script warning.
 *
 * Installs need the npm registry. Each scratch app's node_modules is cached under the OS temp
 * directory, keyed by its dependency set and graceful-otel's, so a run installs them once (the
 * Node 22 pass of CI reuses them); each run then installs only the fresh tarball into them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpReceiver } from '../examples/lib/otlp-receiver.mjs';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpGrpcReceiver } from '../examples/lib/otlp-grpc-receiver.mjs';
import { ATTR, SPAN, TRACE_LOG_EVENT, TRACER_NAME } from '../src/telemetry/names.js';
import { FIXTURES, get, ROOT, startApp, stopAll } from './helpers/app.js';
import type { ReceivedSpan as Span, Receiver } from './helpers/otlp.js';

const run = promisify(execFile);
/** npm's CLI script, run with the Node under test (so engine checks see the Node the app runs on). */
const NPM_CLI = process.env.npm_execpath ?? realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
const INSTALL_TIMEOUT_MS = 240_000;

/** The scratch app's server: `/?delay=ms` answers after ms and prints a 'received' line first. */
const APP_SOURCE = `import http from 'node:http';
const server = http.createServer((request, response) => {
  const delay = Number(new URL(request.url, 'http://x').searchParams.get('delay') ?? 0);
  console.log(JSON.stringify({ msg: 'received', path: request.url }));
  setTimeout(() => response.end('ok'), delay);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: server.address().port })));
`;
/** (c)'s tracing file, as an app would write it. */
const SETUP_SOURCE = `import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
new NodeSDK({ instrumentations: [new HttpInstrumentation()], metricReaders: [], logRecordProcessors: [] }).start();
`;

interface Scenario {
  id: string;
  dependencies: string[];
  nodeArgs: string[];
  protocol?: 'grpc';
  files?: Record<string, string>;
}
const AUTO_REGISTER = ['--require', '@opentelemetry/auto-instrumentations-node/register'];
const SCENARIOS: Scenario[] = [
  { id: 'a-api-1.9-auto-0.81', dependencies: ['@opentelemetry/api@1.9.1', '@opentelemetry/auto-instrumentations-node@0.81.0'], nodeArgs: AUTO_REGISTER },
  { id: 'b-newest', dependencies: ['@opentelemetry/api@latest', '@opentelemetry/auto-instrumentations-node@latest'], nodeArgs: AUTO_REGISTER },
  {
    id: 'c-own-node-sdk',
    dependencies: ['@opentelemetry/api@latest', '@opentelemetry/sdk-node@latest', '@opentelemetry/instrumentation-http@latest'],
    nodeArgs: ['--import', './tracing.mjs'],
    protocol: 'grpc',
    files: { 'tracing.mjs': SETUP_SOURCE },
  },
  { id: 'd-no-opentelemetry', dependencies: [], nodeArgs: [] },
  // Process shapes: the preload through NODE_OPTIONS, as a container image sets it.
  {
    id: 'e-shapes',
    dependencies: [],
    nodeArgs: [],
    files: {
      'cluster-app.cjs': readFileSync(path.join(FIXTURES, 'cluster-app.cjs'), 'utf8'),
      'wrapper.cjs': readFileSync(path.join(FIXTURES, 'wrapper.cjs'), 'utf8'),
    },
  },
];

const npm = (cwd: string, ...args: string[]) =>
  run(process.execPath, [NPM_CLI, ...args], { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 << 20, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

let tarball: string;
let cacheRoot: string;
const installs = new Map<string, { dir: string; output: string }>();

beforeAll(async () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const key = createHash('sha256').update(JSON.stringify([pkg.dependencies, pkg.peerDependencies])).digest('hex').slice(0, 12);
  cacheRoot = path.join(os.tmpdir(), 'graceful-otel-install-matrix', key);
  mkdirSync(cacheRoot, { recursive: true });
  // The build is fresh (the test script builds first); pack what would be published.
  const packDir = path.join(cacheRoot, `pack-${process.pid}`);
  mkdirSync(packDir, { recursive: true });
  const { stdout } = await npm(ROOT, 'pack', '--json', '--ignore-scripts', '--pack-destination', packDir);
  tarball = path.join(packDir, (JSON.parse(stdout) as { filename: string }[])[0].filename);
  // Installs run in parallel: the registry's latency, not the 2 cores, is what they wait on.
  await Promise.all(SCENARIOS.map(async (s) => installs.set(s.id, await install(s))));
}, INSTALL_TIMEOUT_MS * 2);

afterAll(async () => {
  await stopAll();
  rmSync(path.dirname(tarball), { recursive: true, force: true });
});

/** The scenario's app: its pinned dependencies cached; the tarball installed afresh with them. */
async function install(s: Scenario): Promise<{ dir: string; output: string }> {
  const dir = path.join(cacheRoot, s.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `scratch-${s.id}`, private: true, type: 'module' }, null, 2));
  writeFileSync(path.join(dir, 'app.mjs'), APP_SOURCE);
  for (const [name, source] of Object.entries(s.files ?? {})) writeFileSync(path.join(dir, name), source);
  const pinned = s.dependencies.map((d) => (d.endsWith('@latest') && existsSync(path.join(dir, 'node_modules', d.slice(0, -7))) ? d.slice(0, -7) : d));
  const { stdout, stderr } = await npm(dir, 'install', '--no-save', '--save-exact', tarball, ...pinned);
  return { dir, output: `${stdout}\n${stderr}` };
}

/** Paths of every installed copy of a package. */
async function copies(dir: string, name: string): Promise<string[]> {
  const { stdout } = await npm(dir, 'ls', name, '--all', '--parseable').catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  return [...new Set(stdout.split('\n').filter((line) => line.includes(`node_modules${path.sep}${name}`)))];
}

describe('the packed tarball in scratch apps', () => {
  let http: Receiver;
  let grpc: Receiver;
  beforeAll(async () => {
    http = (await startOtlpReceiver()) as Receiver;
    grpc = (await startOtlpGrpcReceiver()) as Receiver;
  });
  afterAll(async () => {
    await http?.close();
    await grpc?.close();
  });

  it.each(SCENARIOS.filter((s) => s.id < 'd-'))('$id: one @opentelemetry/api; the shutdown trace arrives with a 1 s request in flight', async (s) => {
    const { dir } = installs.get(s.id)!;
    expect(await copies(dir, '@opentelemetry/api')).toHaveLength(1);
    const receiver = s.protocol === 'grpc' ? grpc : http;
    const app = await startApp(path.join(dir, 'app.mjs'), {
      cwd: dir,
      nodeArgs: s.nodeArgs,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: s.protocol ?? 'http/protobuf',
        OTEL_SERVICE_NAME: s.id,
        OTEL_SDK_DISABLED: 'false',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
        OTEL_NODE_RESOURCE_DETECTORS: 'env',
      },
    });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    app.signal('SIGTERM');
    expect((await slow).status).toBe(200);
    expect((await app.exited).code).toBe(0);
    // Both HTTP scenarios share a receiver: each app's spans carry its service name.
    const spans = receiver.spans.filter((span) => span.resource['service.name'] === s.id);
    const root = spans.find((span) => span.name === SPAN.root);
    expect(root?.scope).toBe(TRACER_NAME);
    expect(root?.attributes[ATTR.inflightRequests]).toBe(1);
    expect(childrenOf(spans, root!).map((span) => span.name).sort()).toEqual([`${SPAN.phasePrefix}drain`, `${SPAN.phasePrefix}hooks`]);
    // The app's own request span made it too (its SDK was flushed after the drain).
    expect(spans.some((span) => span.scope === '@opentelemetry/instrumentation-http' && span.attributes['url.path'] === '/')).toBe(true);
    expect(app.logs().filter((line) => line.event === 'trace.api_mismatch')).toEqual([]);
    expect(app.logs().find((line) => line.event === 'shutdown.started')?.trace_id).toBe(root?.traceId);
  }, 30_000);

  it('d-no-opentelemetry: ≤ 20 packages, ≤ 10 MB, no install-script warning; exits cleanly and says once how to get the trace', async () => {
    const { dir, output } = installs.get('d-no-opentelemetry')!;
    const modules = path.join(dir, 'node_modules');
    const names = listPackages(modules);
    expect(names).toContain('graceful-otel');
    // No SDK: only the API, which prom-client depends on.
    expect(names.filter((name) => name.startsWith('@opentelemetry/'))).toEqual(['@opentelemetry/api']);
    expect(names.length, names.join(' ')).toBeLessThanOrEqual(20);
    expect(duBytes(modules) / 1e6).toBeLessThanOrEqual(10);
    expect(output).not.toMatch(/install script|allowScripts|allow-scripts/i);
    const app = await startApp(path.join(dir, 'app.mjs'), { cwd: dir, env: { OTEL_SDK_DISABLED: undefined } });
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    const hints = app.logs().filter((line) => line.event === TRACE_LOG_EVENT.unavailable);
    expect(hints).toHaveLength(1);
    expect(String(hints[0].msg)).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
  }, 30_000);

  it.each(['http/protobuf', 'grpc'])('d-no-opentelemetry with OTEL_EXPORTER_OTLP_ENDPOINT set (%s): graceful-otel exports the shutdown trace itself', async (protocol) => {
    const { dir } = installs.get('d-no-opentelemetry')!;
    const receiver = protocol === 'grpc' ? grpc : http;
    const app = await startApp(path.join(dir, 'app.mjs'), {
      cwd: dir,
      env: { OTEL_SDK_DISABLED: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: `d-${protocol}` },
    });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    app.signal('SIGTERM');
    expect((await slow).status).toBe(200);
    expect((await app.exited).code).toBe(0);
    const spans = receiver.spans.filter((span) => span.resource?.['service.name'] === `d-${protocol}`);
    const root = spans.find((span) => span.name === SPAN.root);
    expect(root?.scope).toBe(TRACER_NAME);
    expect(root?.attributes[ATTR.inflightRequests]).toBe(1);
    expect(childrenOf(spans, root!).map((span) => span.name).sort()).toEqual([`${SPAN.phasePrefix}drain`, `${SPAN.phasePrefix}hooks`]);
    expect(app.logs().filter((line) => line.event === TRACE_LOG_EVENT.unavailable)).toEqual([]);
    expect(app.logs().find((line) => line.event === 'shutdown.started')?.trace_id).toBe(root?.traceId);
  }, 30_000);
});

describe('process shapes from the packed tarball, the preload in NODE_OPTIONS', () => {
  const env = { NODE_OPTIONS: '--import graceful-otel/register' };

  // (npm start is no such wrapper: npm hands SIGTERM to `sh -c`, which dies without passing it on,
  // and npm exits with the app orphaned; README, Deploying.)
  it('a launcher that spawns the app and forwards SIGTERM: it exits 0 after the app drained a 1 s request, writing no line of its own', async () => {
    const { dir } = installs.get('e-shapes')!;
    const launcher = await startApp(path.join(dir, 'wrapper.cjs'), { cwd: dir, preload: 'none', args: ['app.mjs'], env });
    const slow = get(launcher.port, '/?delay=1000');
    await launcher.received();
    launcher.signal('SIGTERM');
    expect((await slow).status).toBe(200);
    expect((await launcher.exited).code).toBe(0);
    const lines = launcher.logs();
    expect(lines.find((l) => l.event === 'shutdown.summary')).toMatchObject({ exit_code: 0, drain: { outcome: 'clean' } });
    expect(lines.filter((l) => l.pid === launcher.child.pid)).toEqual([]);
  }, 30_000);

  it('node:cluster: SIGTERM to the primary, a 1 s request in flight gets 200, every process exits 0', async () => {
    const { dir } = installs.get('e-shapes')!;
    const primary = await startApp(path.join(dir, 'cluster-app.cjs'), { cwd: dir, preload: 'none', env });
    const slow = get(primary.port, '/?delay=1000');
    await primary.received();
    primary.signal('SIGTERM');
    expect((await slow).status).toBe(200);
    expect((await primary.exited).code).toBe(0);
    const summaries = primary.logs().filter((l) => l.event === 'shutdown.summary');
    expect(summaries.map((l) => l.exit_code)).toEqual([0, 0, 0]);
  }, 30_000);
});

function childrenOf(spans: Span[], root: Span): Span[] {
  return spans.filter((span) => span.traceId === root.traceId && span.parentSpanId === root.spanId);
}

/** Every installed package (scoped ones by scope/name), at any depth. */
function listPackages(modules: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path.join(dir, entry))) visit(path.join(dir, entry, scoped), `${entry}/${scoped}`);
      } else visit(path.join(dir, entry), entry);
    }
  };
  const visit = (dir: string, name: string): void => {
    found.push(name);
    walk(path.join(dir, 'node_modules'));
  };
  walk(modules);
  return found;
}

/** Bytes on disk under a directory (file sizes). */
function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}
