/** Phase 1: readiness fails at once (liveness keeps passing until exit). */
import type { RunContext } from '../run-context.js';

export function failReadiness(ctx: RunContext): void {
  ctx.engine.ready = false;
  ctx.engine.shutdownController.abort(new Error(`shutdown started by ${ctx.summary.trigger}`));
}
