// The goals, checked against the medians of this run. Each check says what was measured,
// so the report can state plainly which goals are met.
import { fmt, fmtSigned } from './stats.mjs';

const VARIANT_WHAT = { go: 'no SDK', goSdk: 'trace on, built-in exporter', sdkAppGo: 'SDK set up by the app' };
const row = (rows, id) => rows.find((r) => r.id === id);
const check = (goal, value, ok, measured) => ({ goal, met: Number.isFinite(value) && ok(value), measured });

export function checkGoals(results) {
  const goals = [];
  const { overhead, idle, keepAlive, inflight, startup, settled } = results;
  for (const id of ['go', 'goSdk']) {
    const label = id === 'go' ? 'without an SDK' : 'with the trace on (built-in exporter)';
    const r = row(overhead, id);
    goals.push(check(`1. Serving, ${label}: server CPU per request ≤ bare + 3 %`, r.cpuDeltaPct.median, (v) => v <= 3, `${fmtSigned(r.cpuDeltaPct.median)} %`));
    goals.push(check(`1. Serving, ${label}: req/s ratio ≥ 0.99`, r.rpsRatio.median, (v) => v >= 0.99, fmt(r.rpsRatio.median, 3)));
  }
  const go = row(idle, 'go');
  const sdk = row(idle, 'goSdk');
  goals.push(check('2. Idle SIGTERM → exit without an SDK ≤ floor + 2 ms', go.delta.median, (v) => v <= 2, `${fmtSigned(go.delta.median)} ms`));
  goals.push(
    check('2. Idle SIGTERM → exit with the shutdown trace exported to a local receiver ≤ floor + 8 ms', sdk.spans.median > 0 ? sdk.delta.median : NaN, (v) => v <= 8,
      `${fmtSigned(sdk.delta.median)} ms, ${fmt(sdk.spans.median, 0)} spans received${sdk.spans.median > 0 ? '' : ' (no trace arrived: not met)'}`),
  );
  const small = keepAlive.find((k) => k.count === 200);
  const large = keepAlive.find((k) => k.count === 10_000);
  if (small) {
    const r = row(small.rows, 'go');
    goals.push(check('3. 200 idle keep-alive sockets ≤ floor + 5 ms', r.delta.median, (v) => v <= 5, `${fmtSigned(r.delta.median)} ms`));
  }
  if (large) {
    const r = row(large.rows, 'go');
    goals.push(check('3. 10 000 idle keep-alive sockets drained and exited ≤ 250 ms', r.ms.median, (v) => v <= 250, `${fmt(r.ms.median)} ms`));
  }
  const slopes = socketSlopes(keepAlive, 'go');
  if (slopes.length >= 2) {
    const ratio = slopes.at(-1).usPerSocket / slopes[0].usPerSocket;
    goals.push(check('3. Cost linear in sockets (per-socket cost of the largest step within 2× of the smallest)', ratio, (v) => v <= 2 && v >= 0.5,
      slopes.map((s) => `${s.from}→${s.to}: ${fmt(s.usPerSocket, 2)} µs/socket`).join(', ')));
  }
  const floorSlopes = socketSlopes(keepAlive, 'floorDrain');
  if (slopes.length >= 1 && floorSlopes.length >= 1) {
    const ours = slopes.at(-1).usPerSocket;
    const floor = floorSlopes.at(-1).usPerSocket;
    goals.push(check('3. Per-socket drain cost (largest step) within 10 % of the floor\'s', ours / floor, (v) => v <= 1.1,
      `${fmt(ours, 2)} vs ${fmt(floor, 2)} µs/socket (× ${fmt(ours / floor, 2)})`));
  }
  if (settled) {
    for (const [id, limit, what] of [['go', 5, 'without an SDK'], ['goSdk', 15, 'with the trace on']]) {
      const r = row(settled, id);
      goals.push(check(`7. Settled idle RSS ${what} ≤ bare + ${limit} MB`, r.rssDelta.median, (v) => v <= limit,
        `${fmtSigned(r.rssDelta.median)} MB (private part: ${fmtSigned(r.anonDelta.median)} MB)`));
    }
    for (const id of ['go', 'goSdk', 'sdkAppGo']) {
      const r = row(settled, id);
      goals.push(check(`7. Longest event-loop stall in the first 2 s after listening (${VARIANT_WHAT[id]}) ≤ 5 ms`, r.stallMs.max, (v) => v <= 5,
        `${fmt(r.stallMs.median)} ms median, ${fmt(r.stallMs.max)} ms worst run (bare: ${fmt(row(settled, 'bare').stallMs.median)} ms median, ${fmt(row(settled, 'bare').stallMs.max)} ms worst)`));
    }
  }
  const inf = row(inflight.rows, 'go');
  const infFloor = row(inflight.rows, 'floorDrain');
  goals.push(check(`4. ${inflight.count} in-flight requests: exit ≤ T + 20 ms`, inf.ms.median, (v) => v <= 20,
    `T + ${fmt(inf.ms.median)} ms (floor: T + ${fmt(infFloor.ms.median)} ms)`));
  for (const id of ['go', 'goSdk', 'sdkAppGo']) {
    const r = row(startup, id);
    const what = VARIANT_WHAT[id];
    goals.push(check(`5. Startup to listening under the preload (${what}) ≤ +40 ms`, r.delta.median, (v) => v <= 40, `${fmtSigned(r.delta.median)} ms`));
  }
  return goals;
}

/** Per-socket cost of each step between the keep-alive sizes: Δ median exit time / Δ sockets. */
export function socketSlopes(keepAlive, id) {
  const points = keepAlive.map((k) => ({ count: k.count, ms: row(k.rows, id).ms.median })).sort((a, b) => a.count - b.count);
  return points.slice(1).map((p, i) => ({
    from: points[i].count,
    to: p.count,
    usPerSocket: ((p.ms - points[i].ms) * 1000) / (p.count - points[i].count),
  }));
}
