// A minimal OTLP/gRPC trace receiver: a real gRPC server (@grpc/grpc-js) serving the collector's
// TraceService/Export method; requests are decoded from protobuf like the HTTP receiver's. Point an
// app at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port> OTEL_EXPORTER_OTLP_PROTOCOL=grpc
import grpc from '@grpc/grpc-js';
import { decodeTraceRequest } from './otlp-protobuf.mjs';
import { collectSpans } from './otlp-receiver.mjs';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const raw = (buffer) => buffer;

/** Starts the receiver on 127.0.0.1 (port 0 picks a free one). */
export async function startOtlpGrpcReceiver(port = 0) {
  const spans = [];
  const requests = { grpc: 0 };
  const headers = []; // each call's metadata (grpc-js decompresses gzip itself)
  const server = new grpc.Server();
  const service = {
    Export: {
      path: EXPORT,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: () => Buffer.alloc(0), // an empty ExportTraceServiceResponse
      responseDeserialize: raw,
    },
  };
  server.addService(service, {
    Export(call, callback) {
      requests.grpc++;
      headers.push(call.metadata.getMap());
      collectSpans(decodeTraceRequest(call.request), spans);
      callback(null, {});
    },
  });
  const bound = await new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    spans,
    requests,
    headers,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
