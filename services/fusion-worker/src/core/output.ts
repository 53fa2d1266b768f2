import type { FusedDetections } from '@sensorfuse/schemas';
import type { FusionOutput, FusionState } from './types.js';

/** The core's output as the FusedDetections record of fused.detections (extra fields stay in the core output). */
export function toFusedDetections(output: FusionOutput): FusedDetections {
  return {
    rigId: output.rigId,
    seq: output.seq,
    captureTimeUs: output.captureTimeUs,
    publishTimeUs: output.publishTimeUs,
    frameId: output.frameId,
    tracks: output.tracks.map((t) => ({
      trackId: t.trackId,
      state: t.state,
      position: { ...t.position },
      extent: { ...t.extent },
      yawRad: t.yawRad,
      velocity: { ...t.velocity },
      objectClass: t.objectClass,
      score: t.score,
      contributingModalities: [...t.contributingModalities],
      ageUs: t.ageUs,
    })),
    presentModalities: [...output.presentModalities],
    // Late inputs were expected and not used: for a reader of the record they are missing from this frame.
    missingModalities: [...new Set([...output.missingModalities, ...output.lateModalities])].filter((m) => !output.presentModalities.includes(m)),
  };
}

const STATE_FORMAT = 1;

/** Tracker state as bytes for a checkpoint (JSON: small, and readable when debugging a restore). */
export function serializeFusionState(state: FusionState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: STATE_FORMAT, state }));
}

export function deserializeFusionState(bytes: Uint8Array): FusionState {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { format?: number; state?: FusionState };
  if (parsed.format !== STATE_FORMAT || parsed.state === undefined) {
    throw new RangeError(`fusion state checkpoint: expected format ${STATE_FORMAT}, found ${String(parsed.format)}`);
  }
  return parsed.state;
}
