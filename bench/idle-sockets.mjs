// SIGTERM → exit with `count` idle keep-alive sockets open, for the bare-Node floor (closes them
// at once) and graceful-otel (closes each once idle for 300 ms, one sweep for all): shows the
// sweep's cost stays flat from 200 to 10 000 sockets. `node bench/idle-sockets.mjs [runs]`.
// (Section 3 of `npm run bench` measures the same with every peer; this is the quick check.)
import { holdSockets } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';
import { snapshotDist } from './lib/snapshot.mjs';
import { paired, rotate, summarize, fmtSummary } from './lib/stats.mjs';
import { VARIANTS } from './lib/variants.mjs';

await snapshotDist(process.execPath);
const runs = Number(process.argv[2] ?? 3);
const ids = ['floorDrain', 'go'];
console.log('| idle sockets | floor: SIGTERM → exit (ms) | graceful-otel (ms) | difference, paired (ms) |');
console.log('| ---: | ---: | ---: | ---: |');
for (const count of [200, 2000, 10_000]) {
  const ms = { floorDrain: [], go: [] };
  for (let run = 0; run < runs; run++) {
    for (const id of rotate(ids, run)) {
      const { server } = await startServer(VARIANTS[id], 'http://127.0.0.1:9');
      try {
        const holder = await holdSockets(server.port, count, 'idle');
        try {
          ms[id].push((await server.stopTimed()).ms);
        } finally {
          holder.release();
        }
      } finally {
        await server.kill();
      }
    }
    process.stderr.write(`${count} sockets, run ${run + 1}/${runs}\n`);
  }
  const delta = summarize(paired(ms.go, ms.floorDrain, (v, b) => v - b));
  console.log(`| ${count.toLocaleString('en')} | ${fmtSummary(summarize(ms.floorDrain))} | ${fmtSummary(summarize(ms.go))} | ${fmtSummary(delta)} |`);
}
