import type { EncodedImage, FrameTag, PreprocessOptions, PreprocessResult } from '@sensorfuse/image';
import type { ConsumedRecord } from '@sensorfuse/transport';
import { frameTag, type Detector, type FramePreprocessor, type FrameSource } from './core/camera-core.js';
import type { CameraFrame } from '@sensorfuse/schemas';

type DetectorOutput = Awaited<ReturnType<Detector['run']>>;

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
  /**
   * The core's `minFrameIntervalUs` (0 = none): a prepared frame the core would thin out is not
   * started in inference ahead (see `detector`).
   */
  readonly minFrameIntervalUs?: number;
}

interface Ahead {
  readonly key: string;
  readonly arrival: number;
  readonly result: Promise<PreprocessResult>;
  /** When the record reached the broker, µs (the core's staleness test). */
  readonly receivedAtUs: number;
  readonly frame: FrameTag;
  /** The pre-processing result, once it is there. */
  ready?: PreprocessResult;
  /** Its inference, when started ahead of the core (see `detector`). */
  inference?: Promise<DetectorOutput>;
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
  /** Inferences started ahead, by tensor, until the core asks for them (see `detector`). */
  private readonly started = new Map<Float32Array, Promise<DetectorOutput>>();
  /** The capture time of the last frame the core asked for, per camera (its out-of-order and interval tests). */
  private readonly lastAsked = new Map<string, number>();
  private inner: Detector | undefined;
  private inFlight = 0;
  /** Frames handed over from work started ahead (for tests and the benchmark). */
  prefetched = 0;
  /** Frames whose inference started ahead, the moment the detector was free, and was then asked for by the core. */
  inferredAhead = 0;
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

  /**
   * The detector as the core should see it, so the inference thread does not wait for the event
   * loop between two frames. Without this, after frame k's inference the thread idles while the
   * event loop decodes k's output, publishes it, and the plumbing hands the core frame k+1 (measured
   * at 1.5 ms median per frame, 7 % of a 20 ms inference, on the shared 2-core machine). Here, the
   * moment the detector is free (frame k's result has arrived, before the core sees it) and the
   * frame prepared ahead is ready, that frame's inference starts; when the core then asks for it
   * (`run` of the returned detector with that tensor) it gets that inference. So at most one
   * inference runs at a time, and a frame is committed to it only when the detector is free again,
   * as without this. It is not started ahead if the core would drop it: older than
   * `maxQueueDelayUs`, not newer than the last frame of its camera the core asked for, or closer
   * to it than `minFrameIntervalUs`; if the core drops it all the same, its result is discarded.
   */
  detector(inner: Detector): Detector {
    this.inner = inner;
    return {
      run: (input, dims) => {
        const ahead = this.started.get(input);
        if (ahead !== undefined) {
          this.started.delete(input);
          this.inferredAhead++;
          return ahead;
        }
        return this.infer(inner, input, dims);
      },
    };
  }

  private infer(inner: Detector, input: Float32Array, dims: readonly number[]): Promise<DetectorOutput> {
    this.inFlight++;
    const result = inner.run(input, dims);
    // Registered before anyone else can await it: the next inference starts before the core sees this result.
    const done = (): void => {
      this.inFlight--;
      this.inferAhead();
    };
    result.then(done, done);
    return result;
  }

  /** Start the prepared frame's inference if the detector is free and the core will want it. */
  private inferAhead(): void {
    const ahead = this.ahead;
    const inner = this.inner;
    if (this.closed || inner === undefined || this.inFlight > 0 || ahead?.ready === undefined || ahead.inference !== undefined) return;
    if (this.o.maxQueueDelayUs > 0 && this.o.nowUs() - ahead.receivedAtUs > this.o.maxQueueDelayUs) return;
    const last = this.lastAsked.get(ahead.frame.camera);
    const interval = this.o.minFrameIntervalUs ?? 0;
    if (last !== undefined && (ahead.frame.timeUs <= last || (interval > 0 && ahead.frame.timeUs - last < interval))) return;
    const tensor = ahead.ready.tensor;
    const inference = this.infer(inner, tensor, [1, 3, this.o.options.height, this.o.options.width]);
    // A failure reaches the core when it asks for this frame (and is dropped if it never does).
    inference.catch(() => undefined);
    ahead.inference = inference;
    this.started.set(tensor, inference);
  }

  run(image: EncodedImage, options: PreprocessOptions, source?: FrameSource): Promise<PreprocessResult> {
    if (source?.frame !== undefined) this.lastAsked.set(source.frame.camera, source.frame.timeUs);
    const arrival = source === undefined ? undefined : this.arrivals.get(keyOf(source));
    if (source === undefined || arrival === undefined) return this.o.preprocessor.run(image, options, source);
    const ahead = this.ahead;
    let result: Promise<PreprocessResult>;
    if (ahead?.key === keyOf(source)) {
      this.ahead = undefined;
      this.prefetched++;
      this.lastAsked.set(ahead.frame.camera, ahead.frame.timeUs);
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
    const inference = ahead.inference;
    if (inference !== undefined && ahead.ready !== undefined) {
      // Its tensor is in the inference thread: recycle it when it comes back.
      const tensor = ahead.ready.tensor;
      this.started.delete(tensor);
      inference.then(
        (out) => {
          this.recycle(out.input ?? tensor);
        },
        () => undefined,
      );
      return;
    }
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
      const frame = frameTag(image);
      const result = this.o.preprocessor.run(image, this.o.options, { topic: record.topic, partition: record.partition, offset: record.offset, frame });
      const ahead: Ahead = { key: keyOf(record), arrival, result, receivedAtUs: record.timestampUs, frame };
      // A bad image rejects here and again, as the same typed error, when the core asks for it.
      result.then(
        (r) => {
          ahead.ready = r;
          if (this.ahead === ahead) this.inferAhead();
        },
        () => undefined,
      );
      this.ahead = ahead;
      return;
    }
  }
}
