import { describe, it, expect, afterAll, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createRequire } from 'node:module';
import type { PinoFlushResult, PinoFlusher } from '../src/telemetry/pino/index.ts';

// The compiled modules (npm test builds first), as the preload loads them.
const load = createRequire(import.meta.url);
const { createPinoFlusher } = load('../dist/cjs/telemetry/pino/index.js') as { createPinoFlusher: () => PinoFlusher };
const { flushAll } = load('../dist/cjs/telemetry/pino/flush-all.js') as { flushAll: (d: Set<object>, deadline: number) => Promise<PinoFlushResult> };
const { leaves } = load('../dist/cjs/telemetry/pino/destinations.js') as { leaves: (s: Iterable<object>) => Set<object> };
/** Flushes these destinations as the flusher does with the ones it found. */
const flushStreams = (streams: object[], deadline: number) => flushAll(leaves(streams), deadline);
import { startApp, stopAll } from './helpers/app.js';

// Children write N lines as fast as they can and call process.exit(0) right after
// (see test/fixtures/pino/emit.mjs); we count the lines that made it out.
const N = 20_000;
const EMIT = fileURLToPath(new URL('./fixtures/pino/emit.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pino-flush-'));
let seq = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  files: string[];
  exitedAt: number;
  result?: PinoFlushResult & { resolvedAt: number; deadline: number };
}

function run(kind: string, mode: 'flush' | 'noflush', env: Record<string, string> = {}, n = N): Promise<Run> {
  const files = [join(dir, `${++seq}-a.log`), join(dir, `${seq}-b.log`)];
  const child = spawn(process.execPath, ['--no-warnings', EMIT, kind, String(n), mode, ...files], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const exitedAt = Date.now();
      // 'close' waits for the pipes to drain.
      child.on('close', () => {
        const json = stderr.split('\n').find((l) => l.startsWith('{"streams"'));
        resolve({ code, stdout, stderr, files, exitedAt, result: json ? JSON.parse(json) : undefined });
      });
    });
  });
}

/** Distinct line numbers `i` found in the text; duplicates or torn lines would not add up to N. */
function linesIn(text: string): { lines: number; distinct: number } {
  const ids = new Set<string>();
  let lines = 0;
  for (const m of text.matchAll(/^\{.*"i":(\d+),"msg":"line"\}$/gm)) {
    lines++;
    ids.add(m[1] as string);
  }
  return { lines, distinct: ids.size };
}

function fileLines(file: string): { lines: number; distinct: number } {
  return existsSync(file) ? linesIn(readFileSync(file, 'utf8')) : { lines: 0, distinct: 0 };
}

/** Where each kind's lines end up. */
function outputs(kind: string, r: Run): Array<{ lines: number; distinct: number }> {
  if (kind.endsWith('stdout')) return [linesIn(r.stdout)];
  if (kind === 'multistream') return r.files.map(fileLines);
  return [fileLines(r.files[0] as string)];
}

const all = { lines: N, distinct: N };

describe('pino-flush: lines written just before exit are all there after exit', () => {
  // Destinations opened long before (the usual SIGTERM case).
  it.each([
    'sync-stdout', 'stdout', 'async-file', 'async-file-buffered', 'sonic-boom', 'transport', 'multistream', 'write-stream',
  ])('%s', async (kind) => {
    const r = await run(kind, 'flush');
    expect(r.code).toBe(0);
    for (const out of outputs(kind, r)) expect(out).toEqual(all);
    expect(r.result).toMatchObject({ failed: 0, timedOut: 0, errors: [] });
    expect(r.result?.flushed).toBe(r.result?.streams);
    expect(r.result?.streams).toBe(kind === 'multistream' ? 2 : 1); // inner streams flushed, multistream counted once
  });

  // Destinations still opening when the burst is written and exit is called.
  it.each(['async-file', 'async-file-buffered', 'sonic-boom', 'transport', 'multistream', 'write-stream'])('%s, still opening', async (kind) => {
    const r = await run(kind, 'flush', { COLD: '1' });
    expect(r.code).toBe(0);
    for (const out of outputs(kind, r)) expect(out).toEqual(all);
    expect(r.result).toMatchObject({ failed: 0, timedOut: 0 });
  });
});

describe('under the preload', () => {
  afterEach(stopAll);

  it("flushes the app's logger: every line a cleanup hook wrote to a slow plain Writable arrives", async () => {
    const file = join(dir, 'slow-writable-app.log');
    const lines = 100;
    const app = await startApp(fileURLToPath(new URL('./fixtures/pino/slow-writable-app.mjs', import.meta.url)), {
      env: { LOG_FILE: file, LINES: String(lines) },
    });
    app.signal('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(3000);
    // ~0.5 s of writing is still queued when the hooks end; pino and the Writable alone would lose it.
    expect(fileLines(file)).toEqual({ lines, distinct: lines });
  });
});

describe('control: pino alone, same fixture without our flush', () => {
  // pino registers exit handlers for pino.destination(), transports and its default stdout,
  // and they save those once open; a plain Writable or a SonicBoom built directly gets none.
  it.each(['write-stream', 'sonic-boom'])('loses the buffer of %s', async (kind) => {
    const r = await run(kind, 'noflush');
    expect(r.code).toBe(0);
    expect(fileLines(r.files[0] as string).lines).toBeLessThan(N / 2);
  });

  // pino's exit handler calls flushSync on a SonicBoom whose file is not open yet: it throws.
  it('loses everything when an async file is still opening', async () => {
    const r = await run('async-file', 'noflush', { COLD: '1' });
    expect(fileLines(r.files[0] as string).lines).toBe(0);
    expect(r.stderr).toContain('sonic boom is not ready yet');
  });
});

describe('deadline', () => {
  it('a blackholed transport: flush resolves by the deadline and exit is not held up', async () => {
    const deadlineMs = 400;
    const r = await run('blackhole', 'flush', { DEADLINE_MS: String(deadlineMs) }, 10);
    const res = r.result;
    expect(res).toMatchObject({ streams: 1, flushed: 0, timedOut: 1 });
    expect(res!.resolvedAt - res!.deadline).toBeGreaterThanOrEqual(-5);
    expect(res!.resolvedAt - res!.deadline).toBeLessThan(500);
    // Without abandoning, pino's exit handler spins 10 s in thread-stream's flushSync.
    expect(r.exitedAt - res!.resolvedAt).toBeLessThan(2000);
  });

  it('holds a ref\'d timer so a callback from an unref\'d handle still arrives', async () => {
    // Without it the loop empties while awaiting flush: exit code 13, unsettled top-level await.
    const r = await run('unref-worker', 'flush', {}, 1);
    expect(r.code).toBe(0);
    expect(r.result).toMatchObject({ streams: 1, flushed: 1, timedOut: 0 });
  });

  it('counts a stream that never calls back as timedOut and disarms its flushSync', async () => {
    const stuck = { write() {}, flush(_cb: () => void) {}, flushSync() { throw new Error('would block') } };
    const failing = { write() {}, flush(cb: (err?: Error) => void) { setImmediate(cb, new Error('boom')) } };
    const fine = { write() {}, flush(cb: () => void) { setImmediate(cb) } };
    const t0 = Date.now();
    const res = await flushStreams([stuck, failing, fine], t0 + 200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(Date.now() - t0).toBeLessThan(600);
    expect(res).toMatchObject({ streams: 3, flushed: 1, failed: 1, timedOut: 1, errors: ['boom'] });
    expect(() => stuck.flushSync()).not.toThrow();
  });

  it('waits for a plain Writable to empty and reports its error', async () => {
    let written = 0;
    const slow = new Writable({ write(_c, _e, cb) { setTimeout(() => { written++; cb(); }, 30); } });
    const broken = new Writable({ write(_c, _e, cb) { setTimeout(cb, 30, new Error('disk full')); } });
    broken.on('error', () => {});
    for (const w of [slow, broken]) {
      w.write('a');
      w.write('b');
    }
    const res = await flushStreams([slow, broken], Date.now() + 1000);
    expect(res).toMatchObject({ streams: 2, flushed: 1, failed: 1, timedOut: 0, errors: ['disk full'] });
    expect(written).toBe(2);
  });

  it('resolves at once when the deadline has passed, still flushing what is synchronous', async () => {
    let synced = 0;
    const syncOnly = { write() {}, flushSync() { synced++ } };
    const stuck = { write() {}, flush(_cb: () => void) {} };
    const t0 = Date.now();
    const res = await flushStreams([syncOnly, stuck], t0 - 1);
    expect(Date.now() - t0).toBeLessThan(100);
    expect(res).toMatchObject({ streams: 2, flushed: 1, timedOut: 1 });
    expect(synced).toBe(1);
  });
});

describe('discovery', () => {
  const sink = () => new Writable({ write(_c, _e, cb) { cb() } });
  /** Destinations the flusher knows: each leaf is counted by a flush. */
  const known = async (flusher: PinoFlusher): Promise<number> => (await flusher.flush(Date.now() + 200)).streams;

  it('finds loggers through pino_asJson once they log; children share the stream', async () => {
    const flusher = createPinoFlusher();
    flusher.watch();
    flusher.watch(); // idempotent
    const logger = pino(sink());
    expect(await known(flusher)).toBe(0);
    logger.info('first');
    expect(await known(flusher)).toBe(1);
    const child = logger.child({ req: 1 });
    child.info('from child');
    child.child({ deeper: true }).warn('grandchild');
    expect(await known(flusher)).toBe(1);

    // Limit: a logger is seen on its first line, so one that never logged is unknown.
    const quiet = pino(sink());
    expect(await known(flusher)).toBe(1);
    quiet.info('now');
    expect(await known(flusher)).toBe(2);

    // Below the level nothing is serialized, so nothing is published either.
    const picky = pino({ level: 'error' }, sink());
    picky.info('filtered');
    expect(await known(flusher)).toBe(2);
  });

  it('flushes the inner streams of a multistream, each once', async () => {
    const res = await flushStreams([pino.multistream([{ stream: sink() }, { stream: sink() }])], Date.now() + 200);
    expect(res).toMatchObject({ streams: 2, flushed: 2 });
  });
});
