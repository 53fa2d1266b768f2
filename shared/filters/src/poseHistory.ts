/* eslint-disable @typescript-eslint/no-non-null-assertion -- ring-buffer reads at indices reduced modulo the capacity */
/**
 * Bounded history of poses (time, ENU position, body→ENU quaternion) in a ring buffer, for the
 * "ego motion between two times" query. Interpolates linearly in position and by slerp in attitude.
 */
import type { Micros } from '@sensorfuse/time';
import { quatMultiply, quatSlerp, quatToEuler, quatToMatrix } from './quaternion.js';
import type { EgoMotion } from './types.js';

export class PoseHistory {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly positions: Float64Array;
  private readonly quats: Float64Array;
  private start = 0;
  private count = 0;
  private readonly qa = new Float64Array(4);
  private readonly qb = new Float64Array(4);
  private readonly pa = new Float64Array(3);
  private readonly pb = new Float64Array(3);

  constructor(capacity: number) {
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.positions = new Float64Array(capacity * 3);
    this.quats = new Float64Array(capacity * 4);
  }

  get size(): number {
    return this.count;
  }

  get newestUs(): Micros | undefined {
    return this.count === 0 ? undefined : this.times[(this.start + this.count - 1) % this.capacity];
  }

  get oldestUs(): Micros | undefined {
    return this.count === 0 ? undefined : this.times[this.start];
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  /** Appends a pose; times must not decrease (an equal time overwrites the newest entry). */
  push(timeUs: Micros, position: ArrayLike<number>, q: ArrayLike<number>): void {
    let slot: number;
    if (this.count > 0 && this.newestUs === timeUs) {
      slot = (this.start + this.count - 1) % this.capacity;
    } else if (this.count < this.capacity) {
      slot = (this.start + this.count) % this.capacity;
      this.count++;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.times[slot] = timeUs;
    for (let i = 0; i < 3; i++) this.positions[slot * 3 + i] = position[i]!;
    for (let i = 0; i < 4; i++) this.quats[slot * 4 + i] = q[i]!;
  }

  /** Drops every pose newer than timeUs (used before a replay rewrites them). */
  truncateAfter(timeUs: Micros): void {
    while (this.count > 0 && (this.newestUs ?? 0) > timeUs) this.count--;
  }

  /** Pose at timeUs interpolated between neighbours; false outside the stored range. */
  poseAt(timeUs: Micros, position: Float64Array, q: Float64Array): boolean {
    if (this.count === 0) return false;
    const oldest = this.oldestUs ?? 0;
    const newest = this.newestUs ?? 0;
    if (timeUs < oldest || timeUs > newest) return false;
    let lo = 0;
    let hi = this.count - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.times[(this.start + mid) % this.capacity]! <= timeUs) lo = mid;
      else hi = mid;
    }
    const a = (this.start + lo) % this.capacity;
    const b = (this.start + hi) % this.capacity;
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    const s = tb > ta ? Math.min(1, Math.max(0, (timeUs - ta) / (tb - ta))) : 0;
    for (let i = 0; i < 3; i++) position[i] = this.positions[a * 3 + i]! + s * (this.positions[b * 3 + i]! - this.positions[a * 3 + i]!);
    this.qa.set(this.quats.subarray(a * 4, a * 4 + 4));
    this.qb.set(this.quats.subarray(b * 4, b * 4 + 4));
    quatSlerp(this.qa, this.qb, s, q);
    return true;
  }

  /** Motion of the body from fromUs to toUs (pose of body(to) in body(from)); undefined outside the history. */
  between(fromUs: Micros, toUs: Micros): EgoMotion | undefined {
    const q1 = new Float64Array(4);
    const q2 = new Float64Array(4);
    if (!this.poseAt(fromUs, this.pa, q1) || !this.poseAt(toUs, this.pb, q2)) return undefined;
    const d0 = this.pb[0]! - this.pa[0]!, d1 = this.pb[1]! - this.pa[1]!, d2 = this.pb[2]! - this.pa[2]!;
    const r1 = quatToMatrix(q1, new Float64Array(9));
    // R1ᵀ · d
    const tb: [number, number, number] = [
      r1[0]! * d0 + r1[3]! * d1 + r1[6]! * d2,
      r1[1]! * d0 + r1[4]! * d1 + r1[7]! * d2,
      r1[2]! * d0 + r1[5]! * d1 + r1[8]! * d2,
    ];
    const q1inv = Float64Array.of(q1[0]!, -q1[1]!, -q1[2]!, -q1[3]!);
    const rel = quatMultiply(q1inv, q2, new Float64Array(4));
    const e1 = quatToEuler(q1, new Float64Array(3));
    const e2 = quatToEuler(q2, new Float64Array(3));
    let dyaw = e2[2]! - e1[2]!;
    dyaw = Math.atan2(Math.sin(dyaw), Math.cos(dyaw));
    return {
      fromUs,
      toUs,
      translationBodyM: tb,
      rotation: [rel[0]!, rel[1]!, rel[2]!, rel[3]!],
      translationEnuM: [d0, d1, d2],
      yawChangeRad: dyaw,
    };
  }
}
