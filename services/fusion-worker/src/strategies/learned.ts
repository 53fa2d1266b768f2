/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing; indices are in range by construction */
/**
 * Learned attention fusion: the per-object fusion rule is the attention model of models/fusion-attention
 * (tools/train-fusion-attention), run through @sensorfuse/inference with all objects of a frame in one
 * batch. The core's per-object hook is synchronous, so a frame is stepped twice through the pure core:
 * once to collect every object's modality tokens (association and tracking are the same either way), then,
 * after one batched inference, again from the same state with the model's class and score per object.
 */
import { fileURLToPath } from 'node:url';
import type { AlignedFrame } from '@sensorfuse/align';
import type { FusedDetections, Modality, ObjectClass } from '@sensorfuse/schemas';
import { openBareSession, type BareSession } from '@sensorfuse/inference';
import { createFusionState, lateFusion, update, type ObjectFusion, type ObjectFusionInput, type UpdateContext, type UpdateResult } from '../core/update.js';
import type { FusionOutput, FusionParams, FusionPayload, FusionState, ResolvedCalibration } from '../core/types.js';
import type { FusionStrategy } from '../eval/strategies.js';
import { ATTENTION_CLASSES, ATTENTION_MODALITIES, TOKEN_DIM, encodeObject } from './attention-features.js';

export const FUSION_ATTENTION_MODEL = fileURLToPath(new URL('../../../../models/fusion-attention/fusion-attention.onnx', import.meta.url));

/** The model's answer for a batch of objects: class, score (1 − background probability) and attention per modality. */
export interface AttentionResult {
  readonly objectClass: ObjectClass;
  readonly score: number;
  /** Weight per ATTENTION_MODALITIES entry (camera, LIDAR, audio); 0 exactly for a masked modality. */
  readonly attention: readonly number[];
}

export class AttentionFusionModel {
  private constructor(private readonly session: BareSession) {}

  static async open(modelPath: string = FUSION_ATTENTION_MODEL): Promise<AttentionFusionModel> {
    return new AttentionFusionModel(await openBareSession(modelPath));
  }

  /** Runs the model on encoded tokens (n × 3 × TOKEN_DIM) and masks (n × 3) in one batch. */
  async runEncoded(features: Float32Array, mask: Float32Array, n: number): Promise<AttentionResult[]> {
    if (n === 0) return [];
    const M = ATTENTION_MODALITIES.length;
    const out = await this.session.run({
      features: { type: 'float32', dims: [n, M, TOKEN_DIM], data: features },
      mask: { type: 'float32', dims: [n, M], data: mask },
    });
    const probs = out.probabilities?.data as Float32Array;
    const attention = out.attention?.data as Float32Array;
    const C = ATTENTION_CLASSES.length + 1;
    const results: AttentionResult[] = [];
    for (let i = 0; i < n; i++) {
      let best = 1;
      for (let c = 2; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
      results.push({ objectClass: ATTENTION_CLASSES[best - 1]!, score: 1 - probs[i * C]!, attention: Array.from(attention.subarray(i * M, (i + 1) * M)) });
    }
    return results;
  }

  /** Encodes and runs a batch of objects. */
  async run(inputs: readonly ObjectFusionInput[]): Promise<AttentionResult[]> {
    const M = ATTENTION_MODALITIES.length;
    const features = new Float32Array(inputs.length * M * TOKEN_DIM);
    const mask = new Float32Array(inputs.length * M);
    inputs.forEach((input, i) => { encodeObject(input, features, mask, i); });
    return this.runEncoded(features, mask, inputs.length);
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** One frame through the core with the attention model: the result, and the model's answer per output detection. */
export interface LearnedUpdateResult extends UpdateResult {
  /** Per `output.detections` entry (same order): the model's class, score and attention weights. */
  readonly answers: readonly (AttentionResult | undefined)[];
}

/**
 * The model's answer for every object of a frame, in the order the core builds them: the pure core runs
 * once to collect each object's modality tokens, then one batched inference (asynchronous: onnxruntime
 * runs it off the event loop). The core is pure, so this pass leaves nothing behind.
 */
export async function learnedAnswers(
  model: Pick<AttentionFusionModel, 'run'>, frame: AlignedFrame<FusionPayload>, calibration: ResolvedCalibration, state: FusionState,
  context: Omit<UpdateContext, 'fuse'>,
): Promise<AttentionResult[]> {
  const inputs: ObjectFusionInput[] = [];
  const collect: ObjectFusion = (input, p) => { inputs.push(input); return lateFusion(input, p); };
  update(frame, calibration, state, { ...context, fuse: collect });
  return model.run(inputs);
}

/**
 * Steps one frame with learned fusion: `learnedAnswers`, then the core again from the same state with
 * the model's class and score per object (association and tracking are the same either way).
 */
export async function learnedUpdate(
  model: Pick<AttentionFusionModel, 'run'>, frame: AlignedFrame<FusionPayload>, calibration: ResolvedCalibration, state: FusionState,
  context: Omit<UpdateContext, 'fuse'>,
): Promise<LearnedUpdateResult> {
  const answers = await learnedAnswers(model, frame, calibration, state, context);
  let i = 0;
  const replay: ObjectFusion = () => {
    const a = answers[i++];
    return a === undefined ? { objectClass: 'unknown', score: 0 } : { objectClass: a.objectClass, score: a.score };
  };
  const result = update(frame, calibration, state, { ...context, fuse: replay });
  return { ...result, answers: result.output.detections.map((_, k) => answers[k]) };
}

/**
 * The attention of the detection that updated each track in this frame, by track id. The core's output
 * does not say which detection updated which track, so a track updated in this frame (it has
 * contributing modalities) is paired with the nearest detection (body frame), nearest pairs first, each
 * detection used once: a new track sits on its detection, an updated one between its prediction and it.
 */
export function trackAttention(output: FusionOutput, answers: readonly (AttentionResult | undefined)[]): Map<number, readonly number[]> {
  const pairs: { d2: number; track: number; det: number }[] = [];
  output.tracks.forEach((t, ti) => {
    if (t.contributingModalities.length === 0) return;
    output.detections.forEach((d, di) => {
      if (answers[di] === undefined) return;
      pairs.push({ d2: (t.position.x - d.x) ** 2 + (t.position.y - d.y) ** 2, track: ti, det: di });
    });
  });
  pairs.sort((a, b) => a.d2 - b.d2);
  const usedTrack = new Set<number>();
  const usedDet = new Set<number>();
  const out = new Map<number, readonly number[]>();
  for (const p of pairs) {
    if (usedTrack.has(p.track) || usedDet.has(p.det)) continue;
    usedTrack.add(p.track);
    usedDet.add(p.det);
    out.set(output.tracks[p.track]!.trackId, answers[p.det]!.attention);
  }
  return out;
}

/** The FusedDetections record with each track's attention (null when the track has none this frame). */
export function withAttention(record: FusedDetections, attention: ReadonlyMap<number, readonly number[]>): FusedDetections {
  const at = (m: Modality, w: readonly number[]) => w[ATTENTION_MODALITIES.indexOf(m)] ?? 0;
  return {
    ...record,
    tracks: record.tracks.map((t) => {
      const w = attention.get(t.trackId);
      return { ...t, attention: w === undefined ? null : { camera: at('camera', w), lidar: at('lidar', w), audio: at('audio', w) } };
    }),
  };
}

/** The learned strategy for the evaluation harness (src/eval): same association, tracking and output as late fusion. */
export function learnedStrategy(options: { readonly modelPath?: string; readonly name?: string; readonly modalities?: readonly Modality[] } = {}): FusionStrategy {
  const modelPath = options.modelPath ?? FUSION_ATTENTION_MODEL;
  const modalities = options.modalities === undefined ? undefined : new Set<Modality>(options.modalities);
  const mask = modalities === undefined ? {} : { modalities };
  return {
    name: options.name ?? 'learned',
    description: 'attention fusion over per-object modality tokens with missing-modality masks (models/fusion-attention)',
    async start(scene, params: FusionParams) {
      const model = await AttentionFusionModel.open(modelPath);
      let state: FusionState = createFusionState(scene.calibration.rigId);
      return {
        async step(frame, calibration) {
          const result = await learnedUpdate(model, frame, calibration, state, { params, nowUs: frame.pivotTimeUs, ...mask });
          state = result.state;
          return result.output;
        },
        close: () => model.close(),
      };
    },
  };
}
