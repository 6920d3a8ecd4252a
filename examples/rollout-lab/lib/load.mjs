// Open-loop load at a fixed rate over keep-alive connections: request i leaves at start + i/rate
// whether or not earlier ones answered, so every mode gets the same requests at the same moments
// and a slow or failing backend cannot slow the load down (and hide its own errors).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { HOST } from './net.mjs';

const TICK_MS = 5;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * @param {{ port: number, rate: number, requestMs: number, maxSockets?: number }} options
 * @returns {{ startedAt: number, stop(): Promise<Result[]> }}
 * where Result = { at: ms since start, ms: duration, status?: number, error?: string }
 */
export function startLoad({ port, rate, requestMs, maxSockets = 64 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const startedAt = performance.now();
  const results = [];
  const pending = new Set();
  let sent = 0;

  const send = (at) => {
    const done = new Promise((resolve) => {
      const finish = (fields) => {
        results.push({ at, ms: performance.now() - startedAt - at, ...fields });
        resolve();
      };
      const req = http.get({ host: HOST, port, path: `/?delay=${requestMs}`, agent }, (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode }));
        res.on('error', (error) => finish({ error: error.code ?? error.message }));
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error) => finish({ error: error.code ?? error.message }));
    });
    pending.add(done);
    done.then(() => pending.delete(done));
  };

  // Catch up on every request that is due: timers are late under load, the schedule is not.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAt) * rate) / 1000) + 1;
    while (sent < due) send((sent++ * 1000) / rate);
  }, TICK_MS);

  return {
    startedAt,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return results.sort((a, b) => a.at - b.at);
    },
  };
}

/** Counts: sent, ok (2xx), failed by status, failed by connection error. */
export function summarise(results) {
  const byStatus = {};
  const byError = {};
  let ok = 0;
  for (const r of results) {
    if (r.error !== undefined) byError[r.error] = (byError[r.error] ?? 0) + 1;
    else if (r.status >= 200 && r.status < 300) ok++;
    else byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  const total = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  return { sent: results.length, ok, failedByStatus: byStatus, failedStatus: total(byStatus), connectionErrors: byError, failedConnection: total(byError) };
}
