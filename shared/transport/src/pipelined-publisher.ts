import type { Bus, OutgoingRecord } from './types.js';

/** 16 MiB: a few camera frames and LIDAR sweeps of one rig, well under a broker round trip at 14 MB/s. */
const DEFAULT_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

export interface PipelinedPublisherOptions {
  /** Unacknowledged bytes allowed before `publish` waits for the oldest acknowledgements. */
  readonly maxInFlightBytes?: number;
  /** Called in call order once a publish is acknowledged. */
  readonly onAcknowledged?: (topic: string, records: readonly OutgoingRecord[]) => void;
}

interface InFlight {
  readonly done: Promise<void>;
  readonly bytes: number;
}

/**
 * Publishes without waiting for each acknowledgement, as a device's producer does: `publish` hands the
 * records to the bus (both buses send calls in call order) and returns at once while fewer than
 * `maxInFlightBytes` are unacknowledged, else once the oldest publishes are acknowledged (back-pressure).
 * A source that awaited every acknowledgement would be capped at one record per broker round trip.
 *
 * Nothing is lost silently: the first failed publish is thrown by the next `publish` or `flush` call,
 * and `flush` resolves only when everything handed over is acknowledged.
 */
export class PipelinedPublisher {
  private readonly maxInFlightBytes: number;
  private readonly inFlight: InFlight[] = [];
  private bytesInFlight = 0;
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly bus: Pick<Bus, 'publish'>,
    private readonly options: PipelinedPublisherOptions = {},
  ) {
    this.maxInFlightBytes = Math.max(1, options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES);
  }

  /** Bytes handed to the bus and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.bytesInFlight;
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.throwIfFailed();
    let bytes = 0;
    for (const r of records) bytes += r.value.byteLength;
    const entry: InFlight = {
      bytes,
      done: this.bus.publish(topic, records).then(
        () => {
          this.options.onAcknowledged?.(topic, records);
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      ),
    };
    this.inFlight.push(entry);
    this.bytesInFlight += bytes;
    void entry.done.then(() => {
      this.bytesInFlight -= bytes;
      const i = this.inFlight.indexOf(entry);
      if (i >= 0) this.inFlight.splice(i, 1);
    });
    while (this.bytesInFlight > this.maxInFlightBytes && this.inFlight.length > 0) await this.inFlight[0]?.done;
    this.throwIfFailed();
  }

  /** Resolves when every publish so far is acknowledged; rejects with the first failure. */
  async flush(): Promise<void> {
    await Promise.all(this.inFlight.map((e) => e.done));
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
