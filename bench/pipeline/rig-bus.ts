/**
 * A Bus wrapper that re-keys the records one replay publishes to another rig (key and `rigId`) and
 * keeps `seq` increasing when the replay loops, so one recording can play N independent rigs for
 * as long as a measurement needs.
 */
import { SchemaRegistry, createCodec, readFingerprint, type Codec } from '@sensorfuse/codec';
import { audioChunkSchema, cameraFrameSchema, lidarScanSchema, motionSampleSchema } from '@sensorfuse/schemas';
import type { Bus, OutgoingRecord } from '@sensorfuse/transport';

export type RawCodecs = ReadonlyMap<string, Codec<Common>>;

/** Codecs of the raw schemas by writer fingerprint; byte fields decode as views (a sweep is copied once, by encode). */
export function rawCodecs(): RawCodecs {
  const registry = new SchemaRegistry();
  const codecs = new Map<string, Codec<Common>>();
  for (const schema of [cameraFrameSchema, lidarScanSchema, audioChunkSchema, motionSampleSchema]) {
    codecs.set(registry.entry(schema).fingerprint, createCodec<Common>(registry, schema, { bytes: 'view' }));
  }
  return codecs;
}

interface Common {
  rigId: string;
  sensorId: string;
  seq: number;
}

/** Re-keys the records of one replay to another rig and keeps seq increasing when the replay loops. */
export class RigBus implements Bus {
  private readonly lastSeq = new Map<string, number>();
  private readonly seqOffset = new Map<string, number>();
  constructor(
    private readonly inner: Bus,
    private readonly rigId: string,
    private readonly codecs: RawCodecs,
    private readonly onPublished: (topic: string, records: readonly OutgoingRecord[]) => void,
  ) {}

  get admin(): Bus['admin'] {
    return this.inner.admin;
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    const out = records.map((r) => this.rekey(r));
    await this.inner.publish(topic, out);
    this.onPublished(topic, out);
  }

  private rekey(record: OutgoingRecord): OutgoingRecord {
    const codec = this.codecs.get(readFingerprint(record.value));
    if (codec === undefined) return { ...record, key: this.rigId };
    const value = codec.decode(record.value);
    const sensor = value.sensorId;
    const last = this.lastSeq.get(sensor);
    // A replay loop starts the sequence again: continue it instead (the workers drop repeated seqs).
    if (last !== undefined && value.seq <= last) this.seqOffset.set(sensor, (this.seqOffset.get(sensor) ?? 0) + last + 1);
    this.lastSeq.set(sensor, value.seq);
    value.seq += this.seqOffset.get(sensor) ?? 0;
    value.rigId = this.rigId;
    return { key: this.rigId, value: codec.encode(value), ...(record.headers === undefined ? {} : { headers: record.headers }) };
  }

  subscribe(...args: Parameters<Bus['subscribe']>): ReturnType<Bus['subscribe']> {
    return this.inner.subscribe(...args);
  }

  transaction(): ReturnType<Bus['transaction']> {
    return this.inner.transaction();
  }

  async close(): Promise<void> {
    // The shared inner bus is closed by the process.
  }
}
