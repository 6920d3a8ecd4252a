// 1. Serving overhead: every variant's server runs at once (pinned to CPU 0, idle when not under
// load); each round puts wrk (CPU 1) on each of them in turn, in a rotated order. Per-request
// server CPU comes from the server's own process.cpuUsage() read before and after the window.
import { summarize, paired, rotate } from '../lib/stats.mjs';
import { startServer } from '../lib/server.mjs';
import { wrk } from '../lib/clients.mjs';
import { VARIANTS, PEERS } from '../lib/variants.mjs';

export const OVERHEAD_VARIANTS = ['bare', 'go', 'goSdk', ...PEERS, 'prom', 'otelRegister'];

export async function overhead({ rounds, seconds, warmupSeconds, receiver, log }) {
  const servers = [];
  try {
    for (const id of OVERHEAD_VARIANTS) servers.push((await startServer(VARIANTS[id], receiver.url)).server);
    for (const server of servers) {
      await server.settle();
      if (warmupSeconds > 0) await wrk(server.port, { seconds: warmupSeconds });
    }
    const samples = Object.fromEntries(OVERHEAD_VARIANTS.map((id) => [id, { rps: [], cpu: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const server of rotate(servers, round)) {
        const before = await server.stats();
        const { requests, rps } = await wrk(server.port, { seconds });
        const after = await server.stats();
        samples[server.variant.id].rps[round] = rps;
        samples[server.variant.id].cpu[round] = (after.cpuMicros - before.cpuMicros) / requests;
      }
      log(`overhead round ${round + 1}/${rounds}`);
    }
    return summarizeOverhead(samples);
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
  }
}

function summarizeOverhead(samples) {
  const base = samples.bare;
  return OVERHEAD_VARIANTS.map((id) => {
    const { rps, cpu } = samples[id];
    return {
      id,
      rps: summarize(rps),
      rpsRatio: summarize(paired(rps, base.rps, (v, b) => v / b)),
      cpu: summarize(cpu),
      cpuDeltaPct: summarize(paired(cpu, base.cpu, (v, b) => (v / b - 1) * 100)),
    };
  });
}
