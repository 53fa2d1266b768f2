import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferencePool, ModelNotFoundError, parseModelCard, type ModelCard } from '@sensorfuse/inference';
import { AudioConfigError } from './errors.js';
import type { LogMelFrames } from './log-mel.js';
import type { ModelRunner } from './vad.js';

/** Classes of the shipped classifier (models/audio-events), in output order; 0 is "no event". */
export const SOUND_EVENT_CLASSES = ['background', 'siren', 'horn', 'dog_bark', 'impact', 'speech'] as const;
export type SoundEventClass = (typeof SOUND_EVENT_CLASSES)[number];

export interface SoundEventParams {
  /** Log-mel rows per patch (the model's input height): 48 rows = 0.48 s at a 10 ms hop. */
  readonly patchRows: number;
  /** Rows between patch starts: 16 = a patch every 160 ms. */
  readonly hopRows: number;
  /** A class's event starts at a patch probability ≥ this … */
  readonly onThreshold: number;
  /** … and lasts while patches stay ≥ this (hysteresis). */
  readonly offThreshold: number;
  /** Patches below offThreshold needed to end an event (1 = the first one ends it). */
  readonly offPatches: number;
  /** Onset = end of the first patch ≥ onThreshold − edgeUs; offset = start of the last patch ≥ offThreshold + edgeUs. */
  readonly edgeUs: number;
}

/**
 * Defaults. A patch is labelled with a class in training when the event covers ≥ 120 ms of it, so
 * the first positive patch ends 120–280 ms after the onset (hop 160 ms): edgeUs = 200 ms is the middle.
 */
export const DEFAULT_SOUND_EVENT_PARAMS: SoundEventParams = Object.freeze({
  patchRows: 48,
  hopRows: 16,
  onThreshold: 0.6,
  offThreshold: 0.4,
  offPatches: 2,
  edgeUs: 200_000,
});

/** One classified patch. */
export interface PatchScores {
  readonly startUs: number;
  readonly endUs: number;
  /** Probability per class, SOUND_EVENT_CLASSES order. */
  readonly probabilities: Float32Array;
  /** False when the activity gate found nothing above the noise floor in the patch: background = 1, model not run. */
  readonly classified: boolean;
}

/** Whether the patch [startUs, endUs) needs the model. */
export type PatchGate = (startUs: number, endUs: number) => boolean;

/** A sound event; `open` while it goes on (then offsetUs is provisional and it is reported again). */
export interface SoundEvent {
  readonly eventClass: Exclude<SoundEventClass, 'background'>;
  readonly onsetUs: number;
  readonly offsetUs: number;
  /** Mean probability of the class over the event's patches. */
  readonly score: number;
  readonly open: boolean;
}

export interface SoundEventResult {
  readonly patches: readonly PatchScores[];
  /** Events closed by this push, then the open ones. */
  readonly events: readonly SoundEvent[];
}

interface ClassState {
  active: boolean;
  onsetUs: number;
  lastStartUs: number;
  below: number;
  sum: number;
  count: number;
}

/**
 * Hysteresis over patch probabilities, one state machine per class (several classes may be active
 * at once: a siren under speech). Pure and synchronous.
 */
export class SoundEventTracker {
  private readonly states: ClassState[];

  constructor(readonly params: SoundEventParams = DEFAULT_SOUND_EVENT_PARAMS) {
    this.states = SOUND_EVENT_CLASSES.map(() => ({ active: false, onsetUs: 0, lastStartUs: 0, below: 0, sum: 0, count: 0 }));
  }

  /** Feed one patch; closed events are appended to `closed`. */
  push(patch: PatchScores, closed: SoundEvent[]): void {
    const p = this.params;
    for (let c = 1; c < this.states.length; c++) {
      const s = this.states[c] as ClassState;
      const prob = patch.probabilities[c] ?? 0;
      if (!s.active) {
        if (prob >= p.onThreshold) {
          s.active = true;
          s.onsetUs = Math.max(patch.startUs, patch.endUs - p.edgeUs);
          s.lastStartUs = patch.startUs;
          s.below = 0;
          s.sum = prob;
          s.count = 1;
        }
        continue;
      }
      if (prob >= p.offThreshold) {
        s.lastStartUs = patch.startUs;
        s.below = 0;
        s.sum += prob;
        s.count++;
      } else if (++s.below >= p.offPatches) {
        closed.push(this.eventOf(c, s, false));
        s.active = false;
      }
    }
  }

  /** Events still going on. */
  open(): SoundEvent[] {
    const out: SoundEvent[] = [];
    for (let c = 1; c < this.states.length; c++) {
      const s = this.states[c] as ClassState;
      if (s.active) out.push(this.eventOf(c, s, true));
    }
    return out;
  }

  private eventOf(c: number, s: ClassState, open: boolean): SoundEvent {
    return {
      eventClass: SOUND_EVENT_CLASSES[c] as Exclude<SoundEventClass, 'background'>,
      onsetUs: s.onsetUs,
      offsetUs: Math.max(s.onsetUs, s.lastStartUs + this.params.edgeUs),
      score: s.sum / s.count,
      open,
    };
  }

  reset(): void {
    for (const s of this.states) s.active = false;
  }
}

/**
 * Streaming sound-event classification of one sensor's log-mel rows: collects rows across chunks,
 * cuts a patch of `patchRows` rows every `hopRows` rows, runs all patches completed by one push as
 * one batch through the model ([batch, 1, patchRows, nMels] dB → [batch, classes] probabilities),
 * and turns the probabilities into events with onset and offset.
 */
export class SoundEventClassifier {
  private readonly tracker: SoundEventTracker;
  /** Rows from stream row `bufferStartRow` on, row-major; only rows a future patch needs are kept. */
  private buffer: Float32Array;
  private bufferRows = 0;
  private bufferStartRow = 0;
  private nextPatchRow = 0;
  private firstRowUs = 0;
  private hopUs = 10_000;

  constructor(
    private readonly runner: ModelRunner,
    readonly nMels: number,
    readonly params: SoundEventParams = DEFAULT_SOUND_EVENT_PARAMS,
  ) {
    if (!(params.hopRows >= 1 && params.patchRows >= params.hopRows)) {
      throw new AudioConfigError(`sound events need 1 ≤ hopRows ≤ patchRows, found ${String(params.hopRows)} and ${String(params.patchRows)}`);
    }
    this.tracker = new SoundEventTracker(params);
    this.buffer = new Float32Array((params.patchRows + 64) * nMels);
  }

  /** Start a new stream (first chunk, gap, replay loop). */
  restart(): void {
    this.bufferRows = 0;
    this.bufferStartRow = 0;
    this.nextPatchRow = 0;
    this.tracker.reset();
  }

  /**
   * Push the log-mel rows of one chunk (`firstRowUs`: capture time of the first row's start). Patches
   * the optional `gate` declines are scored background without running the model.
   */
  async push(rows: LogMelFrames, firstRowUs: number, hopUs: number, gate?: PatchGate): Promise<SoundEventResult> {
    const { nMels } = this;
    if (rows.nMels !== nMels) throw new AudioConfigError(`the classifier takes ${String(nMels)} mel bands, found ${String(rows.nMels)}`);
    if (this.bufferStartRow + this.bufferRows === 0) {
      this.firstRowUs = firstRowUs;
      this.hopUs = hopUs;
    }
    const need = (this.bufferRows + rows.frames) * nMels;
    if (need > this.buffer.length) {
      const grown = new Float32Array(need);
      grown.set(this.buffer.subarray(0, this.bufferRows * nMels));
      this.buffer = grown;
    }
    this.buffer.set(rows.data.subarray(0, rows.frames * nMels), this.bufferRows * nMels);
    this.bufferRows += rows.frames;
    const { patchRows, hopRows } = this.params;
    const total = this.bufferStartRow + this.bufferRows;
    const starts: number[] = [];
    for (let r = this.nextPatchRow; r + patchRows <= total; r += hopRows) starts.push(r);
    if (starts.length === 0) return { patches: [], events: this.tracker.open() };
    const timeOf = (row: number): number => Math.round(this.firstRowUs + row * this.hopUs);
    const run = starts.filter((s) => gate === undefined || gate(timeOf(s), timeOf(s + patchRows)));
    const batch = new Float32Array(run.length * patchRows * nMels);
    run.forEach((s, b) => {
      const at = (s - this.bufferStartRow) * nMels;
      batch.set(this.buffer.subarray(at, at + patchRows * nMels), b * patchRows * nMels);
    });
    this.nextPatchRow = (starts[starts.length - 1] as number) + hopRows;
    // drop the rows no future patch needs
    const drop = Math.min(this.bufferRows, this.nextPatchRow - this.bufferStartRow);
    this.buffer.copyWithin(0, drop * nMels, this.bufferRows * nMels);
    this.bufferRows -= drop;
    this.bufferStartRow += drop;
    const classes = SOUND_EVENT_CLASSES.length;
    let probs: Float32Array = new Float32Array(0);
    if (run.length > 0) {
      const out = await this.runner.run({ logmel: { type: 'float32', dims: [run.length, 1, patchRows, nMels], data: batch } });
      const data = out.probabilities?.data;
      if (!(data instanceof Float32Array) || data.length !== run.length * classes) {
        throw new TypeError(`the sound-event model returned ${String(data?.length)} values, expected [${String(run.length)}, ${String(classes)}] probabilities`);
      }
      probs = data;
    }
    const patches: PatchScores[] = [];
    const closed: SoundEvent[] = [];
    let b = 0;
    for (const s of starts) {
      const classified = run[b] === s;
      const probabilities = classified ? probs.slice(b * classes, (b + 1) * classes) : BACKGROUND.slice();
      if (classified) b++;
      const patch = { startUs: timeOf(s), endUs: timeOf(s + patchRows), probabilities, classified };
      patches.push(patch);
      this.tracker.push(patch, closed);
    }
    return { patches, events: [...closed, ...this.tracker.open()] };
  }
}

const BACKGROUND = Float32Array.from(SOUND_EVENT_CLASSES, (_, i) => (i === 0 ? 1 : 0));

const here = path.dirname(fileURLToPath(import.meta.url));

/** Path of the shipped sound-event classifier (models/audio-events in the repository). */
export function soundEventModelPath(): string {
  const p = path.resolve(here, '..', '..', '..', 'models', 'audio-events', 'audio-events.onnx');
  if (!existsSync(p)) throw new ModelNotFoundError(p, 'model');
  return p;
}

/** The model card of the shipped classifier (its .card.json beside the .onnx). */
export function soundEventModelCard(): ModelCard {
  const cardPath = soundEventModelPath().replace(/\.onnx$/, '.card.json');
  return parseModelCard(JSON.parse(readFileSync(cardPath, 'utf8')), cardPath);
}

/** Open an inference pool for the sound-event classifier; share one between all sensors. */
export function openSoundEventPool(options: { readonly modelPath?: string; readonly workers?: number } = {}): Promise<InferencePool> {
  const modelPath = options.modelPath ?? soundEventModelPath();
  return InferencePool.open({ modelPath, workers: options.workers ?? 1, intraOpThreads: 1 });
}
