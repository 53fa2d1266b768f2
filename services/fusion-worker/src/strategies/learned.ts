/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing; indices are in range by construction */
/**
 * Learned attention fusion: the per-object fusion rule is the attention model of models/fusion-attention
 * (tools/train-fusion-attention), run through @sensorfuse/inference with all objects of a frame in one
 * batch. The core's per-object hook is synchronous, so a frame is stepped twice through the pure core:
 * once to collect every object's modality tokens (association and tracking are the same either way), then,
 * after one batched inference, again from the same state with the model's class and score per object.
 */
import { fileURLToPath } from 'node:url';
import type { Modality, ObjectClass } from '@sensorfuse/schemas';
import { openBareSession, type BareSession } from '@sensorfuse/inference';
import { createFusionState, lateFusion, update, type ObjectFusion, type ObjectFusionInput } from '../core/update.js';
import type { FusionParams, FusionState } from '../core/types.js';
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
          const inputs: ObjectFusionInput[] = [];
          const collect: ObjectFusion = (input, p) => { inputs.push(input); return lateFusion(input, p); };
          update(frame, calibration, state, { params, nowUs: frame.pivotTimeUs, fuse: collect, ...mask });
          const answers = await model.run(inputs);
          let i = 0;
          const replay: ObjectFusion = () => {
            const a = answers[i++];
            return a === undefined ? { objectClass: 'unknown', score: 0 } : { objectClass: a.objectClass, score: a.score };
          };
          const result = update(frame, calibration, state, { params, nowUs: frame.pivotTimeUs, fuse: replay, ...mask });
          state = result.state;
          return result.output;
        },
        close: () => model.close(),
      };
    },
  };
}
