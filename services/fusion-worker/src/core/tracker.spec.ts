import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION_PARAMS } from './params.js';
import { stepTracks, worstAxisStdM, type WorldDetection } from './tracker.js';
import type { TrackRecord } from './types.js';

const T = 1_000_000_000;
const params = DEFAULT_FUSION_PARAMS;

function track(id: number, x: number, y: number, over: Partial<TrackRecord> = {}): TrackRecord {
  return {
    id, state: 'confirmed', x: [x, y, 0, 0], p: [0.25, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    z: 0.8, length: 4.5, width: 1.9, height: 1.6, yawRad: 0, classScores: { car: 1 }, score: 0.6, hits: 5,
    createdUs: T - 1_000_000, lastUpdateUs: T, modalityHits: { lidar: 5 }, lastModalities: ['lidar'], ...over,
  };
}

function detection(x: number, y: number, score: number): WorldDetection {
  return {
    x, y, z: 0.8, length: 4.5, width: 1.9, height: 1.6, yawRad: 0, yawMeasured: true, objectClass: 'car', score,
    covXX: 0.09, covXY: 0, covYY: 0.09, modalities: ['lidar'],
  };
}

describe('tracker life cycle rules (issue 9)', () => {
  it('merges two tracks on one object: the confirmed one keeps its id, a far one is left alone', () => {
    // Δ = 0.5 m with P = 0.25 m² each: d² = 0.25 / 0.5 = 0.5, far inside the 99 % gate (9.21). 10 m away: d² = 200.
    const tracks = [track(1, 10, 0), track(2, 10.5, 0, { state: 'tentative', hits: 1 }), track(3, 20, 0)];
    const out = stepTracks(tracks, [], T + 100_000, 4, params);
    expect(out.tracks.map((t) => t.id)).toEqual([1, 3]);
  });

  it('does not merge tracks of incompatible classes (a pedestrian beside a car)', () => {
    const tracks = [track(1, 10, 0), track(2, 10.5, 0, { classScores: { pedestrian: 1 } })];
    expect(stepTracks(tracks, [], T + 100_000, 3, params).tracks.map((t) => t.id)).toEqual([1, 2]);
  });

  it('turns a confirmed track tentative when its smoothed score falls below 0.3', () => {
    // Smoothed score 0.6 · 0.35 + 0.4 · 0.1 = 0.25 < 0.3 → tentative; with a 0.2 detection: 0.29 (still below);
    // with 0.3: 0.33 → stays confirmed.
    const step = (score: number) => stepTracks([track(1, 10, 0, { score: 0.35 })], [detection(10, 0, score)], T + 100_000, 2, params).tracks[0];
    expect(step(0.1)?.state).toBe('tentative');
    expect(step(0.1)?.score).toBeCloseTo(0.25, 12);
    expect(step(0.2)?.state).toBe('tentative');
    expect(step(0.3)?.state).toBe('confirmed');
  });

  it('loses a confirmed track after half of lostAfterUs when a reliable camera had it in view, else after lostAfterUs', () => {
    // 200 ms without update: > 150 ms (in view) → lost; ≤ 300 ms (not in view) → still confirmed.
    const silent = track(1, 10, 0, { lastUpdateUs: T - 100_000 });
    expect(stepTracks([silent], [], T + 100_000, 2, params, Uint8Array.of(1)).tracks[0]?.state).toBe('lost');
    expect(stepTracks([silent], [], T + 100_000, 2, params, Uint8Array.of(0)).tracks[0]?.state).toBe('confirmed');
    expect(stepTracks([silent], [], T + 100_000, 2, params).tracks[0]?.state).toBe('confirmed');
  });

  it('keeps a tentative track that had confirmHits updates as lost instead of deleting it; a young one is deleted', () => {
    const old = track(1, 10, 0, { state: 'tentative', hits: 4, lastUpdateUs: T - 300_000 });
    const young = track(2, 30, 0, { state: 'tentative', hits: 1, lastUpdateUs: T - 300_000 });
    const out = stepTracks([old, young], [], T + 100_000, 3, params).tracks;
    expect(out.map((t) => [t.id, t.state])).toEqual([[1, 'lost']]);
  });

  it('confirms a track only on a detection that places it within confirmMaxPositionStdM: a far camera-only box waits, a LIDAR one confirms', () => {
    const limited = { ...params, confirmMaxPositionStdM: 4 };
    // Camera-only at 45 m straight ahead: depth std 0.1 x 45 = 4.5 m along x, 0.75 m across (hand-picked covariance).
    const far: WorldDetection = { ...detection(45, 0, 0.8), covXX: 4.5 ** 2, covYY: 0.75 ** 2, modalities: ['camera'] };
    expect(worstAxisStdM(far)).toBeCloseTo(4.5, 9);
    // The same covariance turned 45° (bearing of an object at (30, 30)): the worst axis is unchanged.
    const turned: WorldDetection = { ...far, x: 30, y: 30, covXX: (4.5 ** 2 + 0.75 ** 2) / 2, covYY: (4.5 ** 2 + 0.75 ** 2) / 2, covXY: (4.5 ** 2 - 0.75 ** 2) / 2 };
    expect(worstAxisStdM(turned)).toBeCloseTo(4.5, 9);
    const ready = (x: number, y: number) => track(7, x, y, { state: 'tentative', hits: 2, score: 0.7, p: [25, 0, 0, 0, 0, 25, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
    expect(stepTracks([ready(45, 0)], [far], T + 100_000, 8, limited).tracks[0]?.state).toBe('tentative');
    expect(stepTracks([ready(30, 30)], [turned], T + 100_000, 8, limited).tracks[0]?.state).toBe('tentative');
    expect(stepTracks([ready(45, 0)], [far], T + 100_000, 8, { ...params, confirmMaxPositionStdM: 1000 }).tracks[0]?.state).toBe('confirmed');
    expect(stepTracks([ready(45, 0)], [detection(45, 0, 0.8)], T + 100_000, 8, limited).tracks[0]?.state).toBe('confirmed');
  });
});
