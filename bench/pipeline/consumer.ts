/**
 * Child process of the pipeline benchmark: one consumer of the rig's raw topics, in one of two modes.
 *
 * - `bare`: the baseline. A plain kafkajs consumer with eachBatch that only counts each message's
 *   bytes and lets kafkajs commit (consume-and-discard).
 * - `align`: the pipeline's consume + decode + align path with inference and point-cloud work
 *   switched off. KafkaBus.subscribe (backpressure, per-record commit, as every worker consumes),
 *   Avro decode of every record with the topic's codec (CameraFrame, LidarScan, AudioChunk,
 *   MotionSample, writer resolved by fingerprint), and per rig the fusion worker's alignment
 *   (alignByPivot: LIDAR pivot, camera nearest, audio overlapping, motion interpolated) emitting
 *   aligned frames; no detector, no point-cloud chain, no fusion.
 *
 * Reports records, bytes and the time of the first and last record to the parent once a second and
 * when it stops (IPC 'stop' or SIGTERM).
 *
 *   BENCH_CONSUMER='{"mode":"bare","brokers":[…],"topics":[…],"groupId":"…"}'
 */
import { alignByPivot, type AlignedFrame, type InputRecord, type PivotAlignConfig } from '@sensorfuse/align';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { audioChunkSchema, cameraFrameSchema, lidarScanSchema, motionSampleSchema } from '@sensorfuse/schemas';
import { KafkaBus } from '@sensorfuse/transport';
import kafkajs from 'kafkajs';
import { Subject, asyncScheduler, type Subscription } from 'rxjs';

interface ConsumerConfig {
  readonly mode: 'bare' | 'align';
  readonly brokers: readonly string[];
  /** Topic names with their prefix; the modality is the name after the last 'raw.'. */
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly fromBeginning?: boolean;
}

export interface ConsumerReport {
  readonly type: 'consumer';
  readonly final: boolean;
  readonly records: number;
  readonly bytes: number;
  readonly frames: number;
  readonly decodeErrors: number;
  /** Wall clock (ms since the epoch) of the first and the last record handled; 0 before the first. */
  readonly firstMs: number;
  readonly lastMs: number;
  readonly recordsByTopic: Readonly<Record<string, number>>;
}

interface Counters {
  records: number;
  bytes: number;
  frames: number;
  decodeErrors: number;
  firstMs: number;
  lastMs: number;
  recordsByTopic: Record<string, number>;
}

const config = JSON.parse(process.env.BENCH_CONSUMER ?? '') as ConsumerConfig;
const counters: Counters = { records: 0, bytes: 0, frames: 0, decodeErrors: 0, firstMs: 0, lastMs: 0, recordsByTopic: {} };
const report = (final: boolean): void => {
  const message: ConsumerReport = { type: 'consumer', final, ...counters, recordsByTopic: { ...counters.recordsByTopic } };
  if (process.connected) process.send?.(message);
};
const count = (topic: string, bytes: number, nowMs: number): void => {
  if (counters.firstMs === 0) counters.firstMs = nowMs;
  counters.lastMs = nowMs;
  counters.records += 1;
  counters.bytes += bytes;
  counters.recordsByTopic[topic] = (counters.recordsByTopic[topic] ?? 0) + 1;
};

async function runBare(): Promise<() => Promise<void>> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-bare', brokers: [...config.brokers], logLevel: kafkajs.logLevel.ERROR });
  // Sizes only so 2 MB sweeps fit (the same limits KafkaBus uses); everything else is kafkajs's default.
  const consumer = kafka.consumer({ groupId: config.groupId, maxBytesPerPartition: 11 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...config.topics], fromBeginning: config.fromBeginning ?? true });
  await consumer.run({
    eachBatch: async (payload) => {
      const now = Date.now();
      for (const message of payload.batch.messages) count(payload.batch.topic, message.value?.byteLength ?? 0, now);
      await payload.heartbeat();
    },
  });
  return () => consumer.disconnect();
}

type Payload = { readonly kind: string };

function alignConfig(): PivotAlignConfig<Payload> {
  // The fusion worker's defaults (services/fusion-worker config `align`).
  const common = { maxOutOfOrderUs: 50_000, timeoutUs: 200_000, idleTimeoutUs: 2_000_000 };
  return {
    pivot: { name: 'lidar', maxOutOfOrderUs: 50_000, idleTimeoutUs: 2_000_000 },
    inputs: [
      { ...common, name: 'camera', select: 'nearest', matchWindowUs: 50_000 },
      { ...common, name: 'audio', select: 'overlapping', matchWindowUs: 50_000 },
      { ...common, name: 'motion', select: 'interpolate', matchWindowUs: 100_000, interpolate: (before) => before.payload },
    ],
  };
}

interface Decoded {
  readonly rigId: string;
  readonly sensorId: string;
  readonly seq: number;
  readonly captureTimeUs: number;
  readonly data?: Uint8Array;
  readonly points?: Uint8Array;
  readonly sampleRateHz?: number;
  readonly frames?: number;
}

function runAlign(): () => Promise<void> {
  const bus = new KafkaBus({ brokers: config.brokers, clientId: 'bench-align', logLevel: 'error' });
  const registry = new SchemaRegistry();
  const codecs: Record<string, Codec<Decoded>> = {
    camera: createCodec<Decoded>(registry, cameraFrameSchema),
    lidar: createCodec<Decoded>(registry, lidarScanSchema),
    audio: createCodec<Decoded>(registry, audioChunkSchema),
    motion: createCodec<Decoded>(registry, motionSampleSchema),
  };
  const rigs = new Map<string, { input: Subject<InputRecord<Payload>>; subscription: Subscription }>();
  const rigInput = (rigId: string): Subject<InputRecord<Payload>> => {
    let rig = rigs.get(rigId);
    if (rig === undefined) {
      const input = new Subject<InputRecord<Payload>>();
      const subscription = input.pipe(alignByPivot(alignConfig(), asyncScheduler)).subscribe((frame: AlignedFrame<Payload>) => {
        if (frame.pivot.sensorId !== '') counters.frames += 1;
      });
      rig = { input, subscription };
      rigs.set(rigId, rig);
    }
    return rig.input;
  };
  const subscription = bus
    .subscribe({ groupId: config.groupId, topics: config.topics, fromBeginning: config.fromBeginning ?? true })
    .subscribe({
      next: (record) => {
        const modality = record.topic.slice(record.topic.lastIndexOf('raw.') + 4);
        const codec = codecs[modality];
        count(record.topic, record.value.byteLength, Date.now());
        if (codec !== undefined) {
          try {
            const value = codec.decode(record.value);
            const durationUs = modality === 'audio' && value.sampleRateHz !== undefined && value.frames !== undefined ? Math.round((value.frames * 1e6) / value.sampleRateHz) : undefined;
            rigInput(value.rigId).next({
              input: modality,
              record: {
                sensorId: value.sensorId,
                seq: value.seq,
                captureTimeUs: value.captureTimeUs,
                byteLength: record.value.byteLength,
                ...(durationUs === undefined ? {} : { durationUs }),
                payload: { kind: modality },
              },
            });
          } catch {
            counters.decodeErrors += 1;
          }
        }
        void record.commit().catch(() => undefined);
      },
      error: (error: unknown) => {
        console.error('align consumer failed:', error);
      },
    });
  return async () => {
    subscription.unsubscribe();
    for (const rig of rigs.values()) rig.subscription.unsubscribe();
    await bus.close();
  };
}

const close = config.mode === 'bare' ? await runBare() : runAlign();
const timer = setInterval(() => {
  report(false);
}, 1000);
let closing = false;
const stop = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  clearInterval(timer);
  report(true);
  await close().catch(() => undefined);
  if (process.connected) process.disconnect();
  process.exit(0);
};
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
process.on('SIGTERM', () => void stop());
