/** Wires the telemetry of the shutdown onto the engine: observers and flushers only. */
import type { Engine } from '../engine.js';
import { logObserver, ownLogFlusher } from './logs.js';

export function installTelemetry(engine: Engine): void {
  engine.observers.push(logObserver);
  engine.flushers.push(ownLogFlusher);
}
