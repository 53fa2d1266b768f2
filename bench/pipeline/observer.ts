/**
 * The benchmark's own reader of the pipeline's outputs (in the parent process), over KafkaBus like
 * any downstream user (read_committed, so fused frames count once their transaction commits):
 * - per fused frame: capture → received (what a downstream consumer sees) and capture → published
 *   (the fusion worker's publishTimeUs);
 * - per observation record: the worker's publishTimeUs − captureTimeUs (per-hop breakdown);
 * - per record of every observed topic: produce → handler (handler wall time − the record's
 *   producer timestamp), the delay kafkajs adds between a send and the consumer's handler.
 */
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { audioEventsSchema, cameraDetectionsSchema, egoStateSchema, fusedDetectionsSchema, lidarObjectsSchema } from '@sensorfuse/schemas';
import { nowUs } from '@sensorfuse/time';
import { KafkaBus } from '@sensorfuse/transport';
import type { Subscription } from 'rxjs';

export interface Observation {
  /** Topic without the run prefix. */
  readonly topic: string;
  readonly rigId: string;
  /** Handler wall time, µs since the epoch. */
  readonly receivedUs: number;
  /** Producer timestamp of the record (kafkajs CreateTime), µs. */
  readonly producedUs: number;
  /** captureTimeUs / publishTimeUs of decoded records; NaN for raw topics (not decoded). */
  readonly captureUs: number;
  readonly publishUs: number;
}

interface Header {
  readonly rigId: string;
  readonly captureTimeUs: number;
  readonly publishTimeUs: number;
}

export class Observer {
  readonly observations: Observation[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly codecs: Record<string, Codec<Header>>;

  constructor(
    private readonly bus: KafkaBus,
    private readonly prefix: string,
  ) {
    const registry = new SchemaRegistry();
    this.codecs = {
      'obs.lidar': createCodec<Header>(registry, lidarObjectsSchema),
      'obs.camera': createCodec<Header>(registry, cameraDetectionsSchema),
      'obs.audio': createCodec<Header>(registry, audioEventsSchema),
      'obs.motion': createCodec<Header>(registry, egoStateSchema),
      'fused.detections': createCodec<Header>(registry, fusedDetectionsSchema),
    };
  }

  /** Starts reading `topics` (names without the prefix) in a fresh group from their current end. */
  observe(topics: readonly string[], groupId: string): Subscription {
    const subscription = this.bus
      .subscribe({ groupId, topics: topics.map((t) => `${this.prefix}${t}`), fromBeginning: false, highWaterMark: 10_000 })
      .subscribe({
        next: (record) => {
          const receivedUs = nowUs();
          const topic = record.topic.slice(this.prefix.length);
          const codec = this.codecs[topic];
          let header: Header = { rigId: record.key ?? '', captureTimeUs: Number.NaN, publishTimeUs: Number.NaN };
          if (codec !== undefined) {
            try {
              header = codec.decode(record.value);
            } catch {
              // Not ours to judge: the workers dead-letter bad records.
            }
          }
          this.observations.push({ topic, rigId: header.rigId, receivedUs, producedUs: record.timestampUs, captureUs: header.captureTimeUs, publishUs: header.publishTimeUs });
          void record.commit().catch(() => undefined);
        },
        error: (error: unknown) => {
          console.error('observer failed:', error);
        },
      });
    this.subscriptions.push(subscription);
    return subscription;
  }

  /** Observations received between two wall-clock times (ms since the epoch). */
  between(fromMs: number, toMs: number, topic?: string): Observation[] {
    const from = fromMs * 1000;
    const to = toMs * 1000;
    return this.observations.filter((o) => o.receivedUs >= from && o.receivedUs <= to && (topic === undefined || o.topic === topic));
  }

  /** Drops observations older than `beforeMs` (long runs keep memory bounded). */
  forget(beforeMs: number): void {
    const before = beforeMs * 1000;
    let i = 0;
    while (i < this.observations.length && (this.observations[i]?.receivedUs ?? Infinity) < before) i++;
    this.observations.splice(0, i);
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
