// 7. A settled idle server: RSS once everything graceful-otel loads after listening is loaded, and
// the longest event-loop stall in the first 2 s and in the first 6 s after listening (the latter
// includes graceful-otel's warm-up; monitorEventLoopDelay, 1 ms resolution, in the app;
// bench/apps/common.cjs). Fresh server per run, variants alternated.
import { summarize, paired, rotate } from '../lib/stats.mjs';
import { startServer } from '../lib/server.mjs';
import { VARIANTS } from '../lib/variants.mjs';

/** Pairs: each variant against the baseline beside it. */
export const SETTLED_VARIANTS = [
  ['bare', 'bare'],
  ['go', 'bare'],
  ['goInfo', 'bare'],
  ['goSdk', 'bare'],
  ['sdkApp', 'sdkApp'],
  ['sdkAppGo', 'sdkApp'],
];
const STALL_WINDOW_MS = 6000;

export async function settled({ runs, receiver, log }) {
  const ids = SETTLED_VARIANTS.map(([id]) => id);
  const samples = Object.fromEntries(ids.map((id) => [id, { rssMb: [], anonMb: [], stallMs: [], stallLongMs: [] }]));
  for (let round = 0; round < runs; round++) {
    for (const id of rotate(ids, round)) {
      const variant = VARIANTS[id];
      const { server } = await startServer({ ...variant, env: { ...variant.env, BENCH_ELD: '1' } }, receiver.url);
      try {
        // Past the stall window and the variant's own settling time, then quiet.
        server.variant = { ...variant, settleMs: Math.max(variant.settleMs ?? 0, STALL_WINDOW_MS + 500) };
        await server.settle();
        const stats = await server.stats();
        samples[id].rssMb[round] = stats.rss / 2 ** 20;
        samples[id].anonMb[round] = stats.rssAnon === null ? NaN : stats.rssAnon / 2 ** 20;
        samples[id].stallMs[round] = stats.stallMaxMs;
        samples[id].stallLongMs[round] = stats.stallMaxLongMs;
      } finally {
        await server.kill();
      }
    }
    log(`settled run ${round + 1}/${runs}`);
  }
  return SETTLED_VARIANTS.map(([id, baseline]) => ({
    id,
    baseline,
    rssMb: summarize(samples[id].rssMb),
    rssDelta: summarize(paired(samples[id].rssMb, samples[baseline].rssMb, (v, b) => v - b)),
    anonMb: summarize(samples[id].anonMb),
    anonDelta: summarize(paired(samples[id].anonMb, samples[baseline].anonMb, (v, b) => v - b)),
    stallMs: summarize(samples[id].stallMs),
    stallLongMs: summarize(samples[id].stallLongMs),
  }));
}
