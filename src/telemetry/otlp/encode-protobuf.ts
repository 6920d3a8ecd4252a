/**
 * OTLP/protobuf encoding of an ExportTraceServiceRequest, by hand. Field numbers from
 * opentelemetry-proto: collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto, resource/v1/resource.proto.
 */
import type { AttributeValue } from '../tracer.js';
import { SPAN_KIND_INTERNAL, unixNanos, type TraceBatch } from './batch.js';
import type { RecordedEvent, RecordedSpan } from './tracer.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

/** A message under construction: its encoded fields, concatenated at the end. */
type Parts = Buffer[];

function varint(value: number | bigint): Buffer {
  let n = BigInt(value);
  const bytes: number[] = [];
  while (n > 0x7fn) {
    bytes.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  bytes.push(Number(n));
  return Buffer.from(bytes);
}

const key = (field: number, wire: number): Buffer => varint((field << 3) | wire);

function bytesField(parts: Parts, field: number, bytes: Buffer): void {
  parts.push(key(field, LENGTH_DELIMITED), varint(bytes.length), bytes);
}
const stringField = (parts: Parts, field: number, text: string): void => bytesField(parts, field, Buffer.from(text, 'utf8'));
const messageField = (parts: Parts, field: number, message: Parts): void => bytesField(parts, field, Buffer.concat(message));
function fixed64Field(parts: Parts, field: number, value: bigint): void {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  parts.push(key(field, FIXED64), bytes);
}
/** int64 and enums: negative values as their 64-bit two's complement, as protobuf does. */
const varintField = (parts: Parts, field: number, value: number | bigint): void => void parts.push(key(field, VARINT), varint(BigInt.asUintN(64, BigInt(value))));

/** common.v1.AnyValue: string 1, bool 2, int 3, double 4, array 5 (ArrayValue.values 1). */
function anyValue(value: AttributeValue | string | number | boolean): Parts {
  const parts: Parts = [];
  if (typeof value === 'string') stringField(parts, 1, value);
  else if (typeof value === 'boolean') varintField(parts, 2, value ? 1 : 0);
  else if (typeof value === 'number' && Number.isInteger(value)) varintField(parts, 3, value);
  else if (typeof value === 'number') {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
    parts.push(key(4, FIXED64), bytes);
  } else {
    const array: Parts = [];
    for (const item of value as readonly (string | number | boolean)[]) messageField(array, 1, anyValue(item));
    messageField(parts, 5, array);
  }
  return parts;
}

/** Repeated common.v1.KeyValue (key 1, value 2) under `field`. */
function attributesField(parts: Parts, field: number, attributes: Record<string, AttributeValue>): void {
  for (const [name, value] of Object.entries(attributes)) {
    const kv: Parts = [];
    stringField(kv, 1, name);
    messageField(kv, 2, anyValue(value));
    messageField(parts, field, kv);
  }
}

/** trace.v1.Span.Event: time 1, name 2, attributes 3. */
function event(e: RecordedEvent): Parts {
  const parts: Parts = [];
  fixed64Field(parts, 1, unixNanos(e.timeMs));
  stringField(parts, 2, e.name);
  attributesField(parts, 3, e.attributes);
  return parts;
}

/** trace.v1.Span: trace id 1, span id 2, parent 4, name 5, kind 6, start 7, end 8, attributes 9, events 11, status 15. */
function span(s: RecordedSpan): Parts {
  const parts: Parts = [];
  bytesField(parts, 1, Buffer.from(s.traceId, 'hex'));
  bytesField(parts, 2, Buffer.from(s.spanId, 'hex'));
  if (s.parentSpanId !== undefined) bytesField(parts, 4, Buffer.from(s.parentSpanId, 'hex'));
  stringField(parts, 5, s.name);
  varintField(parts, 6, SPAN_KIND_INTERNAL);
  fixed64Field(parts, 7, unixNanos(s.startMs));
  fixed64Field(parts, 8, unixNanos(s.endMs));
  attributesField(parts, 9, s.attributes);
  for (const e of s.events) messageField(parts, 11, event(e));
  // trace.v1.Status: message 2, code 3.
  const status: Parts = [];
  if (s.status.message !== undefined) stringField(status, 2, s.status.message);
  if (s.status.code !== 0) varintField(status, 3, s.status.code);
  messageField(parts, 15, status);
  return parts;
}

/** The request's bytes; an empty request (zero bytes) when the batch is undefined or has no spans. */
export function encodeProtobuf(batch: TraceBatch | undefined): Buffer {
  if (batch === undefined || batch.spans.length === 0) return Buffer.alloc(0);
  // InstrumentationScope: name 1, version 2. ScopeSpans: scope 1, spans 2.
  const scope: Parts = [];
  stringField(scope, 1, batch.scope.name);
  stringField(scope, 2, batch.scope.version);
  const scopeSpans: Parts = [];
  messageField(scopeSpans, 1, scope);
  for (const s of batch.spans) messageField(scopeSpans, 2, span(s));
  // Resource: attributes 1. ResourceSpans: resource 1, scope spans 2.
  const resource: Parts = [];
  attributesField(resource, 1, batch.resource);
  const resourceSpans: Parts = [];
  messageField(resourceSpans, 1, resource);
  messageField(resourceSpans, 2, scopeSpans);
  // ExportTraceServiceRequest: resource spans 1.
  const request: Parts = [];
  messageField(request, 1, resourceSpans);
  return Buffer.concat(request);
}
