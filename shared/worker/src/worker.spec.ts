import { randomBytes } from 'node:crypto';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { PoisonRecordError } from '@sensorfuse/errors';
import { createPipelineMetrics, createPrometheusMetrics } from '@sensorfuse/telemetry';
import { BrokerUnavailableError, DEAD_LETTER_HEADERS, MemoryBus, REPLAY_EPOCH_HEADER, RecordTooLargeError, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorker, type Worker, type WorkerCore, type WorkerOptions } from './index.js';

// Tiny schemas with the common fields, so these tests are about the plumbing, not an algorithm.
const common = [
  { name: 'rigId', type: 'string' },
  { name: 'sensorId', type: 'string' },
  { name: 'seq', type: 'long' },
  { name: 'captureTimeUs', type: 'long' },
  { name: 'publishTimeUs', type: 'long' },
  { name: 'frameId', type: 'string' },
];
const readingSchema = { type: 'record', name: 'Reading', namespace: 'sensorfuse.test', fields: [...common, { name: 'value', type: 'double' }] };
const sumSchema = { type: 'record', name: 'RunningSum', namespace: 'sensorfuse.test', fields: [...common, { name: 'total', type: 'double' }] };

interface Reading {
  rigId: string;
  sensorId: string;
  seq: number;
  captureTimeUs: number;
  publishTimeUs: number;
  frameId: string;
  value: number;
}
interface RunningSum extends Omit<Reading, 'value'> {
  total: number;
}

const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
const IN = 'raw.test';
const OUT = 'obs.test';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const registry = new SchemaRegistry();
const readings: Codec<Reading> = createCodec<Reading>(registry, readingSchema);
const sums: Codec<RunningSum> = createCodec<RunningSum>(registry, sumSchema);

function reading(seq: number, value: number, sensorId = 's1', rigId = 'rig-1'): Reading {
  return { rigId, sensorId, seq, captureTimeUs: T0 + seq * 1000, publishTimeUs: T0 + seq * 1000 + 10, frameId: 'f', value };
}

class NegativeValueError extends PoisonRecordError {}

/** A stateful core: the running sum per key; a negative value is rejected. */
function summingCore(): WorkerCore<Reading, RunningSum> {
  let total = 0;
  return {
    update(input) {
      if (input.value < 0) throw new NegativeValueError(`value must be >= 0, found ${input.value}`);
      total += input.value;
      return [{ rigId: input.rigId, sensorId: input.sensorId, seq: input.seq, captureTimeUs: input.captureTimeUs, publishTimeUs: input.publishTimeUs, frameId: input.frameId, total }];
    },
  };
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.drain();
});

async function setup(overrides: Partial<WorkerOptions<Reading, RunningSum>> = {}, bus: Bus = new MemoryBus()) {
  await bus.admin.createTopics([
    { topic: IN, partitions: 2 },
    { topic: OUT, partitions: 2 },
  ]);
  const worker = createWorker<Reading, RunningSum>({
    name: 'test-worker',
    bus,
    input: { topic: IN, groupId: 'test-worker', codec: readings },
    output: { topic: OUT, codec: sums },
    createCore: summingCore,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2 },
    ...overrides,
  });
  workers.push(worker);
  return { bus, worker };
}

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

describe('createWorker on MemoryBus', () => {
  it('publishes each output keyed by rig id with one core per rig and sensor', async () => {
    const { bus, worker } = await setup();
    worker.start();
    await bus.publish(
      IN,
      [reading(1, 1), reading(1, 10, 's2'), reading(2, 2), reading(1, 100, 's1', 'rig-2'), reading(3, 3)].map((r) => ({ key: r.rigId, value: readings.encode(r) })),
    );
    const out = await read(bus, OUT, 5);
    const decoded = out.map((r) => ({ key: r.key, ...sums.decode(r.value) }));
    const totals = (rig: string, sensor: string) => decoded.filter((d) => d.rigId === rig && d.sensorId === sensor).map((d) => d.total);
    // Running sums per (rig, sensor), by hand: s1 of rig-1 sees 1, 2, 3.
    expect(totals('rig-1', 's1')).toEqual([1, 3, 6]);
    expect(totals('rig-1', 's2')).toEqual([10]);
    expect(totals('rig-2', 's1')).toEqual([100]);
    for (const d of decoded) expect(d.key).toBe(d.rigId);
    expect(headerText(out[0]?.headers ?? {}, 'content-type')).toBe('application/vnd.sensorfuse.runningsum');
    expect(worker.stats()).toMatchObject({ consumed: 5, processed: 5, published: 5, deadLettered: 0, cores: 3 });
  });

  it('sends random bytes, truncated records, unknown fingerprints, absurd times and core rejections to the DLQ and keeps going', async () => {
    const { bus, worker } = await setup({ maxCaptureAheadUs: 10_000_000 });
    worker.start();
    const good = readings.encode(reading(1, 5));
    const junk = randomBytes(256);
    junk[0] = 0x00;
    const otherSchema = { ...readingSchema, fields: [...readingSchema.fields, { name: 'extra', type: 'int', default: 0 }] };
    const unknown = createCodec<Reading & { extra: number }>(new SchemaRegistry(), otherSchema).encode({ ...reading(2, 1), extra: 3 });
    const inSeconds = { ...reading(3, 1), captureTimeUs: Math.floor(T0 / 1e6) }; // seconds by mistake
    const farFuture = { ...reading(4, 1), captureTimeUs: Date.now() * 1000 + 3_600_000_000 }; // an hour ahead of the broker
    const bad: [string, Buffer][] = [
      ['NotSingleObjectError', junk],
      ['TruncatedRecordError', good.subarray(0, good.length - 3)],
      ['UnknownFingerprintError', unknown],
      ['InvalidRecordError', readings.encode(inSeconds)],
      ['InvalidRecordError', readings.encode(farFuture)],
      ['NegativeValueError', readings.encode(reading(5, -1))],
    ];
    await bus.publish(IN, [...bad.map(([, value]) => ({ key: 'rig-1', value, headers: { traceparent: TRACEPARENT } })), { key: 'rig-1', value: readings.encode(reading(6, 7)) }]);

    const letters = await read(bus, `${IN}.dlq`, bad.length);
    expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(bad.map(([reason]) => reason));
    // The dead letter is the original record: same key and bytes, its headers, plus where it came from.
    letters.forEach((letter, i) => {
      expect(letter.key).toBe('rig-1');
      expect(letter.value.equals(bad[i]?.[1] ?? Buffer.alloc(0))).toBe(true);
      expect(headerText(letter.headers, 'traceparent')).toBe(TRACEPARENT);
      expect(headerText(letter.headers, DEAD_LETTER_HEADERS.sourceTopic)).toBe(IN);
    });
    expect(headerText(letters[4]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/captureTimeUs.*ahead/);
    expect(headerText(letters[5]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toBe('value must be >= 0, found -1');

    // The good record after them still comes out, and the rejected one did not touch the core's state.
    const [out] = await read(bus, OUT, 1);
    expect(sums.decode(out?.value ?? Buffer.alloc(0)).total).toBe(7);
    expect(worker.stats().deadLetterReasons).toEqual({ NotSingleObjectError: 1, TruncatedRecordError: 1, UnknownFingerprintError: 1, InvalidRecordError: 2, NegativeValueError: 1 });
  });

  it('dead-letters a record whose core throws an unexpected error instead of crashing', async () => {
    const { bus, worker } = await setup({
      createCore: () => ({
        update(input) {
          if (input.value === 13) throw new TypeError('unlucky');
          return [{ ...input, total: input.value }];
        },
      }),
    });
    const failures: unknown[] = [];
    worker.start((e) => failures.push(e));
    await bus.publish(IN, [reading(1, 13), reading(2, 2)].map((r) => ({ key: r.rigId, value: readings.encode(r) })));
    const [letter] = await read(bus, `${IN}.dlq`, 1);
    expect(headerText(letter?.headers ?? {}, DEAD_LETTER_HEADERS.errorClass)).toBe('TypeError');
    const [out] = await read(bus, OUT, 1);
    expect(sums.decode(out?.value ?? Buffer.alloc(0)).seq).toBe(2);
    expect(failures).toEqual([]);
    expect(worker.isReady()).toBe(true);
  });

  it('continues the trace of the input in one span per hop and puts it in the output headers', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const { bus, worker } = await setup({ tracer: provider.getTracer('test-worker') });
    worker.start();
    await bus.publish(IN, [{ key: 'rig-1', value: readings.encode(reading(1, 1)), headers: { traceparent: TRACEPARENT } }]);
    const [out] = await read(bus, OUT, 1);
    const traceparent = headerText(out?.headers ?? {}, 'traceparent') ?? '';
    const [, traceId, spanId] = traceparent.split('-');
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0];
    expect(span?.spanContext().spanId).toBe(spanId);
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span?.attributes['rig.id']).toBe('rig-1');
    await provider.shutdown();
  });

  it("copies a replay's epoch header from each input to its outputs, so a loop or seek reaches the consumers downstream", async () => {
    const { bus, worker } = await setup();
    worker.start();
    await bus.publish(IN, [
      { key: 'rig-1', value: readings.encode(reading(1, 1)), headers: { [REPLAY_EPOCH_HEADER]: 'replay-a:0' } },
      { key: 'rig-1', value: readings.encode(reading(2, 2)), headers: { [REPLAY_EPOCH_HEADER]: 'replay-a:1' } },
      { key: 'rig-1', value: readings.encode(reading(3, 3)) },
    ]);
    const out = await read(bus, OUT, 3);
    const epochs = out.map((r) => [sums.decode(r.value).seq, headerText(r.headers, REPLAY_EPOCH_HEADER)]);
    expect(epochs).toEqual([
      [1, 'replay-a:0'],
      [2, 'replay-a:1'],
      [3, undefined],
    ]);
  });

  it('commits the input only after its output is published: a failed publish leaves it for the next member', async () => {
    const memory = new MemoryBus();
    let failPublishes = Infinity;
    // A bus whose output publishes fail with a retriable broker error while failPublishes > 0.
    const flaky: Bus = {
      admin: memory.admin,
      subscribe: (o) => memory.subscribe(o),
      transaction: () => memory.transaction(),
      close: () => memory.close(),
      publish: (topic, records) => {
        if (topic === OUT && failPublishes-- > 0) return Promise.reject(new BrokerUnavailableError('broker down'));
        return memory.publish(topic, records);
      },
    };
    const { worker } = await setup({ retry: { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 1 } }, flaky);
    const fatal = new Promise<unknown>((resolve) => {
      worker.start(resolve);
    });
    await memory.publish(IN, [{ key: 'rig-1', value: readings.encode(reading(1, 4)) }]);
    expect(await fatal).toBeInstanceOf(BrokerUnavailableError);
    expect(worker.state).toBe('failed');
    expect(worker.isReady()).toBe(false);
    await worker.drain();

    // A second member of the group gets the uncommitted record and publishes it (after two retries).
    failPublishes = 2;
    const { worker: second } = await setup({}, flaky);
    second.start();
    const [out] = await read(memory, OUT, 1);
    expect(sums.decode(out?.value ?? Buffer.alloc(0))).toMatchObject({ seq: 1, total: 4 });
  });

  it('drains: finishes the record in work, hands the queued ones back uncommitted, and they reach the next member', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inCore = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { bus, worker } = await setup({
      createCore: () => ({
        async update(input) {
          entered();
          await gate;
          return [{ ...input, total: input.value }];
        },
      }),
    });
    expect(worker.isReady()).toBe(false);
    worker.start();
    expect(worker.isReady()).toBe(true);
    await bus.publish(IN, [1, 2, 3].map((seq) => ({ key: 'rig-1', value: readings.encode(reading(seq, seq)) })));
    await inCore;
    const drained = worker.drain();
    expect(worker.state).toBe('draining');
    expect(worker.isReady()).toBe(false);
    release();
    await drained;
    expect(worker.state).toBe('stopped');
    expect(worker.stats()).toMatchObject({ processed: 1, handedBack: 2 });

    const { worker: next } = await setup({}, bus);
    next.start();
    const out = await read(bus, OUT, 3);
    expect(out.map((r) => sums.decode(r.value).seq)).toEqual([1, 2, 3]);
  });

  it('sends the outputs of the records processed during one publish round trip in the next publish call, in order', async () => {
    const memory = new MemoryBus();
    const calls: number[] = [];
    // The broker's acknowledgement takes 20 ms: a publish call per record would cost a round trip each.
    const slow: Bus = {
      admin: memory.admin,
      subscribe: (o) => memory.subscribe(o),
      transaction: () => memory.transaction(),
      close: () => memory.close(),
      publish: async (topic, records) => {
        if (topic === OUT) calls.push(records.length);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await memory.publish(topic, records);
      },
    };
    const { worker } = await setup({}, slow);
    worker.start();
    await memory.publish(IN, Array.from({ length: 50 }, (_, i) => ({ key: 'rig-1', value: readings.encode(reading(i + 1, i + 1)) })));
    const out = await read(memory, OUT, 50);
    // Running sums 1, 1+2, … by hand: n(n+1)/2, in input order.
    expect(out.map((r) => sums.decode(r.value).total)).toEqual(Array.from({ length: 50 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    // The first record goes alone; the 49 others arrived during its round trip and share the next call.
    expect(calls).toEqual([1, 49]);
    await worker.drain();
    expect(worker.stats()).toMatchObject({ consumed: 50, processed: 50, published: 50 });
    // Everything was committed: a new member of the group gets nothing again.
    const { worker: second } = await setup({}, memory);
    second.start();
    await memory.publish(IN, [{ key: 'rig-1', value: readings.encode(reading(51, 1)) }]);
    const after = await read(memory, OUT, 51);
    expect(after.slice(50).map((r) => sums.decode(r.value).seq)).toEqual([51]);
  });

  it('dead-letters only the record whose output can never be published when it shared a publish call with others', async () => {
    const memory = new MemoryBus();
    // Outputs of seq 3 are too large for the topic: any publish call containing one fails as a whole.
    const picky: Bus = {
      admin: memory.admin,
      subscribe: (o) => memory.subscribe(o),
      transaction: () => memory.transaction(),
      close: () => memory.close(),
      publish: async (topic, records) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (topic === OUT && records.some((r) => sums.decode(r.value).seq === 3)) throw new RecordTooLargeError('expected at most 1 MiB, found 2 MiB');
        await memory.publish(topic, records);
      },
    };
    const { worker } = await setup({}, picky);
    const failures: unknown[] = [];
    worker.start((e) => failures.push(e));
    await memory.publish(IN, [1, 2, 3, 4, 5, 6].map((seq) => ({ key: 'rig-1', value: readings.encode(reading(seq, seq)) })));
    const [letter] = await read(memory, `${IN}.dlq`, 1);
    expect(headerText(letter?.headers ?? {}, DEAD_LETTER_HEADERS.errorClass)).toBe('RecordTooLargeError');
    expect(readings.decode(letter?.value ?? Buffer.alloc(0)).seq).toBe(3);
    const out = await read(memory, OUT, 5);
    expect(out.map((r) => sums.decode(r.value).seq)).toEqual([1, 2, 4, 5, 6]);
    expect(failures).toEqual([]);
    await worker.drain();
    expect(worker.stats()).toMatchObject({ processed: 5, deadLettered: 1, published: 5 });
  });

  it('counts dead letters and stage durations under the standard metric names', async () => {
    const prometheus = createPrometheusMetrics({ service: 'test-worker', registration: 'local' });
    const { bus, worker } = await setup({ metrics: createPipelineMetrics(prometheus.getMeter()) });
    worker.start();
    await bus.publish(IN, [Buffer.from('not avro'), readings.encode(reading(1, 1))].map((value) => ({ key: 'rig-1', value })));
    await read(bus, OUT, 1);
    const text = await prometheus.scrape();
    expect(text).toMatch(/sensorfuse_dlq_records_total\{[^}]*error_type="NotSingleObjectError"[^}]*\} 1/);
    expect(text).toMatch(/sensorfuse_stage_duration_count\{[^}]*stage="core"[^}]*\} 1/);
    await prometheus.shutdown();
  });
});
