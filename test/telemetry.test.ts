/**
 * Acceptance of the shutdown's telemetry, counted at real receivers: spans at an OTLP receiver,
 * log lines on disk and on stdout, metrics in the app's own registry and on the health port
 * (linted by promtool), final values in a real Pushgateway, and a dead or blackholed exporter
 * that cannot push the exit past the grace period.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import grpcJs from '@grpc/grpc-js';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpReceiver } from '../examples/lib/otlp-receiver.mjs';
// @ts-expect-error plain JS module shared with the demo
import { startOtlpGrpcReceiver } from '../examples/lib/otlp-grpc-receiver.mjs';
import { ATTR, RESOURCE_ATTR, SPAN, SPAN_EVENT, TRACE_LOG_EVENT, TRACER_NAME } from '../src/telemetry/names.js';
import { FIXTURES, get, sleep, startApp, stopAll } from './helpers/app.js';
import type { ReceivedSpan as Span, Receiver } from './helpers/otlp.js';


const APP = path.join(FIXTURES, 'telemetry-app.mjs');
const TEST_APP = path.join(FIXTURES, 'app.mjs');
let receiver: Receiver;
let dir: string;

const otlpEnv = (): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_SERVICE_NAME: 'telemetry-test',
  OTEL_BSP_SCHEDULE_DELAY: '60000', // nothing is exported before the final flush unless we flush
  OTEL_SDK_DISABLED: 'false',
});

beforeAll(async () => {
  receiver = (await startOtlpReceiver()) as Receiver;
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.spans.length = 0;
  receiver.headers.length = 0;
  for (const encoding of Object.keys(receiver.requests)) receiver.requests[encoding] = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-tel-'));
});
afterEach(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('the shutdown trace', () => {
  it('arrives at the OTLP receiver with a span per phase and hook, and the root attributes', async () => {
    const app = await startApp(TEST_APP, {
      env: { ...otlpEnv(), HOOKS: 'close-db:ok,stuck:hang:300ms', GRACEFUL_OTEL_DRAIN_DELAY: '200ms', GRACEFUL_OTEL_GRACE_PERIOD: '10s', GRACEFUL_OTEL_DRAIN_TIMEOUT: '700ms' },
    });
    const hung = get(app.port, '/hang');
    await app.received();
    app.signal('SIGTERM');
    await hung;
    expect((await app.exited).code).toBe(1);

    const root = receiver.spans.find((s) => s.name === 'graceful.shutdown');
    expect(root).toBeDefined();
    const trace = receiver.spans.filter((s) => s.traceId === root?.traceId);
    const children = trace.filter((s) => s.parentSpanId === root?.spanId);
    expect(children.map((s) => s.name).sort()).toEqual([
      'graceful.shutdown.delay',
      'graceful.shutdown.drain',
      'graceful.shutdown.hook',
      'graceful.shutdown.hook',
      'graceful.shutdown.hooks',
    ]);
    expect(children.filter((s) => s.name === 'graceful.shutdown.hook').map((s) => s.attributes['graceful.hook.outcome']).sort()).toEqual(['ok', 'timeout']);
    expect(root?.attributes).toMatchObject({
      'graceful.shutdown.trigger': 'SIGTERM',
      'graceful.shutdown.connections': 1,
      'graceful.shutdown.inflight_requests': 1,
      'graceful.shutdown.forced.request': 1,
      'graceful.shutdown.forced.connection': 1,
      'graceful.shutdown.forced.hook': 1,
      'graceful.shutdown.hook_failures': 1,
      'graceful.shutdown.drain.outcome': 'forced',
      'process.exit.code': 1,
    });
    expect(root?.attributes['graceful.shutdown.drain.duration_ms']).toBeGreaterThan(500);
    expect(root?.events.map((e) => e.name)).toEqual([SPAN_EVENT.drainStarted, SPAN_EVENT.deadlineReached]);
    const drain = children.find((s) => s.name === 'graceful.shutdown.drain');
    expect(drain?.events).toEqual([
      { name: SPAN_EVENT.requestCancelled, attributes: expect.objectContaining({ 'http.request.method': 'GET', 'url.path': '/hang' }) },
    ]);
    // Log lines of the shutdown carry the trace id.
    const started = app.logs().find((l) => l.event === 'shutdown.started');
    expect(started?.trace_id).toBe(root?.traceId);
  });

  it('all N request spans of slow requests in flight at SIGTERM arrive (app SDK set up by a later preload)', async () => {
    const app = await startApp(APP, { nodeArgs: ['--import', path.join(FIXTURES, 'otel-setup.mjs')], env: otlpEnv() });
    const n = 5;
    const slow = Promise.all(Array.from({ length: n }, () => get(app.port, '/?delay=1000')));
    await app.received(n);
    app.signal('SIGTERM');
    const results = await slow;
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect((await app.exited).code).toBe(0);
    const serverSpans = receiver.spans.filter((s) => s.scope === '@opentelemetry/instrumentation-http' && s.attributes['url.path'] === '/');
    expect(serverSpans).toHaveLength(n);
    // One SDK: the app's; the shutdown trace went through it too.
    expect(receiver.spans.some((s) => s.name === 'graceful.shutdown')).toBe(true);
  });

  it('also when @opentelemetry/auto-instrumentations-node/register is preloaded (its sdk.shutdown runs after the drain)', async () => {
    const app = await startApp(APP, {
      nodeArgs: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
      env: { ...otlpEnv(), OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' },
    });
    const n = 4;
    const slow = Promise.all(Array.from({ length: n }, () => get(app.port, '/?delay=1000')));
    await app.received(n);
    app.signal('SIGTERM');
    expect((await slow).every((r) => r.status === 200)).toBe(true);
    expect((await app.exited).code).toBe(0);
    const serverSpans = receiver.spans.filter((s) => s.scope === '@opentelemetry/instrumentation-http' && s.attributes['url.path'] === '/');
    expect(serverSpans).toHaveLength(n);
    expect(receiver.spans.some((s) => s.name === 'graceful.shutdown')).toBe(true);
  });

  it('never a silent no-op: when the API copy refuses the registered provider, the trace goes through that provider and a warning names both versions', async () => {
    const app = await startApp(TEST_APP, {
      nodeArgs: ['--import', path.join(FIXTURES, 'otel-setup.mjs'), '--import', path.join(FIXTURES, 'otel-older-global.mjs')],
      env: otlpEnv(),
    });
    const slow = get(app.port, '/?delay=1000');
    await app.received();
    app.signal('SIGTERM');
    await slow;
    expect((await app.exited).code).toBe(0);
    const root = receiver.spans.find((s) => s.name === SPAN.root);
    expect(root?.scope).toBe(TRACER_NAME);
    expect(receiver.spans.filter((s) => s.parentSpanId === root?.spanId).map((s) => s.name).sort()).toEqual([`${SPAN.phasePrefix}drain`, `${SPAN.phasePrefix}hooks`]);
    const warning = app.logs().find((l) => l.event === 'trace.api_mismatch');
    expect(warning).toMatchObject({ api_loaded: '1.10.0', api_registered: '1.9.1' });
    expect(String(warning?.msg)).toMatch(/1\.10\.0.*1\.9\.1/);
    // The log lines still carry the trace id.
    expect(app.logs().find((l) => l.event === 'shutdown.started')?.trace_id).toBe(root?.traceId);
  });

  it('graceful-otel exports it on its own when the app has no SDK; OTEL_SDK_DISABLED=true turns it off', async () => {
    const on = await startApp(TEST_APP, { env: otlpEnv() });
    on.signal('SIGTERM');
    await on.exited;
    expect(receiver.spans.filter((s) => s.name === 'graceful.shutdown')).toHaveLength(1);
    expect(receiver.spans.find((s) => s.name === 'graceful.shutdown')?.scope).toBe('graceful-otel');

    receiver.spans.length = 0;
    const off = await startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_SDK_DISABLED: 'true' } });
    off.signal('SIGTERM');
    expect((await off.exited).code).toBe(0);
    expect(receiver.spans).toHaveLength(0);
  });
});

describe('the shutdown trace over each OTLP protocol, exported by graceful-otel on its own', () => {
  const receivers: Record<string, () => Promise<Receiver>> = {
    'http/json': startOtlpReceiver,
    'http/protobuf': startOtlpReceiver,
    grpc: startOtlpGrpcReceiver,
  };
  it.each(Object.keys(receivers))('%s: root and phase spans arrive with a 1 s request in flight; no OpenTelemetry package resolvable, no global registered', async (protocol) => {
    const own = protocol === 'http/json' ? receiver : await receivers[protocol]();
    const notes = path.join(dir, 'notes');
    try {
      const app = await startApp(TEST_APP, {
        // No OpenTelemetry package resolvable: the endpoint variable alone turns the export on.
        nodeArgs: ['--import', path.join(FIXTURES, 'otel-global-probe.mjs'), '-r', path.join(FIXTURES, 'no-otel-packages.cjs')],
        env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: own.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, NOTES: notes },
      });
      const slow = get(app.port, '/?delay=1000');
      await app.received();
      app.signal('SIGTERM');
      expect((await slow).status).toBe(200);
      expect((await app.exited).code).toBe(0);
      const root = own.spans.find((s) => s.name === SPAN.root);
      expect(root?.scope).toBe(TRACER_NAME);
      expect(root?.attributes[ATTR.inflightRequests]).toBe(1);
      expect(root?.resource?.['service.name']).toBe('telemetry-test');
      const children = own.spans.filter((s) => s.parentSpanId === root?.spanId).map((s) => s.name);
      expect(children.sort()).toEqual([`${SPAN.phasePrefix}drain`, `${SPAN.phasePrefix}hooks`]);
      const encoding = protocol === 'grpc' ? 'grpc' : protocol === 'http/json' ? 'json' : 'protobuf';
      expect(own.requests[encoding]).toBeGreaterThan(0);
      // graceful-otel's own exporter: the app's global OpenTelemetry state stayed empty.
      expect(readFileSync(notes, 'utf8')).toContain('otel globals: []');
    } finally {
      if (own !== receiver) await own.close();
    }
  });
});

describe("graceful-otel's own exporter", () => {
  /** A port with nothing listening on it. */
  const refusedPort = async (): Promise<number> => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
  };

  it('warms up with one empty request 2.5 s after listen (idle server, no traffic); a refused endpoint is reported before SIGTERM', async () => {
    const grpc = (await startOtlpGrpcReceiver()) as Receiver;
    try {
      const port = await refusedPort();
      const [protobufApp, grpcApp, refusedApp, refusedGrpcApp] = await Promise.all([
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } }),
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } }),
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      ]);
      for (const app of [refusedApp, refusedGrpcApp]) {
        const unreachable = await app.waitForEvent(TRACE_LOG_EVENT.endpointUnreachable, 6000);
        expect(unreachable.msg).toContain(`127.0.0.1:${port}`);
        expect(unreachable.msg).toContain('connection refused');
      }
      await sleep(4000 - 2500);
      // The warm-up request, and nothing else, before SIGTERM.
      expect(receiver.requests.protobuf).toBe(1);
      expect(receiver.spans).toHaveLength(0);
      expect(grpc.requests.grpc).toBe(1);
      expect(protobufApp.logs().filter((l) => l.event === TRACE_LOG_EVENT.endpointUnreachable)).toEqual([]);
      for (const app of [protobufApp, grpcApp, refusedApp, refusedGrpcApp]) app.signal('SIGTERM');
      const exits = await Promise.all([protobufApp.exited, grpcApp.exited, refusedApp.exited, refusedGrpcApp.exited]);
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
      // The shutdown trace in one more request each.
      expect(receiver.requests.protobuf).toBe(2);
      expect(grpc.requests.grpc).toBe(2);
      for (const spans of [receiver.spans, grpc.spans]) expect(spans.filter((s) => s.name === SPAN.root)).toHaveLength(1);
      // The warning came once, and the refused export is a flush failure, not a crash.
      expect(refusedApp.logs().filter((l) => l.event === TRACE_LOG_EVENT.endpointUnreachable)).toHaveLength(1);
      for (const app of [refusedApp, refusedGrpcApp]) {
        const failed = app.logs().find((l) => l.event === 'flush.failed' && l.step === 'opentelemetry providers');
        expect(String(failed?.detail)).toContain(`http://127.0.0.1:${port}: connection refused`);
      }
    } finally {
      await grpc.close();
    }
  }, 20_000);

  it('gzip compression and OTEL_EXPORTER_OTLP_HEADERS reach the receiver (http/protobuf and grpc); the resource from OTEL_RESOURCE_ATTRIBUTES, the pid and host name', async () => {
    const grpc = (await startOtlpGrpcReceiver()) as Receiver;
    try {
      const env = {
        ...otlpEnv(),
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s%20cret,tenant=blue',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'tenant=green',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=st%C3%A4ging,service.name=ignored',
      };
      const apps = await Promise.all([
        startApp(TEST_APP, { env: { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } }),
        startApp(TEST_APP, { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      ]);
      for (const app of apps) app.signal('SIGTERM');
      await Promise.all(apps.map((a) => a.exited));
      const http = receiver.headers.at(-1) as Record<string, string>;
      expect(http['content-encoding']).toBe('gzip');
      expect(http['x-api-key']).toBe('s cret');
      expect(http.tenant).toBe('green');
      expect(grpc.headers.at(-1)).toMatchObject({ 'x-api-key': 's cret', tenant: 'green' });
      for (const spans of [receiver.spans, grpc.spans]) {
        const root = spans.find((s) => s.name === SPAN.root);
        expect(root?.resource).toMatchObject({ [RESOURCE_ATTR.serviceName]: 'telemetry-test', 'deployment.environment': 'stäging', [RESOURCE_ATTR.hostName]: os.hostname() });
        expect(typeof root?.resource?.[RESOURCE_ATTR.processPid]).toBe('number');
      }
    } finally {
      await grpc.close();
    }
  });

  it('an error answer is an export error with the status and the start of the body (HTTP 503; gRPC UNIMPLEMENTED); neither is "unreachable"', async () => {
    const body = `overloaded ${'x'.repeat(300)}`;
    const failing = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(503, { 'content-type': 'text/plain' }).end(body));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    // A gRPC server without the trace service: every call ends with grpc-status 12.
    const bare = new grpcJs.Server();
    const grpcPort = await new Promise<number>((resolve, reject) =>
      bare.bindAsync('127.0.0.1:0', grpcJs.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    try {
      const apps = await Promise.all([
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}` } }),
        startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${grpcPort}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      ]);
      await sleep(3200); // past the warm-up request
      for (const app of apps) app.signal('SIGTERM');
      await Promise.all(apps.map((a) => a.exited));
      const detail = (app: (typeof apps)[number]) =>
        String(app.logs().find((l) => l.event === 'flush.failed' && l.step === 'opentelemetry providers')?.detail);
      expect(detail(apps[0])).toContain('HTTP 503');
      expect(detail(apps[0])).toContain(body.slice(0, 200));
      expect(detail(apps[0])).not.toContain(body.slice(0, 201));
      expect(detail(apps[1])).toContain('grpc-status 12');
      for (const app of apps) expect(app.logs().filter((l) => l.event === TRACE_LOG_EVENT.endpointUnreachable)).toEqual([]);
    } finally {
      failing.close();
      bare.forceShutdown();
    }
  });

  it('a collector that closes the idle warm-up connection: no error, no log line; the shutdown export opens a new one', async () => {
    const bodies: string[] = [];
    const closing = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        bodies.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        // As a proxy with a short idle timeout does: no Keep-Alive hint, the socket just goes.
        setTimeout(() => request.socket.destroy(), 200);
      });
    });
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const app = await startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(closing.address() as net.AddressInfo).port}` } });
      await sleep(3300); // the warm-up at 2.5 s, its connection closed 200 ms later
      expect(bodies).toHaveLength(1);
      app.signal('SIGTERM');
      expect((await app.exited).code).toBe(0);
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toContain(SPAN.root);
      expect(app.logs().filter((l) => Number(l.level) >= 40)).toEqual([]);
      expect(app.stderr.join('')).not.toMatch(/error/i);
    } finally {
      closing.close();
    }
  });

  it('its connection never keeps the process alive: an app that closes its server after the warm-up exits by itself (http/protobuf, grpc)', async () => {
    const grpc = (await startOtlpGrpcReceiver()) as Receiver;
    try {
      const env = { ...otlpEnv(), CLOSE_AFTER_MS: '3000' };
      const apps = await Promise.all([
        startApp(path.join(FIXTURES, 'self-closing-app.cjs'), { env: { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } }),
        startApp(path.join(FIXTURES, 'self-closing-app.cjs'), { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      ]);
      const exits = await Promise.all(apps.map((app) => app.exited));
      expect(exits.map((e) => e.code)).toEqual([0, 0]);
      for (const exit of exits) expect(exit.ms).toBeLessThan(5000);
      // The warm-up connection was open when the server closed.
      expect(receiver.requests.protobuf).toBe(1);
      expect(grpc.requests.grpc).toBe(1);
    } finally {
      await grpc.close();
    }
  });

  it('endpoints as the spec reads them (traces endpoint as is, /v1/traces appended after a trailing slash); an invalid protocol is named and http/protobuf used', async () => {
    const apps = await Promise.all([
      startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_SERVICE_NAME: 'traces-endpoint' } }),
      startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'trailing-slash' } }),
      startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml', OTEL_SERVICE_NAME: 'bad-protocol' } }),
    ]);
    for (const app of apps) app.signal('SIGTERM');
    await Promise.all(apps.map((a) => a.exited));
    const services = receiver.spans.filter((s) => s.name === SPAN.root).map((s) => s.resource?.[RESOURCE_ATTR.serviceName]);
    expect(services.sort()).toEqual(['bad-protocol', 'traces-endpoint', 'trailing-slash']);
    expect(receiver.requests).toMatchObject({ json: 2, protobuf: 1 });
    const warning = apps[2].logs().find((l) => l.event === TRACE_LOG_EVENT.exporterConfig);
    expect(warning?.msg).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=http/xml');
    expect(warning?.msg).toContain('http/protobuf, http/json, grpc');
  });

  it('an invalid OTEL_EXPORTER_OTLP_COMPRESSION is named in a warning with what is accepted; the trace still arrives, uncompressed', async () => {
    const app = await startApp(TEST_APP, { env: { ...otlpEnv(), OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' } });
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    const warnings = app.logs().filter((l) => l.event === TRACE_LOG_EVENT.exporterConfig);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain('OTEL_EXPORTER_OTLP_COMPRESSION=brotli');
    expect(warnings[0].msg).toContain('gzip or none');
    expect(receiver.headers.at(-1)?.['content-encoding']).toBeUndefined();
    expect(receiver.spans.filter((s) => s.name === SPAN.root)).toHaveLength(1);
  });
});

describe('log lines of the shutdown', () => {
  it('carry the host name; a failed hook is logged with its stack; the finish line is a warning when the exit code is not 0', async () => {
    const app = await startApp(TEST_APP, { env: { HOOKS: 'broken:throw' } });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    const lines = app.logs();
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.hostname === os.hostname())).toBe(true);
    const hook = lines.find((l) => l.event === 'hook.ended');
    expect(hook?.error).toBe('Error: hook broken failed on purpose');
    expect(String(hook?.stack)).toMatch(/failed on purpose\n\s+at /);
    const summary = lines.find((l) => l.event === 'shutdown.summary');
    expect(summary?.exit_code).toBe(1);
    expect(summary?.level).toBe(40); // pino's warn
  });

  it('the finish line is at info level when the exit code is 0', async () => {
    const app = await startApp(TEST_APP);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(app.logs().find((l) => l.event === 'shutdown.summary')?.level).toBe(30);
  });
});

describe('a dead exporter cannot push the exit past the grace period', () => {
  it.each(['refused', 'blackholed'])('%s OTLP endpoint: exit inside the budget, flush failure logged', async (kind) => {
    const blackhole = net.createServer(() => {}); // accepts and never answers
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const port = (blackhole.address() as net.AddressInfo).port;
    if (kind === 'refused') await new Promise((resolve) => blackhole.close(resolve));
    const app = await startApp(TEST_APP, {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SDK_DISABLED: 'false',
        GRACEFUL_OTEL_GRACE_PERIOD: '5s',
        GRACEFUL_OTEL_HOOKS_TIMEOUT: '1s',
        GRACEFUL_OTEL_FLUSH_TIMEOUT: '1500ms',
      },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    blackhole.close();
    expect(exit.ms).toBeLessThan(4000);
    expect(exit.code).toBe(0);
    const flushed = app.summary()?.flushed as { name: string; outcome: string }[];
    const otel = flushed.find((f) => f.name === 'opentelemetry providers');
    // A refused connection fails fast inside the exporter's retries or runs into the deadline.
    expect(['timeout', 'error']).toContain(otel?.outcome);
    expect(app.logs().some((l) => l.event === 'flush.failed' && l.step === 'opentelemetry providers')).toBe(true);
  });
});

describe('pino log lines written just before SIGTERM are all there after exit', () => {
  const N = 20_000;
  it.each(['stdout', 'file', 'transport', 'multistream'])('%s', async (kind) => {
    const file = path.join(dir, 'app.log');
    const app = await startApp(APP, { env: { LOG_KIND: kind, LOG_FILE: file, OTEL_SDK_DISABLED: 'true' } });
    const wrote = await get(app.port, `/log?n=${N}`);
    expect(wrote.status).toBe(200);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    const count = (text: string) => text.split('\n').filter((l) => l.includes('"line before shutdown"')).length;
    if (kind === 'stdout') expect(count(app.stdout.join('\n'))).toBe(N);
    else expect(count(readFileSync(file, 'utf8'))).toBe(N);
    if (kind === 'multistream') expect(count(readFileSync(`${file}.2`, 'utf8'))).toBe(N);
    // The pino step runs after the summary line; only a failure would be logged.
    expect(app.summary()).toBeDefined();
    expect(app.logs().filter((l) => l.event === 'flush.failed')).toEqual([]);
  });
});

describe('metrics', () => {
  it("appear in the app's own prom-client /metrics and on the health port, and pass promtool check metrics", async () => {
    const app = await startApp(APP, { env: { GRACEFUL_OTEL_HEALTH_PORT: '0', OTEL_SDK_DISABLED: 'true' } });
    await get(app.port, '/');
    const own = await get(app.port, '/metrics');
    const health = await get(app.healthPort, '/metrics');
    // The app's own scrape is itself a request in flight; the health port's is not app traffic.
    for (const [body, inflight] of [[own.body ?? '', 1], [health.body ?? '', 0]] as const) {
      expect(body).toContain('graceful_ready 1');
      expect(body).toMatch(/graceful_http_active_connections\{server="http:\d+"\} 1/);
      expect(body).toMatch(new RegExp(`graceful_http_inflight_requests\\{server="http:\\d+"\\} ${inflight}`));
      expect(body).toContain('graceful_shutdown_phase{phase="serving"} 1');
      expect(body).toContain('graceful_shutdown_grace_period_seconds 30');
      expect(body).toContain('graceful_shutdown_forced_cancellations_total{kind="request"} 0');
      expect(body).toContain('# TYPE graceful_shutdown_drain_duration_seconds histogram');
      expect(body).toContain('# TYPE graceful_shutdown_hook_duration_seconds histogram');
      expect(body).toContain('# TYPE graceful_shutdown_exit_code gauge');
      expect(body).toContain('# TYPE graceful_shutdown_started_timestamp_seconds gauge');
      expect(promtoolCheckMetrics(body)).toEqual({ status: 0, output: '' });
    }
    expect(own.body).toContain('app_requests_total'); // the app's registry, not a copy
    expect(health.body).not.toContain('app_requests_total');
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
  });

  it('linger: /metrics stays up after the drain until one more scrape, showing final values and the trace exemplar', async () => {
    const app = await startApp(TEST_APP, {
      env: { ...otlpEnv(), GRACEFUL_OTEL_HEALTH_PORT: '0', GRACEFUL_OTEL_METRICS_LINGER: '10s', GRACEFUL_OTEL_GRACE_PERIOD: '20s' },
    });
    app.signal('SIGTERM');
    // The drain and hooks are over; the flush phase waits for one more scrape before it goes on...
    await app.waitForEvent('phase.started', undefined, { phase: 'flush' });
    // ...and nothing but that scrape ends the wait: 300 ms on, the process is still there.
    await sleep(300);
    expect(app.child.exitCode).toBeNull(); // still lingering
    const scrape = await getWithAccept(app.healthPort, 'application/openmetrics-text; version=1.0.0');
    expect(scrape).toContain('graceful_ready 0');
    expect(scrape).toContain('graceful_shutdown_exit_code 0');
    expect(scrape).toMatch(/graceful_shutdown_started_timestamp_seconds\{signal="SIGTERM"\} \d+/);
    expect(scrape).toContain('graceful_shutdown_phase{phase="flush"} 1');
    const exemplar = /graceful_shutdown_drain_duration_seconds_bucket\{[^}]*outcome="clean"[^}]*\} 1 # \{trace_id="([0-9a-f]{32})"/.exec(scrape);
    expect(exemplar).not.toBeNull();
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(5000); // left soon after the scrape, not at the 10 s linger bound
    const root = receiver.spans.find((s) => s.name === 'graceful.shutdown');
    expect(exemplar?.[1]).toBe(root?.traceId);
  });
});

describe('Pushgateway', () => {
  let gateway: ChildProcess;
  let gatewayPort: number;
  beforeAll(async () => {
    gatewayPort = await freePort();
    gateway = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${gatewayPort}`], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await get(gatewayPort, '/-/ready', false, 500)).status; i++) await sleep(100);
  });
  afterAll(() => {
    gateway?.kill('SIGKILL');
  });

  it('holds the final values after the process exited', async () => {
    expect(existsSync('/usr/bin/prometheus-pushgateway') || spawnSync('which', ['prometheus-pushgateway']).status === 0).toBe(true);
    const app = await startApp(TEST_APP, {
      env: { OTEL_SDK_DISABLED: 'true', OTEL_SERVICE_NAME: 'checkout', GRACEFUL_OTEL_PUSHGATEWAY_URL: `http://127.0.0.1:${gatewayPort}` },
    });
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    const body = (await get(gatewayPort, '/metrics')).body ?? '';
    const line = (name: string) => body.split('\n').find((l) => l.startsWith(name) && l.includes('job="checkout"'));
    expect(line('graceful_ready')).toMatch(/ 0$/);
    expect(line('graceful_shutdown_exit_code')).toMatch(/ 0$/);
    expect(line('graceful_shutdown_grace_period_seconds')).toMatch(/ 30$/);
    expect(body).toMatch(new RegExp(`graceful_shutdown_started_timestamp_seconds\\{instance="${os.hostname()}",job="checkout",signal="SIGTERM"\\}`));
  }, 30_000);
});

function promtoolCheckMetrics(body: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is missing (install Debian's prometheus package): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

async function getWithAccept(port: number, accept: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept } });
  return response.text();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
