// A minimal OTLP/HTTP trace receiver (JSON and protobuf encodings): collects the spans POSTed to
// /v1/traces. Used by the demo and by the tests; point an app at it with
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port> (OTEL_EXPORTER_OTLP_PROTOCOL http/json or http/protobuf)
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './otlp-protobuf.mjs';

/** Flattens an OTLP attribute list into a plain object. */
export function attributes(list = []) {
  const out = {};
  for (const { key, value } of list) {
    const v = value ?? {};
    out[key] =
      v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ??
      (v.arrayValue ? (v.arrayValue.values ?? []).map((x) => x.stringValue ?? Number(x.intValue ?? x.doubleValue)) : undefined);
  }
  return out;
}

/** Appends the spans of an OTLP/JSON-shaped export request to `spans`. */
export function collectSpans(body, spans) {
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          name: s.name,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          scope: ss.scope?.name,
          startMs: Number(BigInt(s.startTimeUnixNano) / 1_000_000n),
          endMs: Number(BigInt(s.endTimeUnixNano) / 1_000_000n),
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          status: s.status?.code ?? 0,
          resource,
        });
      }
    }
  }
}

/**
 * Starts the receiver on 127.0.0.1 (port 0 picks a free one). It reads both OTLP/HTTP encodings:
 * JSON and protobuf (by content type), gzip-compressed or not; `requests` counts the export
 * requests of each, `headers` keeps each request's headers.
 */
export async function startOtlpReceiver(port = 0) {
  const spans = [];
  const requests = { json: 0, protobuf: 0 };
  const headers = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const raw = Buffer.concat(chunks);
        const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        headers.push(request.headers);
        const protobuf = request.headers['content-type'] === 'application/x-protobuf';
        requests[protobuf ? 'protobuf' : 'json']++;
        collectSpans(protobuf ? decodeTraceRequest(body) : JSON.parse(body.toString('utf8') || '{}'), spans);
        if (protobuf) {
          // An empty ExportTraceServiceResponse.
          response.writeHead(200, { 'content-type': 'application/x-protobuf' });
          response.end();
          return;
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    spans,
    requests,
    headers,
    port: server.address().port,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Prints a trace as an indented tree with offsets and durations relative to its root. */
export function formatTrace(spans, rootName = 'graceful.shutdown') {
  const root = spans.find((s) => s.name === rootName);
  if (!root) return '(no shutdown trace received)';
  const inTrace = spans.filter((s) => s.traceId === root.traceId);
  const lines = [];
  const walk = (span, depth) => {
    const offset = span.startMs - root.startMs;
    const label = span.attributes['graceful.hook.name'] ? `${span.name} (${span.attributes['graceful.hook.name']})` : span.name;
    lines.push(`${'  '.repeat(depth)}${label.padEnd(40 - depth * 2)} +${String(offset).padStart(5)} ms  ${String(span.endMs - span.startMs).padStart(5)} ms`);
    for (const event of span.events) lines.push(`${'  '.repeat(depth + 1)}· ${event.name} ${JSON.stringify(event.attributes)}`);
    for (const child of inTrace.filter((s) => s.parentSpanId === span.spanId).sort((a, b) => a.startMs - b.startMs)) walk(child, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n');
}
