// 5. Startup: spawn → the app's port line on stdout (its listen callback), alternated; peak RSS
// once the process has settled (lazy loads after listening included). Then `node -e 0` under
// each preload: wall time, and peak RSS from GNU time.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { summarize, paired, rotate } from '../lib/stats.mjs';
import { startServer, NODE } from '../lib/server.mjs';
import { VARIANTS, childEnv, preloadFlags, ROOT } from '../lib/variants.mjs';

const run = promisify(execFile);
// GNU time (Debian package `time`) gives the peak RSS; without it only the wall time is taken.
const GNU_TIME = '/usr/bin/time';

/** Pairs: the figure is each variant against the baseline given beside it. */
export const STARTUP_VARIANTS = [
  ['bare', 'bare'],
  ['go', 'bare'],
  ['goSdk', 'bare'],
  ['sdkApp', 'sdkApp'],
  ['sdkAppGo', 'sdkApp'],
  ['otelRegister', 'bare'],
];
export const EVAL_VARIANTS = ['bare', 'go', 'goSdk', 'otelRegister'];

export async function startup({ runs, receiver, log }) {
  const ids = STARTUP_VARIANTS.map(([id]) => id);
  const samples = Object.fromEntries(ids.map((id) => [id, { ms: [], maxRssKb: [] }]));
  for (let round = 0; round < runs; round++) {
    for (const id of rotate(ids, round)) {
      const { server, startupMs } = await startServer(VARIANTS[id], receiver.url);
      try {
        await server.settle();
        samples[id].ms[round] = startupMs;
        samples[id].maxRssKb[round] = (await server.stats()).maxRssKb;
      } finally {
        await server.kill();
      }
    }
    log(`startup run ${round + 1}/${runs}`);
  }
  return STARTUP_VARIANTS.map(([id, baseline]) => ({
    id,
    baseline,
    ms: summarize(samples[id].ms),
    delta: summarize(paired(samples[id].ms, samples[baseline].ms, (v, b) => v - b)),
    maxRssMb: summarize(samples[id].maxRssKb.map((kb) => kb / 1024)),
  }));
}

/** `node <preload> -e 0`: wall time from spawn to exit, peak RSS. */
export async function evalZero({ runs, receiver, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-otel-bench-'));
  const samples = Object.fromEntries(EVAL_VARIANTS.map((id) => [id, { ms: [], mb: [] }]));
  try {
    for (let round = 0; round < runs; round++) {
      for (const id of rotate(EVAL_VARIANTS, round)) {
        const out = join(dir, `${id}.time`);
        const t0 = performance.now();
        const timed = existsSync(GNU_TIME) ? [GNU_TIME, '-f', '%M', '-o', out] : [];
        await run('taskset', ['-c', '0', ...timed, NODE, ...preloadFlags(id), '-e', '0'], {
          cwd: ROOT,
          env: childEnv(VARIANTS[id], receiver.url),
          timeout: 60_000,
        });
        samples[id].ms[round] = performance.now() - t0;
        samples[id].mb[round] = timed.length ? Number(readFileSync(out, 'utf8').trim().split('\n').at(-1)) / 1024 : NaN;
      }
      log(`node -e 0 run ${round + 1}/${runs}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return EVAL_VARIANTS.map((id) => ({
    id,
    ms: summarize(samples[id].ms),
    delta: summarize(paired(samples[id].ms, samples.bare.ms, (v, b) => v - b)),
    mb: summarize(samples[id].mb),
  }));
}
