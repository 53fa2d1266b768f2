import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, extractTraceContext, getTracer, startMessageHop, traceMessageHop } from './index.js';

// A real SDK, registered globally as a service would, with a span exporter we can read back.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);

// The minimal AsyncLocalStorage context manager the Node SDK registers, so `context.active()` follows `context.with`.
class LocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}
context.setGlobalContextManager(new LocalContextManager());

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('message hops with a registered tracer provider', () => {
  it('keeps the trace id created at the first hop through two hops, each span a child of the previous', async () => {
    exporter.reset();
    const tracer = getTracer('test');
    // Hop 0: the device/simulator publishes to raw.lidar; a new trace starts here.
    const hop0 = startMessageHop(tracer, { topic: 'raw.lidar', operation: 'produce', parent: ROOT_CONTEXT });
    const rawHeaders = hop0.inject({ 'content-type': 'application/avro' });
    hop0.span.end();
    // Hop 1: lidar-worker consumes raw.lidar and publishes obs.lidar.
    const obsHeaders = await traceMessageHop(tracer, { topic: 'raw.lidar', headers: rawHeaders, partition: 3, offset: '42' }, (hop) =>
      hop.inject({ 'content-type': 'application/avro' }),
    );
    // Hop 2: fusion-worker consumes obs.lidar.
    await traceMessageHop(tracer, { topic: 'obs.lidar', headers: obsHeaders }, () => undefined);

    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['produce raw.lidar', 'process raw.lidar', 'process obs.lidar']);
    const [span0, span1, span2] = spans;
    const firstTraceId = hop0.span.spanContext().traceId;
    expect(firstTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spans.every((span) => span.spanContext().traceId === firstTraceId)).toBe(true);
    expect(span0?.parentSpanContext).toBeUndefined();
    expect(span1?.parentSpanContext?.spanId).toBe(span0?.spanContext().spanId);
    expect(span2?.parentSpanContext?.spanId).toBe(span1?.spanContext().spanId);
    expect(span0?.kind).toBe(SpanKind.PRODUCER);
    expect(span1?.kind).toBe(SpanKind.CONSUMER);
    expect(span1?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'raw.lidar',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': '42',
    });
    expect(trace.getSpanContext(extractTraceContext(obsHeaders))?.spanId).toBe(span1?.spanContext().spanId);
  });

  it('records a failing hop as an error span and re-throws', async () => {
    exporter.reset();
    const failure = new RangeError('point stride 12 does not divide 1000 bytes');
    await expect(traceMessageHop(getTracer('test'), { topic: 'raw.lidar' }, () => Promise.reject(failure))).rejects.toBe(failure);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: failure.message });
    expect(span?.attributes['error.type']).toBe('RangeError');
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('puts the active trace and span ids into log lines', async () => {
    const lines: string[] = [];
    const logger = createLogger('lidar-worker', { level: 'info', destination: { write: (line: string) => lines.push(line) } });
    let spanId = '';
    let traceId = '';
    await traceMessageHop(getTracer('test'), { topic: 'raw.lidar' }, (hop) => {
      ({ spanId, traceId } = hop.span.spanContext());
      logger.info('sweep filtered');
    });
    logger.info('outside');
    const [inside, outside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ msg: 'sweep filtered', trace_id: traceId, span_id: spanId });
    expect(outside?.trace_id).toBeUndefined();
  });
});
