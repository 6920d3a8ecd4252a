/** What the OTLP receivers (examples/lib/otlp-receiver.mjs, otlp-grpc-receiver.mjs) hand the tests. */

/** One span as a receiver flattened it. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  resource?: Record<string, unknown>;
  startMs?: number;
  endMs?: number;
}

/** A running receiver: the spans it got, requests by encoding, its base URL. */
export interface Receiver {
  spans: ReceivedSpan[];
  requests: Record<string, number>;
  /** Each export request's headers (gRPC: its metadata). */
  headers: Record<string, unknown>[];
  url: string;
  close(): Promise<void>;
}
