// Decodes an OTLP ExportTraceServiceRequest from its protobuf bytes (what the http/protobuf and
// grpc exporters send) into the shape of its OTLP/JSON encoding, so one receiver reads all three.
// Field numbers from opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1).

/** Reads the fields of one message: [fieldNumber, wireType, value] with value a Buffer or bigint. */
function* fields(buf) {
  let pos = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 1) yield [field, wire, buf.subarray(pos, (pos += 8))];
    else if (wire === 2) {
      const length = Number(varint());
      yield [field, wire, buf.subarray(pos, (pos += length))];
    } else if (wire === 5) yield [field, wire, buf.subarray(pos, (pos += 4))];
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Decodes a message with `spec`: field number -> [name, decode, repeated?]. */
function message(buf, spec) {
  const out = {};
  for (const [field, , value] of fields(buf)) {
    const entry = spec[field];
    if (entry === undefined) continue;
    const [name, decode, repeated] = entry;
    if (repeated) (out[name] ??= []).push(decode(value));
    else out[name] = decode(value);
  }
  return out;
}

const str = (b) => b.toString('utf8');
const hex = (b) => b.toString('hex');
const fixed64 = (b) => b.readBigUInt64LE(0).toString();
const int64 = (v) => BigInt.asIntN(64, v).toString();
const bool = (v) => v !== 0n;
const num = (v) => Number(v);
const double = (b) => b.readDoubleLE(0);

const anyValue = (b) =>
  message(b, {
    1: ['stringValue', str],
    2: ['boolValue', bool],
    3: ['intValue', int64],
    4: ['doubleValue', double],
    5: ['arrayValue', (x) => message(x, { 1: ['values', anyValue, true] })],
    6: ['kvlistValue', (x) => message(x, { 1: ['values', keyValue, true] })],
    7: ['bytesValue', hex],
  });
const keyValue = (b) => message(b, { 1: ['key', str], 2: ['value', anyValue] });
const event = (b) => message(b, { 1: ['timeUnixNano', fixed64], 2: ['name', str], 3: ['attributes', keyValue, true] });
const status = (b) => message(b, { 2: ['message', str], 3: ['code', num] });
const span = (b) =>
  message(b, {
    1: ['traceId', hex],
    2: ['spanId', hex],
    4: ['parentSpanId', hex],
    5: ['name', str],
    6: ['kind', num],
    7: ['startTimeUnixNano', fixed64],
    8: ['endTimeUnixNano', fixed64],
    9: ['attributes', keyValue, true],
    11: ['events', event, true],
    15: ['status', status],
  });
const scope = (b) => message(b, { 1: ['name', str], 2: ['version', str] });
const scopeSpans = (b) => message(b, { 1: ['scope', scope], 2: ['spans', span, true] });
const resource = (b) => message(b, { 1: ['attributes', keyValue, true] });
const resourceSpans = (b) => message(b, { 1: ['resource', resource], 2: ['scopeSpans', scopeSpans, true] });

/** The OTLP/JSON-shaped object of an ExportTraceServiceRequest's protobuf bytes. */
export function decodeTraceRequest(buf) {
  return message(buf, { 1: ['resourceSpans', resourceSpans, true] });
}
