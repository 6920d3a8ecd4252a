/**
 * The small tracing interface the shutdown spans (spans.ts) are made with. Two implementations:
 * the OpenTelemetry API tracer of the app's SDK (api-tracer.ts), and graceful-otel's own span
 * recorder (otlp/tracer.ts), which needs no OpenTelemetry package at all.
 */

/** An attribute value, as OpenTelemetry allows it (homogeneous arrays of primitives). */
export type AttributeValue = string | number | boolean | readonly string[] | readonly number[] | readonly boolean[];
export type Attributes = Record<string, AttributeValue | undefined>;

/** `code`: 0 unset, 1 ok, 2 error (OpenTelemetry's SpanStatusCode). */
export interface SpanStatus {
  code: number;
  message?: string;
}

export interface ShutdownSpan {
  setAttribute(key: string, value: AttributeValue): void;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  setStatus(status: SpanStatus): void;
  /** The `exception` event of OpenTelemetry's semantic conventions. */
  recordException(exception: { name: string; message: string; stack?: string }): void;
  end(): void;
  /** The span's ids; undefined for a span that is not recorded (all-zero ids). */
  ids(): { traceId: string; spanId: string } | undefined;
}

export interface ShutdownTracer {
  /** A root span when `parent` is undefined; `startTime` in ms since the epoch (sub-ms allowed). */
  startSpan(name: string, attributes: Attributes, options?: { parent?: ShutdownSpan; startTime?: number }): ShutdownSpan;
}

/** `SpanStatusCode.ERROR` (fixed by the OpenTelemetry specification). */
export const STATUS_ERROR = 2;
