import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { extractTraceContext, getTracer, injectTraceContext, startMessageHop, traceMessageHop } from './index.js';

// The example from the W3C Trace Context recommendation, section 3.2.2.
const W3C_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const W3C_SPAN_ID = '00f067aa0ba902b7';
const W3C_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const sampled = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: W3C_TRACE_ID,
  spanId: W3C_SPAN_ID,
  traceFlags: TraceFlags.SAMPLED,
});

describe('W3C trace context in Kafka headers, with no SDK registered', () => {
  it('injects traceparent in the W3C format and keeps the other headers', () => {
    const input = { 'content-type': 'application/avro', traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01' };
    const headers = injectTraceContext(input, sampled);
    expect(headers).toEqual({ 'content-type': 'application/avro', traceparent: W3C_TRACEPARENT });
    // The record's own headers are not changed.
    expect(input.traceparent).toBe('00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01');
  });

  it('extracts a traceparent given as a Buffer, as kafkajs delivers headers', () => {
    const ctx = extractTraceContext({ traceparent: Buffer.from(W3C_TRACEPARENT), other: undefined });
    expect(trace.getSpanContext(ctx)).toEqual({
      traceId: W3C_TRACE_ID,
      spanId: W3C_SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  it('gives no parent for a missing or malformed traceparent', () => {
    expect(trace.getSpanContext(extractTraceContext(undefined))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({}))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: '00-not-a-trace-01' }))).toBeUndefined();
    // all-zero trace id is invalid per the spec
    expect(
      trace.getSpanContext(extractTraceContext({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' })),
    ).toBeUndefined();
  });

  it('carries the trace id of the first hop through two more hops', async () => {
    const tracer = getTracer('test');
    const first = injectTraceContext({}, sampled);
    const hop1 = startMessageHop(tracer, { topic: 'raw.lidar', headers: first });
    const second = hop1.inject({ 'content-type': 'application/avro' });
    hop1.span.end();
    const third = await traceMessageHop(tracer, { topic: 'obs.lidar', headers: second }, (hop) => hop.inject());
    expect(second['content-type']).toBe('application/avro');
    expect(trace.getSpanContext(extractTraceContext(third))?.traceId).toBe(W3C_TRACE_ID);
  });
});
