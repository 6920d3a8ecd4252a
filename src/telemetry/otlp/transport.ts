/**
 * Sends one encoded export request: POST over http/https (keep-alive agent of graceful-otel's own,
 * never the global one) or a unary gRPC call over node:http2. Neither keeps the process alive
 * while idle: the agent unrefs its free sockets, the http2 session is unref'd between calls.
 */
import { readFileSync } from 'node:fs';
import type * as Http from 'node:http';
import type * as Http2 from 'node:http2';
import type * as Https from 'node:https';
import type { ConfigWarn, OtlpConfig } from './config.js';
import { VERSION } from '../../version.js';
import { TRACE_LOG_EVENT, TRACER_NAME } from '../names.js';

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const CONTENT_TYPE = { 'http/json': 'application/json', 'http/protobuf': 'application/x-protobuf', grpc: 'application/grpc' } as const;
/** The OTLP exporter specification asks exporters to name themselves. */
const USER_AGENT = `${TRACER_NAME}/${VERSION}`;
/** How much of an error answer's body goes into the error message. */
const BODY_EXCERPT = 200;

/** An error answer (HTTP status not 2xx, gRPC status not 0): the endpoint is reachable. */
export class ExportAnswerError extends Error {
  readonly answered = true;
}

export interface SendOptions {
  timeoutMs: number;
  /** The warm-up request: its socket does not keep the process alive. */
  background?: boolean;
}

export interface Transport {
  /** Resolves once the endpoint accepted `body` (an encoded request); rejects with the reason otherwise. */
  send(body: Buffer, options: SendOptions): Promise<void>;
}

/** The PEM files of the TLS settings; a file that cannot be read is reported and left out. */
function tlsOptions(config: OtlpConfig, warn: ConfigWarn): { ca?: Buffer; key?: Buffer; cert?: Buffer } {
  const out: { ca?: Buffer; key?: Buffer; cert?: Buffer } = {};
  for (const [name, file] of Object.entries(config.tls)) {
    if (file === undefined) continue;
    try {
      out[name as keyof typeof out] = readFileSync(file.path);
    } catch (error) {
      warn(`${file.variable}=${file.path} cannot be read (${(error as Error).message}): the exporter goes on without it`, {
        event: TRACE_LOG_EVENT.exporterConfig,
        variable: file.variable,
        value: file.path,
      });
    }
  }
  return out;
}

// Loaded when used: TLS, HTTP/2 and zlib each cost memory an app may not otherwise pay.
const gzip = (body: Buffer): Buffer => (require('node:zlib') as typeof import('node:zlib')).gzipSync(body);

const excerpt = (body: Buffer): string => body.subarray(0, BODY_EXCERPT * 4).toString('utf8').slice(0, BODY_EXCERPT);

function httpTransport(config: OtlpConfig, tls: ReturnType<typeof tlsOptions>): Transport {
  const secure = config.url.protocol === 'https:';
  const client = (secure ? require('node:https') : require('node:http')) as typeof Https | typeof Http;
  const agent = secure ? new (client as typeof Https).Agent({ keepAlive: true, ...tls }) : new client.Agent({ keepAlive: true });
  const headers = {
    'user-agent': USER_AGENT,
    ...config.headers,
    'content-type': CONTENT_TYPE[config.protocol],
    ...(config.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
  };
  const post = (payload: Buffer, options: SendOptions): Promise<{ reused: boolean }> =>
    new Promise((resolve, reject) => {
      const request = client.request(config.url, { method: 'POST', agent, headers: { ...headers, 'content-length': payload.length } });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      timer.unref();
      if (options.background === true) request.once('socket', (socket) => socket.unref());
      request.once('error', (error) => {
        clearTimeout(timer);
        // A keep-alive socket the collector closed meanwhile: the caller retries once on a new one.
        reject(Object.assign(error, { reusedSocket: request.reusedSocket }));
      });
      request.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        // The connection dropped (or the timer destroyed it) halfway through the answer.
        response.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        response.once('end', () => {
          clearTimeout(timer);
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ reused: request.reusedSocket });
          else reject(new ExportAnswerError(`HTTP ${status} ${response.statusMessage ?? ''}`.trim() + `: ${excerpt(Buffer.concat(chunks))}`));
        });
      });
      request.end(payload);
    });
  return {
    async send(body, options) {
      const payload = config.compression === 'gzip' ? gzip(body) : body;
      try {
        await post(payload, options);
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (e.reusedSocket !== true || (e.code !== 'ECONNRESET' && e.code !== 'EPIPE')) throw error;
        await post(payload, options);
      }
    },
  };
}

function grpcTransport(config: OtlpConfig, tls: ReturnType<typeof tlsOptions>): Transport {
  const http2 = require('node:http2') as typeof Http2;
  let session: Http2.ClientHttp2Session | undefined;
  const connect = (): Http2.ClientHttp2Session => {
    if (session !== undefined && !session.closed && !session.destroyed) return session;
    const opened = http2.connect(config.url.origin, config.url.protocol === 'https:' ? tls : {});
    // Errors reach the call's stream; a collector closing the idle session is not one to report.
    opened.on('error', () => {});
    opened.once('close', () => {
      if (session === opened) session = undefined;
    });
    opened.unref();
    return (session = opened);
  };
  return {
    send(body, options) {
      const payload = config.compression === 'gzip' ? gzip(body) : body;
      // The gRPC message frame: compressed flag, 4-byte big-endian length, message.
      const frame = Buffer.alloc(5 + payload.length);
      frame.writeUInt8(config.compression === 'gzip' ? 1 : 0, 0);
      frame.writeUInt32BE(payload.length, 1);
      payload.copy(frame, 5);
      const s = connect();
      if (options.background !== true) s.ref();
      return new Promise<void>((resolve, reject) => {
        const stream = s.request({
          'user-agent': USER_AGENT,
          ...config.headers,
          ':method': 'POST',
          ':path': GRPC_EXPORT_PATH,
          'content-type': CONTENT_TYPE.grpc,
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.round(options.timeoutMs))}m`,
          ...(config.compression === 'gzip' ? { 'grpc-encoding': 'gzip' } : {}),
        });
        let httpStatus = 0;
        let grpcStatus: string | undefined;
        let grpcMessage = '';
        const chunks: Buffer[] = [];
        const read = (headers: Http2.IncomingHttpHeaders): void => {
          if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
          if (headers['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(headers['grpc-message']));
        };
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          if (options.background !== true) s.unref();
          if (error !== undefined) reject(error);
          else if (httpStatus !== 200) reject(new ExportAnswerError(`HTTP ${httpStatus}: ${excerpt(Buffer.concat(chunks))}`));
          else if (grpcStatus !== '0') reject(new ExportAnswerError(`grpc-status ${grpcStatus ?? 'missing'}${grpcMessage ? `: ${grpcMessage.slice(0, BODY_EXCERPT)}` : ''}`));
          else resolve();
        };
        const timer = setTimeout(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          finish(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
        timer.unref();
        stream.once('response', (headers) => {
          httpStatus = Number(headers[':status']);
          read(headers);
        });
        stream.once('trailers', read);
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('error', (error) => finish(error));
        stream.once('close', () => {
          if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && httpStatus === 0) finish(new Error(`stream closed without an answer (code ${stream.rstCode})`));
          else finish();
        });
        stream.end(frame);
      });
    },
  };
}

export function createTransport(config: OtlpConfig, warn: ConfigWarn): Transport {
  const tls = config.url.protocol === 'https:' ? tlsOptions(config, warn) : {};
  return config.protocol === 'grpc' ? grpcTransport(config, tls) : httpTransport(config, tls);
}
