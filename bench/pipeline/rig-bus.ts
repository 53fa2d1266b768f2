/**
 * A Bus wrapper that re-keys the records one replay publishes to another rig (key and `rigId`) and
 * keeps `seq` increasing when the replay loops, so one recording can play N independent rigs for
 * as long as a measurement needs. Re-keying is byte-level (lib/rekey.ts): one copy per record.
 *
 * Publishing is pipelined, as a device's producer does it (@sensorfuse/transport's PipelinedPublisher;
 * the recorder's paced replay pipelines too): `publish` hands the records to the inner bus and returns
 * without waiting for the broker's acknowledgement until `maxInFlightBytes` are unacknowledged. Records
 * counted as published (`onPublished`) are the acknowledged ones; a failed publish goes to `onError` and
 * the measurement goes on (the benchmark reports it) instead of failing the replay.
 */
import { PipelinedPublisher, type Bus, type OutgoingRecord } from '@sensorfuse/transport';
import { rekey } from './lib/rekey.js';

/** Re-keys the records of one replay to another rig and keeps seq increasing when the replay loops. */
export class RigBus implements Bus {
  private readonly lastSeq = new Map<string, number>();
  private readonly seqOffset = new Map<string, number>();
  private readonly pipeline: PipelinedPublisher;
  constructor(
    private readonly inner: Bus,
    private readonly rigId: string,
    onPublished: (topic: string, records: readonly OutgoingRecord[]) => void,
    onError: (error: unknown) => void = () => undefined,
    maxInFlightBytes = 16 * 1024 * 1024,
  ) {
    const reporting = {
      publish: (topic: string, records: readonly OutgoingRecord[]) =>
        inner.publish(topic, records).then(
          () => {
            onPublished(topic, records);
          },
          (error: unknown) => {
            onError(error);
          },
        ),
    };
    this.pipeline = new PipelinedPublisher(reporting, { maxInFlightBytes });
  }

  get admin(): Bus['admin'] {
    return this.inner.admin;
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    // Back-pressure: past the limit the replay waits for the oldest acknowledgements (and falls
    // behind real time, which the benchmark reports, if the broker cannot keep up).
    await this.pipeline.publish(topic, records.map((r) => this.rekey(r)));
  }

  /** Resolves when every publish so far is acknowledged (or failed). */
  async flush(): Promise<void> {
    await this.pipeline.flush();
  }

  private rekey(record: OutgoingRecord): OutgoingRecord {
    // Peek at sensorId and seq first: a replay loop starts the sequence again, continue it instead
    // (the workers drop repeated seqs as duplicates).
    const peek = rekey(record.value, this.rigId, 0);
    const last = this.lastSeq.get(peek.sensorId);
    if (last !== undefined && peek.seq <= last) this.seqOffset.set(peek.sensorId, (this.seqOffset.get(peek.sensorId) ?? 0) + last + 1);
    this.lastSeq.set(peek.sensorId, peek.seq);
    const offset = this.seqOffset.get(peek.sensorId) ?? 0;
    const value = offset === 0 ? peek.value : rekey(record.value, this.rigId, offset).value;
    return { key: this.rigId, value, ...(record.headers === undefined ? {} : { headers: record.headers }) };
  }

  subscribe(...args: Parameters<Bus['subscribe']>): ReturnType<Bus['subscribe']> {
    return this.inner.subscribe(...args);
  }

  transaction(): ReturnType<Bus['transaction']> {
    return this.inner.transaction();
  }

  async close(): Promise<void> {
    // The shared inner bus is closed by its owner.
  }
}
