/**
 * OTLP/JSON encoding of an ExportTraceServiceRequest (OTLP specification, "JSON Protobuf
 * Encoding"): ids as lowercase hex, enums as integers, 64-bit integers as decimal strings.
 */
import type { AttributeValue } from '../tracer.js';
import { SPAN_KIND_INTERNAL, unixNanos, type TraceBatch } from './batch.js';

type JsonAnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number } | { arrayValue: { values: JsonAnyValue[] } };

function anyValue(value: AttributeValue | string | number | boolean): JsonAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: (value as readonly (string | number | boolean)[]).map(anyValue) } };
}

const keyValues = (attributes: Record<string, AttributeValue>) => Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));

/** The request's JSON text; an empty request when the batch is undefined or has no spans. */
export function encodeJson(batch: TraceBatch | undefined): string {
  if (batch === undefined || batch.spans.length === 0) return '{}';
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(batch.resource) },
        scopeSpans: [
          {
            scope: batch.scope,
            spans: batch.spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
              name: span.name,
              kind: SPAN_KIND_INTERNAL,
              startTimeUnixNano: unixNanos(span.startMs).toString(),
              endTimeUnixNano: unixNanos(span.endMs).toString(),
              attributes: keyValues(span.attributes),
              events: span.events.map((event) => ({ timeUnixNano: unixNanos(event.timeMs).toString(), name: event.name, attributes: keyValues(event.attributes) })),
              status: { code: span.status.code, ...(span.status.message === undefined ? {} : { message: span.status.message }) },
            })),
          },
        ],
      },
    ],
  });
}
