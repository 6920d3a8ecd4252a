// `npm run bench` writes BENCHMARKS.md; `npm run bench:smoke` runs every suite at a tiny size
// (well under a minute) and writes to a temporary file. Exits non-zero only when the harness
// itself breaks, never on a performance figure. Options: --smoke, --out <file>.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startReceiver } from './lib/receiver.mjs';
import { renderReport } from './lib/report.mjs';
import { snapshotDist } from './lib/snapshot.mjs';
import { ROOT } from './lib/variants.mjs';
import { overhead } from './suites/overhead.mjs';
import { idleShutdown, keepAliveShutdown, inflightShutdown } from './suites/shutdown.mjs';
import { startup, evalZero } from './suites/startup.mjs';
import { settled } from './suites/settled.mjs';
import { keepAliveRace } from './suites/keepalive-race.mjs';

const FULL = {
  overhead: { rounds: 7, seconds: 4, warmupSeconds: 2 },
  idle: { runs: 15 },
  keepAlive: [{ count: 200, runs: 9 }, { count: 2000, runs: 5 }, { count: 10_000, runs: 5 }],
  inflight: { count: 1000, holdMs: 1000, setupMs: 2500, runs: 5, peers: true },
  startup: { runs: 10, evalRuns: 10 },
  settled: { runs: 5 },
  race: { runs: 5 },
};
const SMOKE = {
  overhead: { rounds: 1, seconds: 1, warmupSeconds: 0 },
  idle: { runs: 1 },
  keepAlive: [{ count: 20, runs: 1 }, { count: 200, runs: 1 }],
  // Three peers keep in-flight sockets open for Node's keep-alive timeout (5 s): smoke skips them.
  inflight: { count: 50, holdMs: 200, setupMs: 600, runs: 1, peers: false },
  startup: { runs: 1, evalRuns: 1 },
  settled: { runs: 1 },
  race: { runs: 1 },
};

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } } });
const settings = values.smoke ? SMOKE : FULL;
const out = values.out ?? (values.smoke ? join(os.tmpdir(), 'graceful-otel-bench-smoke.md') : join(ROOT, 'BENCHMARKS.md'));
const started = Date.now();
const log = (message) => process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0)} s] ${message}\n`);

for (const tool of ['wrk', 'taskset']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`bench needs ${tool} on PATH`);
  }
}
await snapshotDist(process.execPath);
// The harness and its helpers stay off the servers' CPU.
execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

const meta = { smoke: values.smoke, loadStart: os.loadavg()[0].toFixed(2) };
const receiver = await startReceiver();
const results = {};
try {
  results.overhead = await overhead({ ...settings.overhead, receiver, log });
  results.idle = await idleShutdown({ ...settings.idle, receiver, log });
  results.keepAlive = [];
  for (const { count, runs } of settings.keepAlive) {
    results.keepAlive.push({ count, runs, rows: await keepAliveShutdown({ count, runs, receiver, log }) });
  }
  const { count, holdMs, runs } = settings.inflight;
  results.inflight = { count, holdMs, runs, rows: await inflightShutdown({ ...settings.inflight, receiver, log }) };
  results.startup = await startup({ runs: settings.startup.runs, receiver, log });
  results.evalZero = await evalZero({ runs: settings.startup.evalRuns, receiver, log });
  results.settled = await settled({ ...settings.settled, receiver, log });
  results.race = { runs: settings.race.runs, rows: await keepAliveRace({ runs: settings.race.runs, receiver, log }) };
} finally {
  await receiver.close();
}

Object.assign(meta, machine(), { loadEnd: os.loadavg()[0].toFixed(2) });
meta.shared = Number(meta.loadStart) > 0.5 || Number(meta.loadEnd) > 0.5
  ? 'Other work was running on this machine during the run: absolute figures are noisy, the alternated paired ratios less so.'
  : 'The machine was otherwise quiet.';
writeFileSync(out, renderReport({ meta, settings, results }));
log(`wrote ${out}`);

function machine() {
  const version = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--', 'src').length > 0 ? ' (src/ has uncommitted changes)' : '';
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    commit: git('rev-parse', '--short', 'HEAD') + dirty,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memGb: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrk: /wrk ([^ ]+)/.exec(execFileSync('sh', ['-c', 'wrk -v 2>&1 || true'], { encoding: 'utf8' }))?.[1] ?? 'unknown',
    peers: ['@godaddy/terminus', 'http-terminator', 'close-with-grace', 'lightship', '@opentelemetry/auto-instrumentations-node', 'prom-client']
      .map((name) => `${name} ${version(name)}`).join(', '),
  };
}
