import {
  SpanKind,
  SpanStatusCode,
  context as otelContext,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR } from './names.js';
import { extractTraceContext, injectTraceContext, type KafkaHeaders } from './propagation.js';

export interface MessageHopOptions {
  /** Topic the record came from (`consume`) or goes to (`produce`). */
  readonly topic: string;
  /** `consume`/`process` (default `process`) continue the trace in `headers`; `produce` starts under `parent`. */
  readonly operation?: 'process' | 'produce';
  /** Headers of the incoming record: the parent trace context is read from them. */
  readonly headers?: KafkaHeaders;
  /** Parent when there are no headers to read (a producer at the first hop); default the active context. */
  readonly parent?: Context;
  /** Span name; default `<operation> <topic>` as the messaging conventions name it. */
  readonly name?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly attributes?: Attributes;
}

/** One hop of a record through the pipeline: its span, the span's context, and headers for the next hop. */
export interface MessageHop {
  readonly span: Span;
  /** Context holding `span`; pass it on (or use `inject`) so the next hop continues this trace. */
  readonly context: Context;
  /** Outgoing headers carrying this hop's trace context (a copy of `headers` plus `traceparent`). */
  inject(headers?: KafkaHeaders): KafkaHeaders;
}

/**
 * Starts the span of one message hop: the parent comes from the record's `traceparent` header, so a
 * trace created at the first hop continues through every worker. The caller ends `span`. Works with
 * no SDK registered (the span is then non-recording but still carries the incoming trace id).
 */
export function startMessageHop(tracer: Tracer, options: MessageHopOptions): MessageHop {
  const operation = options.operation ?? 'process';
  const parent =
    options.headers === undefined ? (options.parent ?? otelContext.active()) : extractTraceContext(options.headers, options.parent);
  const attributes: Attributes = {
    [ATTR.messagingSystem]: 'kafka',
    [ATTR.messagingOperation]: operation === 'produce' ? 'send' : 'process',
    [ATTR.topic]: options.topic,
    ...(options.partition === undefined ? {} : { [ATTR.partition]: String(options.partition) }),
    ...(options.offset === undefined ? {} : { [ATTR.offset]: options.offset }),
    ...options.attributes,
  };
  const span = tracer.startSpan(
    options.name ?? `${operation} ${options.topic}`,
    { kind: operation === 'produce' ? SpanKind.PRODUCER : SpanKind.CONSUMER, attributes },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  return { span, context: ctx, inject: (headers) => injectTraceContext(headers, ctx) };
}

/**
 * Runs `work` inside the span of one message hop and ends the span: on error the exception is
 * recorded, the status set to ERROR and the error re-thrown.
 */
export async function traceMessageHop<T>(
  tracer: Tracer,
  options: MessageHopOptions,
  work: (hop: MessageHop) => T | Promise<T>,
): Promise<T> {
  const hop = startMessageHop(tracer, options);
  try {
    return await otelContext.with(hop.context, () => work(hop));
  } catch (error) {
    hop.span.recordException(error instanceof Error ? error : String(error));
    hop.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    if (error instanceof Error) hop.span.setAttribute(ATTR.errorType, error.name);
    throw error;
  } finally {
    hop.span.end();
  }
}
