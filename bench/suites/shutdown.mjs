// 2–4 and 6. SIGTERM → exit, timed from the harness, on a fresh server per run; variants are
// alternated run by run (rotated order), and every figure is paired with the floor of the same run.
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize, paired, rotate } from '../lib/stats.mjs';
import { startServer } from '../lib/server.mjs';
import { holdSockets } from '../lib/clients.mjs';
import { VARIANTS, PEERS } from '../lib/variants.mjs';

export const SHUTDOWN_VARIANTS = ['go', 'goSdk', ...PEERS];

/**
 * Runs `measure(server)` on a fresh server of each variant, `runs` times, alternated.
 * @returns {Record<string, object[]>} the samples of each variant, indexed by run
 */
async function alternate(ids, runs, receiver, measure, log, name) {
  const samples = Object.fromEntries(ids.map((id) => [id, []]));
  for (let run = 0; run < runs; run++) {
    for (const id of rotate(ids, run)) {
      const { server } = await startServer(VARIANTS[id], receiver.url);
      try {
        await server.settle();
        receiver.takeSpans();
        const sample = await measure(server);
        const { code, signal } = sample.stop;
        if (code !== 0) sample.note = [sample.note, code === null ? `ended by ${signal}` : `exit code ${code}`].filter(Boolean).join('; ');
        sample.spans = receiver.takeSpans();
        samples[id][run] = sample;
      } finally {
        await server.kill();
      }
    }
    log(`${name} run ${run + 1}/${runs}`);
  }
  return samples;
}

/** Rows of `{ id, ms, delta, spans, notes }` against `floor`, paired run by run. */
function rows(samples, floor, extra = () => ({})) {
  const floorMs = samples[floor].map((s) => s.ms);
  return Object.entries(samples).map(([id, list]) => {
    const ms = list.map((s) => s.ms);
    return {
      id,
      ms: summarize(ms),
      delta: summarize(paired(ms, floorMs, (v, b) => v - b)),
      spans: summarize(list.map((s) => s.spans)),
      notes: [...new Set(list.map((s) => s.note).filter(Boolean))],
      ...extra(list),
    };
  });
}

/** 2. Idle: no socket open, no delay configured. */
export async function idleShutdown({ runs, receiver, log }) {
  // At the default log level too: the sequence's info lines are written then.
  const ids = ['floorExit', 'floorDrain', 'go', 'goInfo', 'goSdk', ...PEERS];
  const samples = await alternate(ids, runs, receiver, async (server) => {
    const stop = await server.stopTimed();
    return { ms: stop.ms, stop };
  }, log, 'idle shutdown');
  return rows(samples, 'floorExit');
}

/** 3 and 6. `count` idle keep-alive sockets (each served one request), then SIGTERM. */
export async function keepAliveShutdown({ runs, count, receiver, log }) {
  const ids = ['floorDrain', ...SHUTDOWN_VARIANTS];
  const samples = await alternate(ids, runs, receiver, async (server) => {
    const before = await server.stats();
    const holder = await holdSockets(server.port, count, 'idle');
    try {
      const after = await server.stats();
      const stop = await server.stopTimed();
      return { ms: stop.ms, stop, bytesPerSocket: (after.rss - before.rss) / count };
    } finally {
      holder.release();
    }
  }, log, `keep-alive ${count}`);
  const floorBytes = samples.floorDrain.map((s) => s.bytesPerSocket);
  return rows(samples, 'floorDrain', (list) => {
    const bytes = list.map((s) => s.bytesPerSocket);
    return { bytesPerSocket: summarize(bytes), bytesDelta: summarize(paired(bytes, floorBytes, (v, b) => v - b)) };
  });
}

/**
 * 4. `count` requests in flight, each answering `holdMs` after SIGTERM. The figure is the exit
 * time past that release: (SIGTERM → exit) − holdMs.
 */
export async function inflightShutdown({ runs, count, holdMs, setupMs, peers, receiver, log }) {
  const ids = ['floorDrain', ...(peers ? SHUTDOWN_VARIANTS : ['go', 'goSdk'])];
  const samples = await alternate(ids, runs, receiver, async (server) => {
    const killAt = Date.now() + setupMs;
    const holder = await holdSockets(server.port, count, 'hold', killAt + holdMs);
    try {
      let held = 0;
      while (held < count && Date.now() < killAt) held = (await server.stats()).held;
      await sleep(killAt - Date.now());
      const late = Date.now() - killAt;
      const stop = await server.stopTimed();
      const sample = { ms: stop.ms - holdMs + late, stop };
      if (held < count) sample.note = `only ${held}/${count} requests in flight at SIGTERM`;
      return sample;
    } finally {
      holder.release();
    }
  }, log, `in-flight ${count}`);
  return rows(samples, 'floorDrain');
}
