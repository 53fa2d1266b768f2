/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array and matrix indexing on hot paths; indices are in range by construction */
import { assignByComponents } from './assign.js';
import { chiSquareQuantile } from '@sensorfuse/filters';
import type { Modality, ObjectClass } from '@sensorfuse/schemas';
import { classesCompatible, isPedestrianLike } from './classes.js';
import { wrapAngle } from './geometry.js';
import type { FusionParams, TrackRecord } from './types.js';

/** A detection in the tracking frame, ready for the tracker. */
export interface WorldDetection {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
  /** Whether yaw came from a measured box (LIDAR) rather than a class prior. */
  readonly yawMeasured: boolean;
  readonly objectClass: ObjectClass;
  readonly score: number;
  readonly covXX: number;
  readonly covXY: number;
  readonly covYY: number;
  readonly modalities: readonly Modality[];
}

const gates = new Map<number, number>();
function gateFor(probability: number): number {
  let g = gates.get(probability);
  if (g === undefined) {
    g = chiSquareQuantile(probability, 2);
    gates.set(probability, g);
  }
  return g;
}
const CLASS_DECAY = 0.8;
const SHAPE_GAIN = 0.3;
const INITIAL_SPEED_VAR = 25;
/** Smoothed score a track needs (besides confirmHits updates) to be confirmed. */
const CONFIRM_MIN_SCORE = 0.4;
/**
 * A confirmed track whose smoothed score falls below this goes back to tentative (hysteresis with
 * CONFIRM_MIN_SCORE): clutter a camera once confirmed and then keeps contradicting (negative evidence) is no
 * longer reported as confirmed. Tuned on seeds 11-12 (urban-day MOTA 0.177 -> 0.268 with this and the lost rule, 0.130 before any).
 */
const DEMOTE_BELOW_SCORE = 0.3;

// The class of a track is read several times per frame (prediction, gating, output); its class scores object
// is replaced on every update, so the answer is cached per object.
const classCache = new WeakMap<object, ObjectClass>();

export function trackClass(t: Pick<TrackRecord, 'classScores'>): ObjectClass {
  const cached = classCache.get(t.classScores);
  if (cached !== undefined) return cached;
  let best: ObjectClass = 'unknown';
  let bestScore = 0;
  for (const cls in t.classScores) {
    const s = t.classScores[cls as ObjectClass] ?? 0;
    if (s > bestScore) {
      best = cls as ObjectClass;
      bestScore = s;
    }
  }
  classCache.set(t.classScores, best);
  return best;
}

function accelNoise(params: FusionParams, cls: ObjectClass): number {
  return isPedestrianLike(cls) ? params.accelNoisePedestrian : params.accelNoiseVehicle;
}

/**
 * Predict every track by dtS with its class's constant-velocity model: x ← F x, P ← F P Fᵀ + Q with the
 * white-acceleration Q of filters' constantVelocityModel, written out for the 4-state [x, y, vx, vy]
 * (no per-track allocation of a filter workspace: this runs for every track of every frame).
 */
export function predictTracks(tracks: readonly TrackRecord[], dtS: number, params: FusionParams): TrackRecord[] {
  if (dtS <= 0) return [...tracks];
  const dt = dtS;
  return tracks.map((t) => {
    const q = accelNoise(params, trackClass(t));
    const q11 = (q * dt ** 3) / 3;
    const q12 = (q * dt ** 2) / 2;
    const q22 = q * dt;
    const P = t.p;
    const x = [t.x[0]! + dt * t.x[2]!, t.x[1]! + dt * t.x[3]!, t.x[2]!, t.x[3]!];
    // A = F P (F = [I dt·I; 0 I]), then A Fᵀ.
    const a = new Array<number>(16);
    for (let c = 0; c < 4; c++) {
      a[c] = P[c]! + dt * P[8 + c]!;
      a[4 + c] = P[4 + c]! + dt * P[12 + c]!;
      a[8 + c] = P[8 + c]!;
      a[12 + c] = P[12 + c]!;
    }
    const p = new Array<number>(16);
    for (let r = 0; r < 4; r++) {
      p[r * 4] = a[r * 4]! + dt * a[r * 4 + 2]!;
      p[r * 4 + 1] = a[r * 4 + 1]! + dt * a[r * 4 + 3]!;
      p[r * 4 + 2] = a[r * 4 + 2]!;
      p[r * 4 + 3] = a[r * 4 + 3]!;
    }
    p[0] = p[0]! + q11;
    p[5] = p[5]! + q11;
    p[10] = p[10]! + q22;
    p[15] = p[15]! + q22;
    p[2] = p[2]! + q12;
    p[8] = p[8]! + q12;
    p[7] = p[7]! + q12;
    p[13] = p[13]! + q12;
    return copyTrack(t, t.state, x, p, t.score, t.lastModalities);
  });
}

/**
 * A track with a new life-cycle state, filter state, score and last modalities, the rest copied (an explicit
 * literal rather than a spread: every track takes this path every frame, and one object shape keeps the
 * tracker's property accesses monomorphic).
 */
function copyTrack(t: TrackRecord, state: TrackRecord['state'], x: readonly number[], p: readonly number[], score: number, lastModalities: readonly Modality[]): TrackRecord {
  return {
    id: t.id,
    state,
    x,
    p,
    z: t.z,
    length: t.length,
    width: t.width,
    height: t.height,
    yawRad: t.yawRad,
    classScores: t.classScores,
    score,
    hits: t.hits,
    createdUs: t.createdUs,
    lastUpdateUs: t.lastUpdateUs,
    modalityHits: t.modalityHits,
    lastModalities,
  };
}

function mahalanobis2(t: TrackRecord, d: WorldDetection): number {
  const sxx = t.p[0]! + d.covXX;
  const sxy = t.p[1]! + d.covXY;
  const syy = t.p[5]! + d.covYY;
  const det = sxx * syy - sxy * sxy;
  if (!(det > 0)) return Number.POSITIVE_INFINITY;
  const dx = d.x - t.x[0]!;
  const dy = d.y - t.x[1]!;
  return (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det;
}

/** Yaw of a measured box nearest the track's (a box has no front: yaw and yaw + π are the same box). */
function alignYaw(track: number, measured: number): number {
  const d = wrapAngle(measured - track);
  return Math.abs(d) > Math.PI / 2 ? wrapAngle(measured + Math.PI) : measured;
}

export interface TrackStepResult {
  readonly tracks: TrackRecord[];
  readonly nextTrackId: number;
  /** Track id per detection (−1: none). */
  readonly trackOfDetection: Int32Array;
}

/**
 * One tracker step at `timeUs` on predicted tracks: Mahalanobis gate (chi-square, 2 dof) and class
 * compatibility, Hungarian on d², Kalman update of matched tracks, life cycle of the rest, new tentative
 * tracks from unmatched detections scoring at least minStartScore.
 */
export function stepTracks(
  predicted: readonly TrackRecord[],
  detections: readonly WorldDetection[],
  timeUs: number,
  nextTrackId: number,
  params: FusionParams,
  /**
   * Per predicted track, 1 when a reliable camera present in this frame had it in view: such a track that no
   * detection updates is lost (tentative: deleted) after half of lostAfterUs, since its absence is evidence.
   */
  expectedVisible?: Uint8Array,
): TrackStepResult {
  const gate = gateFor(params.gateProbability);
  const nd = detections.length;
  const dx0 = new Float64Array(nd);
  const dy0 = new Float64Array(nd);
  const dTrace = new Float64Array(nd);
  for (let j = 0; j < nd; j++) {
    const d = detections[j]!;
    dx0[j] = d.x;
    dy0[j] = d.y;
    dTrace[j] = d.covXX + d.covYY;
  }
  const costs: number[][] = new Array<number[]>(predicted.length);
  for (let i = 0; i < predicted.length; i++) {
    const t = predicted[i]!;
    const cls = trackClass(t);
    const tx = t.x[0]!;
    const ty = t.x[1]!;
    // Cheap bound first: d² ≥ |y|² / λmax(S) ≥ |y|² / trace(S), so a detection this far cannot pass the gate.
    const trackTrace = t.p[0]! + t.p[5]!;
    const row = new Array<number>(nd).fill(Number.POSITIVE_INFINITY);
    for (let j = 0; j < nd; j++) {
      const dx = dx0[j]! - tx;
      const dy = dy0[j]! - ty;
      if (dx * dx + dy * dy > gate * (trackTrace + dTrace[j]!)) continue;
      const d = detections[j]!;
      if (!classesCompatible(cls, d.objectClass)) continue;
      const m = mahalanobis2(t, d);
      if (m <= gate) row[j] = m;
    }
    costs[i] = row;
  }
  const pairs = predicted.length > 0 && detections.length > 0 ? assignByComponents(costs) : [];
  const detOfTrack = new Int32Array(predicted.length).fill(-1);
  const trackOfDetection = new Int32Array(detections.length).fill(-1);
  for (const { row, col } of pairs) {
    detOfTrack[row] = col;
    trackOfDetection[col] = predicted[row]!.id;
  }
  const out: TrackRecord[] = [];
  for (let i = 0; i < predicted.length; i++) {
    const t = predicted[i]!;
    const j = detOfTrack[i]!;
    if (j >= 0) {
      out.push(updateTrack(t, detections[j]!, timeUs, params));
      continue;
    }
    const silentUs = timeUs - t.lastUpdateUs;
    const lostAfterUs = expectedVisible?.[i] === 1 ? params.lostAfterUs / 2 : params.lostAfterUs;
    // A tentative track that already had confirmHits updates (a demoted one, or one whose score kept it from
    // confirming) goes lost on a miss like a confirmed one instead of being deleted: it keeps its id if seen again.
    if (t.state === 'tentative' && t.hits < params.confirmHits) {
      if (silentUs <= lostAfterUs) out.push(copyTrack(t, t.state, t.x, t.p, t.score * 0.85, []));
    } else if (silentUs > params.deleteAfterUs) {
      // deleted
    } else {
      out.push(copyTrack(t, silentUs > lostAfterUs ? 'lost' : t.state, t.x, t.p, t.score * 0.85, []));
    }
  }
  mergeDuplicates(out, gate);
  let next = nextTrackId;
  for (let j = 0; j < detections.length; j++) {
    const d = detections[j]!;
    if (trackOfDetection[j]! >= 0 || d.score < params.minStartScore) continue;
    trackOfDetection[j] = next;
    out.push(newTrack(next++, d, timeUs, params));
  }
  return { tracks: out, nextTrackId: next, trackOfDetection };
}

/** Rank of a track when two are one object: confirmed first, then the one updated most often, then the older. */
function keepRank(t: TrackRecord): number {
  return (t.state === 'confirmed' ? 1e9 : 0) + t.hits;
}

/**
 * Two tracks on one object: a camera-only detection (depth from the box, long along the ray) and a LIDAR
 * cluster the camera box did not match by IoU both start tracks, and each then keeps its own detection.
 * Tracks of compatible class whose position difference passes the tracker's gate under both covariances
 * (d² of x_a − x_b with P_a + P_b) are merged: the one of lower keepRank is dropped (the kept track's id
 * stays stable). Lost tracks take no part. Tuned on seeds 11-12 (urban-day FP 721 -> 575 alone).
 */
function mergeDuplicates(tracks: TrackRecord[], gate: number): void {
  for (let a = 0; a < tracks.length; a++) {
    const ta = tracks[a]!;
    if (ta.state === 'lost') continue;
    const clsA = trackClass(ta);
    for (let b = a + 1; b < tracks.length; b++) {
      const tb = tracks[b]!;
      if (tb.state === 'lost') continue;
      const sxx = ta.p[0]! + tb.p[0]!;
      const syy = ta.p[5]! + tb.p[5]!;
      const dx = ta.x[0]! - tb.x[0]!;
      const dy = ta.x[1]! - tb.x[1]!;
      // Cheap bound first (as in gating): d² ≥ |Δ|² / trace(S).
      if (dx * dx + dy * dy > gate * (sxx + syy)) continue;
      const sxy = ta.p[1]! + tb.p[1]!;
      const det = sxx * syy - sxy * sxy;
      if (!(det > 0) || (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det > gate) continue;
      if (!classesCompatible(clsA, trackClass(tb))) continue;
      const ra = keepRank(ta);
      const rb = keepRank(tb);
      if (ra > rb || (ra === rb && ta.id < tb.id)) {
        tracks.splice(b, 1);
        b--;
      } else {
        tracks.splice(a, 1);
        a--;
        break;
      }
    }
  }
}

/** Standard deviation of a detection's position along its least certain axis (largest eigenvalue of its covariance), metres. */
export function worstAxisStdM(d: Pick<WorldDetection, 'covXX' | 'covXY' | 'covYY'>): number {
  const mean = (d.covXX + d.covYY) / 2;
  const half = (d.covXX - d.covYY) / 2;
  return Math.sqrt(mean + Math.sqrt(half * half + d.covXY * d.covXY));
}

/** Whether a detection places its object well enough to confirm a track on it (confirmMaxPositionStdM). */
function placesWell(d: WorldDetection, params: FusionParams): boolean {
  return worstAxisStdM(d) <= params.confirmMaxPositionStdM;
}

function newTrack(id: number, d: WorldDetection, timeUs: number, params: FusionParams): TrackRecord {
  const speedVar = isPedestrianLike(d.objectClass) ? 4 : INITIAL_SPEED_VAR;
  const p = [d.covXX, d.covXY, 0, 0, d.covXY, d.covYY, 0, 0, 0, 0, speedVar, 0, 0, 0, 0, speedVar];
  const modalityHits: Partial<Record<Modality, number>> = {};
  for (const m of d.modalities) modalityHits[m] = 1;
  const track: TrackRecord = {
    id,
    state: params.confirmHits <= 1 && placesWell(d, params) ? 'confirmed' : 'tentative',
    x: [d.x, d.y, 0, 0],
    p,
    z: d.z,
    length: d.length,
    width: d.width,
    height: d.height,
    yawRad: d.yawRad,
    classScores: { [d.objectClass]: d.score },
    score: d.score,
    hits: 1,
    createdUs: timeUs,
    lastUpdateUs: timeUs,
    modalityHits,
    lastModalities: d.modalities,
  };
  return track;
}

/**
 * Kalman update of [x, y, vx, vy] with a position measurement (H = [I 0]): S = P₀₀ + R, K = P[:, 0:2] S⁻¹,
 * x += K (z − x₀:₂), P −= K S Kᵀ (symmetrised). Written out for the 2×2 case: no allocation of a filter.
 */
function kalmanPositionUpdate(x0: readonly number[], P: readonly number[], d: WorldDetection): { x: number[]; p: number[] } {
  const sxx = P[0]! + d.covXX;
  const sxy = P[1]! + d.covXY;
  const syy = P[5]! + d.covYY;
  const det = sxx * syy - sxy * sxy;
  if (!(det > 0)) return { x: [...x0], p: [...P] };
  const ixx = syy / det;
  const ixy = -sxy / det;
  const iyy = sxx / det;
  const k = new Array<number>(8);
  for (let r = 0; r < 4; r++) {
    const p0 = P[r * 4]!;
    const p1 = P[r * 4 + 1]!;
    k[r * 2] = p0 * ixx + p1 * ixy;
    k[r * 2 + 1] = p0 * ixy + p1 * iyy;
  }
  const yx = d.x - x0[0]!;
  const yy = d.y - x0[1]!;
  const x = [x0[0]! + k[0]! * yx + k[1]! * yy, x0[1]! + k[2]! * yx + k[3]! * yy, x0[2]! + k[4]! * yx + k[5]! * yy, x0[3]! + k[6]! * yx + k[7]! * yy];
  // K S Kᵀ = K (P[0:2, :]) since K S = P[:, 0:2].
  const p = new Array<number>(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) p[r * 4 + c] = P[r * 4 + c]! - (k[r * 2]! * P[c]! + k[r * 2 + 1]! * P[4 + c]!);
  }
  for (let r = 0; r < 4; r++) {
    for (let c = r + 1; c < 4; c++) {
      const m = 0.5 * (p[r * 4 + c]! + p[c * 4 + r]!);
      p[r * 4 + c] = m;
      p[c * 4 + r] = m;
    }
  }
  return { x, p };
}

function updateTrack(t: TrackRecord, d: WorldDetection, timeUs: number, params: FusionParams): TrackRecord {
  const { x, p } = kalmanPositionUpdate(t.x, t.p, d);
  const classScores: Partial<Record<ObjectClass, number>> = {};
  for (const cls in t.classScores) classScores[cls as ObjectClass] = (t.classScores[cls as ObjectClass] ?? 0) * CLASS_DECAY;
  // 'unknown' votes too: a track whose class came from a camera that no longer sees it (outage, clutter the
  // camera once mistook) falls back to what the LIDAR says instead of keeping a stale class for ever.
  classScores[d.objectClass] = (classScores[d.objectClass] ?? 0) + d.score;
  const modalityHits = { ...t.modalityHits };
  for (const m of d.modalities) modalityHits[m] = (modalityHits[m] ?? 0) + 1;
  const hits = t.hits + 1;
  const score = 0.6 * t.score + 0.4 * d.score;
  const yaw = d.yawMeasured ? alignYaw(t.yawRad, d.yawRad) : t.yawRad;
  return {
    id: t.id,
    // Confirmed after confirmHits updates, and only once the evidence is convincing (a cluster the camera
    // keeps contradicting stays tentative) and places the object (a far camera-only box whose depth is
    // metres uncertain waits for a nearer view or a LIDAR cluster).
    // A confirmed (or lost) track whose score falls below DEMOTE_BELOW_SCORE is tentative again.
    state: t.state !== 'tentative'
      ? (score < DEMOTE_BELOW_SCORE ? 'tentative' : 'confirmed')
      : hits >= params.confirmHits && score >= CONFIRM_MIN_SCORE && placesWell(d, params) ? 'confirmed' : 'tentative',
    x,
    p,
    z: t.z + SHAPE_GAIN * (d.z - t.z),
    length: t.length + SHAPE_GAIN * (d.length - t.length),
    width: t.width + SHAPE_GAIN * (d.width - t.width),
    height: t.height + SHAPE_GAIN * (d.height - t.height),
    yawRad: wrapAngle(t.yawRad + SHAPE_GAIN * wrapAngle(yaw - t.yawRad)),
    classScores,
    score,
    hits,
    createdUs: t.createdUs,
    lastUpdateUs: timeUs,
    modalityHits,
    lastModalities: d.modalities,
  };
}
