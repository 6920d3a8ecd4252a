/** What one export request carries, as both encoders read it. */
import type { AttributeValue } from '../tracer.js';
import type { RecordedSpan } from './tracer.js';

export interface TraceBatch {
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
  spans: RecordedSpan[];
}

/** OTLP `SpanKind.SPAN_KIND_INTERNAL`: every shutdown span is internal. */
export const SPAN_KIND_INTERNAL = 1;

/** ms since the epoch (sub-ms precision) as unix nanoseconds, without losing the whole ms to double rounding. */
export function unixNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}
