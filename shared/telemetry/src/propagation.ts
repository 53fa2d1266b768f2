import { ROOT_CONTEXT, context as otelContext, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** Kafka-style record headers (what kafkajs and the in-memory bus carry). */
export type KafkaHeaders = Record<string, Buffer | string | undefined>;

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

// Used directly rather than through the global propagation API, so injection and extraction work
// whether or not an SDK registered a global propagator.
const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<KafkaHeaders> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<KafkaHeaders> = {
  keys(carrier) {
    return Object.keys(carrier);
  },
  get(carrier, key) {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value.toString('utf8');
  },
};

/**
 * Headers plus the W3C trace context (`traceparent`, `tracestate`) of `ctx` (default: the active
 * context). Returns a new object; the input is not changed. Any trace context already in `headers`
 * is replaced, so the output always describes `ctx`.
 */
export function injectTraceContext(headers: KafkaHeaders = {}, ctx: Context = otelContext.active()): KafkaHeaders {
  const out: KafkaHeaders = Object.fromEntries(
    Object.entries(headers).filter(([key]) => key !== TRACEPARENT_HEADER && key !== TRACESTATE_HEADER),
  );
  propagator.inject(ctx, out, setter);
  return out;
}

/**
 * The context carried by a record's headers, on top of `base` (default: the root context, since a
 * consumed record starts a new causal chain). Missing or malformed headers give `base` back.
 */
export function extractTraceContext(headers: KafkaHeaders | undefined, base: Context = ROOT_CONTEXT): Context {
  if (headers === undefined) return base;
  return propagator.extract(base, headers, getter);
}
