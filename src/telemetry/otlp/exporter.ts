/**
 * graceful-otel's own OTLP trace exporter: the spans of its recorder, encoded for the configured
 * protocol, sent in one request at the flush. A warm-up request with no spans, sent once after the
 * first listen, compiles the client and encoder code and opens the keep-alive connection, so the
 * export at shutdown is fast; it also tells early when the endpoint cannot be reached.
 */
import { performance } from 'node:perf_hooks';
import { VERSION } from '../../version.js';
import { causeInWords } from '../endpoint-probe.js';
import { TRACE_LOG_EVENT, TRACER_NAME } from '../names.js';
import type { ConfigWarn, OtlpConfig } from './config.js';
import type { TraceBatch } from './batch.js';
import { encodeJson } from './encode-json.js';
import { encodeProtobuf } from './encode-protobuf.js';
import { envResource } from './resource.js';
import { createRecorder, type RecordedSpan, type SpanRecorder } from './tracer.js';
import { createTransport, ExportAnswerError, type Transport } from './transport.js';

export interface ExporterReporter {
  warn: ConfigWarn;
  debug(message: string, fields: Record<string, unknown>): void;
}

export interface OwnExporter {
  /** Sends the empty warm-up request; reports an unreachable endpoint once. Never rejects. */
  warmUp(): Promise<void>;
  /** Exports the spans ended so far in one request, aborted at `deadline` (performance.now() ms). */
  flush(deadline: number): Promise<string>;
}

/**
 * Why a request got no answer: the connection error in words (an HTTP/2 stream error carries it as
 * its cause), else the error's own message (a TLS error says more than its code).
 */
function failureInWords(error: unknown): string {
  let e = error as (NodeJS.ErrnoException & { cause?: unknown }) | undefined;
  while (e?.cause !== undefined && (e.code === undefined || e.code.startsWith('ERR_HTTP2'))) e = e.cause as typeof e;
  const words = causeInWords(e ?? {} as NodeJS.ErrnoException);
  return words === e?.code && e.message ? e.message : words;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createOwnExporter(config: OtlpConfig, recorder: SpanRecorder, report: ExporterReporter): OwnExporter {
  let transport: Transport | undefined;
  const encode = (batch: TraceBatch | undefined): Buffer => (config.protocol === 'http/json' ? Buffer.from(encodeJson(batch)) : encodeProtobuf(batch));
  const send = (batch: TraceBatch | undefined, timeoutMs: number, background: boolean): Promise<void> => {
    transport ??= createTransport(config, report.warn);
    return transport.send(encode(batch), { timeoutMs, background });
  };
  const endpoint = config.url.href;
  let resource: TraceBatch['resource'] | undefined;
  const batchOf = (spans: RecordedSpan[]): TraceBatch => ({ resource: (resource ??= envResource()), scope: { name: TRACER_NAME, version: VERSION }, spans });

  return {
    async warmUp() {
      // A step per event-loop turn, none long: compile the span path of the encoder (and the id
      // generation; the result is dropped), then send.
      await nextTurn();
      const scratch = createRecorder();
      const span = scratch.startSpan(TRACER_NAME, { [TRACER_NAME]: 0 });
      span.addEvent(TRACER_NAME, { [TRACER_NAME]: 0.5 });
      span.end();
      encode(batchOf(scratch.takeEnded()));
      await nextTurn();
      try {
        await send(undefined, config.timeoutMs, true);
        report.debug('OTLP endpoint answered the warm-up request', { endpoint });
      } catch (error) {
        if (error instanceof ExportAnswerError) {
          // An answer, even an error status, means the endpoint is there.
          report.debug(`OTLP endpoint answered the warm-up request with an error: ${error.message}`, { endpoint });
          return;
        }
        const cause = failureInWords(error);
        report.warn(`the OTLP endpoint ${endpoint} cannot be reached (${cause}): the shutdown trace will not arrive unless it comes up`, {
          event: TRACE_LOG_EVENT.endpointUnreachable,
          endpoint,
          cause,
        });
      }
    },
    async flush(deadline) {
      const spans = recorder.takeEnded();
      if (spans.length === 0) return 'no spans to export';
      const timeoutMs = Math.min(config.timeoutMs, deadline - performance.now());
      if (timeoutMs <= 0) throw new Error(`no time left to export ${spans.length} spans`);
      try {
        await send(batchOf(spans), timeoutMs, false);
      } catch (error) {
        // Worded as the endpoint probe words it: where, then why.
        const why = error instanceof ExportAnswerError ? `answered ${error.message}` : failureInWords(error);
        throw new Error(`graceful-otel's exporter: ${config.url.origin}: ${why} (${spans.length} spans to ${endpoint} not exported)`);
      }
      return `${spans.length} spans to ${endpoint}`;
    },
  };
}
