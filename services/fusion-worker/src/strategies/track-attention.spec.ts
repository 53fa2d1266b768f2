import { describe, expect, it } from 'vitest';
import type { FusedDetections } from '@sensorfuse/schemas';
import type { FusedObject, FusionOutput, TrackOutput } from '../core/types.js';
import { trackAttention, withAttention, type AttentionResult } from './learned.js';

const detection = (x: number, y: number): FusedObject => ({
  x, y, z: 0, length: 4, width: 2, height: 1.5, yawRad: 0, objectClass: 'car', score: 0.8, origin: 'lidar', evidence: [], covXX: 0.1, covXY: 0, covYY: 0.1,
});
const track = (trackId: number, x: number, y: number, updated: boolean): TrackOutput => ({
  trackId, state: 'confirmed', position: { x, y, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, velocity: { x: 0, y: 0, z: 0 }, objectClass: 'car', score: 0.8,
  contributingModalities: updated ? ['lidar'] : [], ageUs: 0, positionStdM: { x: 0.1, y: 0.1 }, velocityStdMps: { x: 0.1, y: 0.1 }, modalityHits: {},
});
const answer = (camera: number, lidar: number, audio: number): AttentionResult => ({ objectClass: 'car', score: 0.8, attention: [camera, lidar, audio] });

describe('attention per track', () => {
  // Detections at x = 10, 11 and 30; track 1 moved 0.3 m towards the detection at 10, track 2 sits on the one
  // at 30 (new), track 3 was not updated this frame (no contributing modality) although it is 0.2 m from x = 11.
  const output = {
    detections: [detection(10, 0), detection(11, 0), detection(30, 0)],
    tracks: [track(1, 10.3, 0, true), track(2, 30, 0, true), track(3, 11.2, 0, false)],
  } as unknown as FusionOutput;
  const answers = [answer(0.6, 0.4, 0), answer(0.1, 0.9, 0), answer(0, 0.75, 0.25)];

  it('pairs each updated track with its nearest detection, each detection once, and leaves un-updated tracks out', () => {
    const byTrack = trackAttention(output, answers);
    expect([...byTrack.keys()].sort()).toEqual([1, 2]);
    expect(byTrack.get(1)).toEqual([0.6, 0.4, 0]);
    expect(byTrack.get(2)).toEqual([0, 0.75, 0.25]);
  });

  it('writes the weights by modality name into the record, null for tracks without', () => {
    const record = { tracks: [{ trackId: 1 }, { trackId: 2 }, { trackId: 3 }] } as unknown as FusedDetections;
    const out = withAttention(record, trackAttention(output, answers));
    expect(out.tracks.map((t) => t.attention)).toEqual([{ camera: 0.6, lidar: 0.4, audio: 0 }, { camera: 0, lidar: 0.75, audio: 0.25 }, null]);
  });
});
