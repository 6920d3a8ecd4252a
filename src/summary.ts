/** The summary of one shutdown run: created when it begins, filled in by the phases. */
import type { ConnectionTracker } from './discovery.js';
import type { ShutdownSummary } from './observer.js';
import type { ShutdownTrigger } from './types.js';
import type { WorkTracker } from './work.js';

export function newSummary(trigger: ShutdownTrigger, tracker: ConnectionTracker, work: WorkTracker): ShutdownSummary {
  return {
    trigger,
    startedAtMs: Date.now(),
    servers: [...tracker.servers].map((s) => s.snapshot()),
    connectionsAtStart: tracker.connections,
    inflightAtStart: tracker.inflight,
    workAtStart: work.active,
    phaseMs: {},
    drainOutcome: undefined,
    drainMs: undefined,
    forced: { request: 0, connection: 0, hook: 0, work: 0 },
    hooks: [],
    flush: [],
    cutShort: undefined,
    exitCode: undefined,
  };
}

/** Milliseconds as printed in log lines: whole numbers. */
export function roundMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms);
}
