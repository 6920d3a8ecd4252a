/**
 * The shutdown tracer over the OpenTelemetry API: spans go to whichever SDK the app registered.
 */
import type * as Api from '@opentelemetry/api';
import type { ShutdownSpan, ShutdownTracer } from './tracer.js';

/** Wraps an API span; `context` is the span's context for its children. */
function wrap(api: typeof Api, span: Api.Span): ShutdownSpan & { context: Api.Context } {
  return {
    context: api.trace.setSpan(api.context.active(), span),
    setAttribute: (key, value) => void span.setAttribute(key, value as Api.AttributeValue),
    setAttributes: (attributes) => void span.setAttributes(attributes as Api.Attributes),
    addEvent: (name, attributes) => void span.addEvent(name, attributes as Api.Attributes | undefined),
    setStatus: (status) => void span.setStatus(status as Api.SpanStatus),
    recordException: (exception) => span.recordException(exception),
    end: () => span.end(),
    // A span of a disabled SDK has all-zero ids: report none rather than zeros.
    ids: () => {
      const context = span.spanContext();
      return api.trace.isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : undefined;
    },
  };
}

export function apiTracer(api: typeof Api, tracer: Api.Tracer): ShutdownTracer {
  return {
    startSpan(name, attributes, options = {}) {
      const parent = options.parent as (ShutdownSpan & { context?: Api.Context }) | undefined;
      const span = tracer.startSpan(
        name,
        { root: parent === undefined, attributes: attributes as Api.Attributes, ...(options.startTime === undefined ? {} : { startTime: options.startTime }) },
        parent?.context,
      );
      return wrap(api, span);
    },
  };
}
