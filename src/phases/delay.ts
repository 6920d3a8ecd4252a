/**
 * Phase 2: keep serving while the load balancer deregisters the instance. Every response now
 * carries `Connection: close` and HTTP/2 clients get GOAWAY, so keep-alive clients move elsewhere.
 */
import { sleep } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import { performance } from 'node:perf_hooks';

/** Keeps serving until `delayMs` after the start of the shutdown. */
export async function delay(ctx: RunContext, delayMs: number): Promise<void> {
  ctx.tracker.closing = true;
  for (const tracked of ctx.tracker.servers) for (const session of tracked.sessions) session.close();
  await sleep(ctx.startedAt + delayMs - performance.now(), ctx.skipWaits);
}
