import type { EncodedImage, PreprocessOptions, PreprocessResult } from '@sensorfuse/image';
import type { ConsumedRecord } from '@sensorfuse/transport';
import { frameTag, type FramePreprocessor, type FrameSource } from './core/camera-core.js';
import type { CameraFrame } from '@sensorfuse/schemas';

export interface FramePrefetcherOptions {
  /** Where pre-processing really runs (an ImagePreprocessor thread); requests are served in order. */
  readonly preprocessor: FramePreprocessor;
  /** The pre-processing options of this worker's detector (preprocessOptionsFor): every core of one worker has the same. */
  readonly options: PreprocessOptions;
  /** The input codec's decode: record value → the frame (its image fields, camera and capture time are used). */
  readonly decode: (value: Buffer) => EncodedImage & Pick<CameraFrame, 'rigId' | 'sensorId' | 'captureTimeUs'>;
  /** A record that waited longer than this since the broker got it is not prefetched (the core will drop it); 0 = never. */
  readonly maxQueueDelayUs: number;
  /** Wall clock, integer µs. */
  readonly nowUs: () => number;
  /** Most records remembered ahead of the core (the bus's own high-water mark bounds them first). */
  readonly maxSeen?: number;
}

interface Ahead {
  readonly key: string;
  readonly arrival: number;
  readonly result: Promise<PreprocessResult>;
}

const keyOf = (s: FrameSource): string => `${s.topic}\u0000${String(s.partition)}\u0000${s.offset}`;

/**
 * Overlaps frame k+1's pre-processing with frame k's inference. The worker plumbing hands the core
 * one record at a time (newest frame first, nothing queued beyond the bus's high-water mark), but
 * the records are already consumed and waiting: `offer` sees each one as the bus delivers it, and
 * while the core runs frame k the pre-processing thread already works on the next waiting record.
 * At most one frame is prepared ahead; when the core asks for a frame (`run` with its position)
 * that work is handed over and the next waiting record is started. Work for a record the core never
 * asks for (dead-lettered, dropped as stale or by interval) is discarded as soon as the core reports a
 * later frame (`run`, or `passed` for a frame it dropped), its tensor recycled, so nothing is held
 * beyond the records the plumbing has not reached yet. Records older than `maxQueueDelayUs` are not started.
 */
export class FramePrefetcher implements FramePreprocessor {
  private readonly seen: { readonly record: ConsumedRecord; readonly arrival: number }[] = [];
  private readonly arrivals = new Map<string, number>();
  private nextArrival = 0;
  private ahead: Ahead | undefined;
  private closed = false;
  /** Frames handed over from work started ahead (for tests and the benchmark). */
  prefetched = 0;
  /** Frames started ahead but never asked for. */
  discarded = 0;

  constructor(private readonly o: FramePrefetcherOptions) {}

  /** Records remembered: delivered by the bus, not yet reached by the core (the prepared one included). */
  get waiting(): number {
    return this.arrivals.size;
  }

  /** A record of the input topic, as the bus delivers it (before the worker plumbing gets to it). */
  offer(record: ConsumedRecord): void {
    if (this.closed) return;
    const arrival = this.nextArrival++;
    this.seen.push({ record, arrival });
    this.arrivals.set(keyOf(record), arrival);
    const max = this.o.maxSeen ?? 10_000;
    while (this.seen.length > max) this.forget(this.seen.shift()?.record);
    this.pump();
  }

  run(image: EncodedImage, options: PreprocessOptions, source?: FrameSource): Promise<PreprocessResult> {
    const arrival = source === undefined ? undefined : this.arrivals.get(keyOf(source));
    if (source === undefined || arrival === undefined) return this.o.preprocessor.run(image, options, source);
    const ahead = this.ahead;
    let result: Promise<PreprocessResult>;
    if (ahead?.key === keyOf(source)) {
      this.ahead = undefined;
      this.prefetched++;
      result = ahead.result;
    } else {
      result = this.o.preprocessor.run(image, options, source);
    }
    this.advanceTo(arrival);
    // Start the next waiting frame now: the thread works on it while this one is in inference.
    this.pump();
    return result;
  }

  /** The core dropped this frame without pre-processing it (stale, thinned, out of order): move past it. */
  passed(source: FrameSource): void {
    const arrival = this.arrivals.get(keyOf(source));
    if (arrival === undefined) return;
    this.advanceTo(arrival);
    this.pump();
  }

  recycle(tensor: Float32Array): void {
    this.o.preprocessor.recycle?.(tensor);
  }

  /** Stop prefetching and drop work started ahead (the preprocessor itself is closed by its owner). */
  close(): void {
    this.closed = true;
    this.discard();
    this.seen.length = 0;
    this.arrivals.clear();
  }

  /** Everything that arrived up to `arrival` has been handled by the plumbing: forget it, drop work started for it. */
  private advanceTo(arrival: number): void {
    while (this.seen.length > 0 && (this.seen[0]?.arrival ?? Infinity) <= arrival) this.forget(this.seen.shift()?.record);
    for (const [key, a] of this.arrivals) if (a <= arrival) this.arrivals.delete(key);
    if (this.ahead !== undefined && this.ahead.arrival <= arrival) this.discard();
  }

  private forget(record: ConsumedRecord | undefined): void {
    if (record !== undefined) this.arrivals.delete(keyOf(record));
  }

  private discard(): void {
    const ahead = this.ahead;
    if (ahead === undefined) return;
    this.ahead = undefined;
    this.discarded++;
    ahead.result.then(
      (r) => {
        this.recycle(r.tensor);
      },
      () => undefined,
    );
  }

  private pump(): void {
    if (this.closed || this.ahead !== undefined) return;
    for (let next = this.seen.shift(); next !== undefined; next = this.seen.shift()) {
      const { record, arrival } = next;
      if (this.o.maxQueueDelayUs > 0 && this.o.nowUs() - record.timestampUs > this.o.maxQueueDelayUs) {
        this.forget(record);
        continue;
      }
      let image: EncodedImage & Pick<CameraFrame, 'rigId' | 'sensorId' | 'captureTimeUs'>;
      try {
        image = this.o.decode(record.value);
      } catch {
        // Not decodable: the plumbing dead-letters it with the real reason.
        this.forget(record);
        continue;
      }
      const result = this.o.preprocessor.run(image, this.o.options, { topic: record.topic, partition: record.partition, offset: record.offset, frame: frameTag(image) });
      // A bad image rejects here and again, as the same typed error, when the core asks for it.
      result.catch(() => undefined);
      this.ahead = { key: keyOf(record), arrival, result };
      return;
    }
  }
}
