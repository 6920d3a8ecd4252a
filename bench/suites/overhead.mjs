// 1. Serving overhead, measured in pairs: each variant's server and a bare baseline server are
// loaded at the same time (both pinned to CPU 0, one wrk each on CPU 1), so whatever else slows
// the machine in that window slows both alike. Rounds visit the variants in a rotated order. Per-
// request server CPU comes from each server's own process.cpuUsage() read around the window; the
// `bare` row pairs a second bare server with the baseline: the resolution of the method.
import { summarize, paired, rotate } from '../lib/stats.mjs';
import { startServer } from '../lib/server.mjs';
import { wrk } from '../lib/clients.mjs';
import { VARIANTS, PEERS } from '../lib/variants.mjs';

export const OVERHEAD_VARIANTS = ['bare', 'go', 'goSdk', ...PEERS, 'prom', 'otelRegister'];
/** Connections per server: the two wrk processes of a pair keep 32 in all. */
const CONNECTIONS = 16;

export async function overhead({ rounds, seconds, warmupSeconds, receiver, log }) {
  const servers = [];
  try {
    const baseline = (await startServer(VARIANTS.bare, receiver.url)).server;
    servers.push(baseline);
    for (const id of OVERHEAD_VARIANTS) servers.push((await startServer(VARIANTS[id], receiver.url)).server);
    for (const server of servers) {
      await server.settle();
      if (warmupSeconds > 0) await wrk(server.port, { seconds: warmupSeconds, connections: CONNECTIONS });
    }
    const samples = Object.fromEntries(OVERHEAD_VARIANTS.map((id) => [id, { rps: [], cpu: [], baseRps: [], baseCpu: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const server of rotate(servers.slice(1), round)) {
        const [variant, base] = await loadTogether([server, baseline], seconds);
        const s = samples[server.variant.id];
        s.rps[round] = variant.rps;
        s.cpu[round] = variant.cpu;
        s.baseRps[round] = base.rps;
        s.baseCpu[round] = base.cpu;
      }
      log(`overhead round ${round + 1}/${rounds}`);
    }
    return summarizeOverhead(samples);
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
  }
}

/** Runs wrk against every server at once; per server: req/s and server CPU µs per request. */
async function loadTogether(group, seconds) {
  const before = await Promise.all(group.map((s) => s.stats()));
  const runs = await Promise.all(group.map((s) => wrk(s.port, { seconds, connections: CONNECTIONS })));
  const after = await Promise.all(group.map((s) => s.stats()));
  return group.map((_, i) => ({ rps: runs[i].rps, cpu: (after[i].cpuMicros - before[i].cpuMicros) / runs[i].requests }));
}

function summarizeOverhead(samples) {
  return OVERHEAD_VARIANTS.map((id) => {
    const { rps, cpu, baseRps, baseCpu } = samples[id];
    return {
      id,
      rps: summarize(rps),
      rpsRatio: summarize(paired(rps, baseRps, (v, b) => v / b)),
      cpu: summarize(cpu),
      cpuDeltaPct: summarize(paired(cpu, baseCpu, (v, b) => (v / b - 1) * 100)),
    };
  });
}
