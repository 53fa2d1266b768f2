/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array indexing; indices are in range by construction */
/**
 * Per-object modality features of the learned attention fusion (models/fusion-attention): one token per
 * modality (camera, LIDAR, audio) of TOKEN_DIM values, and a mask (1 = the modality gave evidence or, for
 * the camera, negative evidence: it should have seen the object and did not). Shared by the feature export
 * of the training script (tools/train-fusion-attention) and the runtime, so both encode identically.
 */
import type { Modality, ObjectClass } from '@sensorfuse/schemas';
import type { ObjectFusionInput } from '../core/update.js';

export const ATTENTION_MODALITIES: readonly Modality[] = ['camera', 'lidar', 'audio'];
/** Output classes of the model, in logit order after `background` (index 0). */
export const ATTENTION_CLASSES: readonly ObjectClass[] = ['car', 'truck', 'bus', 'pedestrian', 'cyclist', 'motorcyclist', 'animal'];
const CLASS_INDEX = new Map<ObjectClass, number>(ATTENTION_CLASSES.map((c, i) => [c, i]));
const K = ATTENTION_CLASSES.length;
/** Token layout: class one-hot × score (K), score, reliability, camera miss strength, LIDAR points / 50 (≤ 2), range / 50 m, class 'unknown'. */
export const TOKEN_DIM = K + 6;

/** Encodes one object into `features` (3 × TOKEN_DIM at `offset·3·TOKEN_DIM`) and `mask` (3 at `offset·3`). */
export function encodeObject(input: ObjectFusionInput, features: Float32Array, mask: Float32Array, offset: number): void {
  const base = offset * ATTENTION_MODALITIES.length * TOKEN_DIM;
  features.fill(0, base, base + ATTENTION_MODALITIES.length * TOKEN_DIM);
  mask.fill(0, offset * 3, offset * 3 + 3);
  const range = Math.min(2, input.rangeM / 50);
  for (let m = 0; m < ATTENTION_MODALITIES.length; m++) {
    const modality = ATTENTION_MODALITIES[m]!;
    const at = base + m * TOKEN_DIM;
    let present = false;
    for (const e of input.evidence) {
      if (e.modality !== modality) continue;
      present = true;
      const c = CLASS_INDEX.get(e.objectClass);
      if (c === undefined) features[at + K + 5] = Math.max(features[at + K + 5]!, e.score);
      else features[at + c] = Math.max(features[at + c]!, e.score);
      features[at + K] = Math.max(features[at + K]!, e.score);
      features[at + K + 1] = Math.max(features[at + K + 1]!, e.reliability);
    }
    if (modality === 'camera') {
      for (const miss of input.unseenBy) {
        present = true;
        features[at + K + 2] = Math.max(features[at + K + 2]!, miss.reliability * miss.visibleFraction);
        features[at + K + 1] = Math.max(features[at + K + 1]!, miss.reliability);
      }
    }
    if (modality === 'lidar' && input.origin === 'lidar') {
      present = true;
      features[at + K + 3] = Math.min(2, input.lidarPoints / 50);
      const c = CLASS_INDEX.get(input.lidarClass);
      if (c !== undefined) features[at + c] = Math.max(features[at + c]!, 0.5);
      else features[at + K + 5] = Math.max(features[at + K + 5]!, 0.5);
    }
    if (present) {
      features[at + K + 4] = range;
      mask[offset * 3 + m] = 1;
    }
  }
}
