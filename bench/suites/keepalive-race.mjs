// 7. The keep-alive race: busy keep-alive clients with no load balancer, SIGTERM mid-load. Counts
// the requests a client had written and then lost (a reset or a closed socket instead of a
// response), per run, for the bare-Node control (floorDrain: `server.close()`, which closes idle
// keep-alive sockets at once) and graceful-otel, alternated run by run. Two real clients: wrk -c20
// (its "read" socket errors) and an undici Pool of 20 (any error but a refused connection).
// `node bench/suites/keepalive-race.mjs [runs]` prints the section on its own.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { rotate } from '../lib/stats.mjs';
import { startServer } from '../lib/server.mjs';
import { VARIANTS } from '../lib/variants.mjs';

export const RACE_VARIANTS = ['floorDrain', 'go'];
const LOAD_SECONDS = 2;
const SIGTERM_AFTER_MS = 1000;

/** wrk -c20 over keep-alive: requests completed and requests lost (read errors and timeouts). */
async function wrkLoad(port) {
  const { stdout } = await promisify(execFile)('taskset', ['-c', '1', 'wrk', '-t1', '-c20', `-d${LOAD_SECONDS}s`, `http://127.0.0.1:${port}/`], {
    timeout: (LOAD_SECONDS + 30) * 1000,
  });
  const errors = /Socket errors: connect \d+, read (\d+), write \d+, timeout (\d+)/.exec(stdout);
  return { ok: Number(/(\d+) requests in/.exec(stdout)?.[1]), lost: Number(errors?.[1] ?? 0) + Number(errors?.[2] ?? 0) };
}

/** An undici Pool of 20, 20 loops back to back until the server is gone. */
async function undiciLoad(port) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 20 });
  const counts = { ok: 0, lost: 0 };
  const until = performance.now() + LOAD_SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      try {
        const response = await pool.request({ path: '/', method: 'GET' });
        await response.body.dump();
        counts.ok++;
      } catch (error) {
        if (error.code === 'ECONNREFUSED') return; // never written: the listener is closed
        counts.lost++;
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, loop));
  await pool.destroy();
  return counts;
}

const CLIENTS = { 'wrk -c20': wrkLoad, 'undici Pool of 20': undiciLoad };

/** @returns {{ client: string, id: string, lost: number[], ok: number[], exits: (number|null)[] }[]} */
export async function keepAliveRace({ runs, receiver, log }) {
  const rows = [];
  for (const [client, load] of Object.entries(CLIENTS)) {
    const byId = Object.fromEntries(RACE_VARIANTS.map((id) => [id, { client, id, lost: [], ok: [], exits: [] }]));
    for (let run = 0; run < runs; run++) {
      for (const id of rotate(RACE_VARIANTS, run)) {
        const { server } = await startServer(VARIANTS[id], receiver?.url ?? 'http://127.0.0.1:9');
        try {
          const counting = load(server.port);
          await sleep(SIGTERM_AFTER_MS);
          const stop = await server.stopTimed();
          const counts = await counting;
          byId[id].lost.push(counts.lost);
          byId[id].ok.push(counts.ok);
          byId[id].exits.push(stop.code);
        } finally {
          await server.kill();
        }
      }
      log(`keep-alive race, ${client}, run ${run + 1}/${runs}`);
    }
    rows.push(...Object.values(byId));
  }
  return rows;
}

/** The BENCHMARKS.md section. */
export function renderRace(rows, runs) {
  const lines = [
    `## 8. Keep-alive race: busy clients, SIGTERM mid-load (${runs} runs each)`,
    '',
    `Each run: a fresh server, ${LOAD_SECONDS} s of keep-alive load on \`/\`, SIGTERM ${SIGTERM_AFTER_MS} ms in. "Lost" counts requests the`,
    'client had written and got no response for (wrk: read errors and timeouts; undici: any error but a refused',
    'connection, which was never written). The control is the bare-Node floor: `Connection: close` on in-flight',
    'responses and `server.close()`, which also closes idle keep-alive sockets at once.',
    '',
    '| Client | Variant | Lost per run | Completed per run (median) | Exit codes |',
    '| --- | --- | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const ok = [...r.ok].sort((a, b) => a - b)[Math.floor(r.ok.length / 2)];
    lines.push(`| ${r.client} | ${VARIANTS[r.id].label} | ${r.lost.join(', ')} | ${ok.toLocaleString('en')} | ${[...new Set(r.exits)].join(', ')} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { snapshotDist } = await import('../lib/snapshot.mjs');
  await snapshotDist(process.execPath);
  const runs = Number(process.argv[2] ?? 5);
  const rows = await keepAliveRace({ runs, log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${renderRace(rows, runs)}\n`);
}
