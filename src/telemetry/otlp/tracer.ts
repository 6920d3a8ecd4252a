/**
 * graceful-otel's own span recorder, used when it exports the shutdown trace itself: the few spans
 * of the shutdown are kept in memory once ended and exported in one request at the flush. Needs no
 * OpenTelemetry package.
 */
import { performance } from 'node:perf_hooks';
import { EXCEPTION } from '../names.js';
import type { AttributeValue, Attributes, ShutdownSpan, ShutdownTracer, SpanStatus } from '../tracer.js';

/**
 * `bytes` random bytes as lowercase hex, never all zeros (an invalid id). Math.random, as the
 * OpenTelemetry JS SDK's id generator uses: ids need to be unique, not secret, and node:crypto
 * takes milliseconds to load.
 */
function randomId(bytes: number): string {
  let id = '';
  for (let i = 0; i < bytes; i++) id += Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return /^0+$/.test(id) ? randomId(bytes) : id;
}

export interface RecordedEvent {
  name: string;
  /** ms since the epoch, sub-ms precision. */
  timeMs: number;
  attributes: Record<string, AttributeValue>;
}

/** An ended span, as the encoders read it. Ids are lowercase hex. */
export interface RecordedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue>;
  events: RecordedEvent[];
  status: SpanStatus;
}

/** Now, in ms since the epoch with sub-ms precision (monotonic within the process). */
const nowMs = (): number => performance.timeOrigin + performance.now();

function defined(attributes: Attributes | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (value !== undefined) out[key] = value;
  return out;
}

export interface SpanRecorder extends ShutdownTracer {
  /** The spans ended since the last call, oldest first; the recorder forgets them. */
  takeEnded(): RecordedSpan[];
}

export function createRecorder(): SpanRecorder {
  let ended: RecordedSpan[] = [];

  const startSpan: ShutdownTracer['startSpan'] = (name, attributes, options = {}) => {
    const parentIds = options.parent?.ids();
    const data: RecordedSpan = {
      traceId: parentIds?.traceId ?? randomId(16),
      spanId: randomId(8),
      ...(parentIds === undefined ? {} : { parentSpanId: parentIds.spanId }),
      name,
      startMs: options.startTime ?? nowMs(),
      endMs: 0,
      attributes: defined(attributes),
      events: [],
      status: { code: 0 },
    };
    let done = false;
    const span: ShutdownSpan = {
      setAttribute: (key, value) => void (data.attributes[key] = value),
      setAttributes: (more) => void Object.assign(data.attributes, defined(more)),
      addEvent: (eventName, eventAttributes) => void data.events.push({ name: eventName, timeMs: nowMs(), attributes: defined(eventAttributes) }),
      setStatus: (status) => void (data.status = { ...status }),
      recordException: (exception) =>
        span.addEvent(EXCEPTION.event, {
          [EXCEPTION.type]: exception.name,
          [EXCEPTION.message]: exception.message,
          ...(exception.stack === undefined ? {} : { [EXCEPTION.stacktrace]: exception.stack }),
        }),
      end: () => {
        if (done) return; // ending twice is a no-op, as in the SDK
        done = true;
        data.endMs = Math.max(nowMs(), data.startMs);
        ended.push(data);
      },
      ids: () => ({ traceId: data.traceId, spanId: data.spanId }),
    };
    return span;
  };

  return {
    startSpan,
    takeEnded() {
      const taken = ended;
      ended = [];
      return taken;
    },
  };
}
