/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads in the ray-casting loop; indices are in range by construction */
import type { Transform } from './geometry.js';
import { invertTransform, transformPoint } from './geometry.js';
import { Rng, gaussianTable } from './rng.js';
import type { LidarConfig } from './scenario.js';
import type { ObjectState, World, WorldBox } from './world.js';
import { Material, REFLECTIVITY, Surface } from './world.js';

/**
 * One packed point (20 bytes, little-endian, as a PointCloud2 would describe it): float32 x, y, z
 * (metres, sensor frame) at 0, 4, 8; float32 intensity (0..1) at 12; uint16 ring (beam index,
 * 0 = lowest) at 16; 2 bytes of padding.
 */
export const LIDAR_POINT_FIELDS = [
  { name: 'x', offset: 0, datatype: 'float32' },
  { name: 'y', offset: 4, datatype: 'float32' },
  { name: 'z', offset: 8, datatype: 'float32' },
  { name: 'intensity', offset: 12, datatype: 'float32' },
  { name: 'ring', offset: 16, datatype: 'uint16' },
] as const;
export type LidarPointField = (typeof LIDAR_POINT_FIELDS)[number];
export const LIDAR_POINT_STRIDE_BYTES = 20;

/** Label of a point that hit no object: the ground, clutter, or a rain/dust/spray echo. */
export const LABEL_GROUND = -1;
export const LABEL_CLUTTER = -2;
export const LABEL_WEATHER = -3;

export interface LidarSweep {
  readonly pointCount: number;
  /** pointCount packed points of LIDAR_POINT_STRIDE_BYTES each (see LIDAR_POINT_FIELDS). */
  readonly data: Uint8Array;
  /** Per point: index of the dynamic object hit, or a LABEL_* value. Ground truth, not on the wire. */
  readonly labels: Int16Array;
  /** Per dynamic object: number of points that hit it. */
  readonly pointsPerObject: Int32Array;
}

/** Reflectivity per Surface value (grass, asphalt, marking, sidewalk, bump paint, yellow marking). */
const SURFACE_REFLECTIVITY = Float64Array.from(
  [Material.grass, Material.asphalt, Material.marking, Material.sidewalk, Material.bumpPaint, Material.marking].map((m) => REFLECTIVITY[m] ?? 0.1),
);
const SPRAY_INDEX = -10;

/**
 * A spinning multi-beam LIDAR: beams x azimuth steps rays cast from the sensor against the ground
 * (slope plus speed bump) and oriented boxes, nearest hit wins, so occlusion is real. Boxes are
 * bucketed by azimuth column first, so each ray tests only the few boxes in its column.
 */
export class LidarModel {
  private readonly dirs: Float64Array;
  private readonly elevations: Float64Array;
  private readonly cfg: LidarConfig;

  private readonly culling: 'azimuth-columns' | 'none';
  private readonly gauss: Float32Array;

  /** `culling: 'none'` tests every box on every ray (the brute-force baseline of the benchmark). */
  constructor(cfg: LidarConfig, culling: 'azimuth-columns' | 'none' = 'azimuth-columns') {
    this.cfg = cfg;
    this.culling = culling;
    this.gauss = gaussianTable(new Rng(0x11da5), 1 << 16);
    const n = cfg.beams * cfg.azimuthSteps;
    this.dirs = new Float64Array(n * 3);
    this.elevations = new Float64Array(cfg.beams);
    for (let b = 0; b < cfg.beams; b++) {
      this.elevations[b] = ((cfg.minElevationDeg + ((cfg.maxElevationDeg - cfg.minElevationDeg) * b) / (cfg.beams - 1)) * Math.PI) / 180;
    }
    for (let a = 0; a < cfg.azimuthSteps; a++) {
      const az = (2 * Math.PI * a) / cfg.azimuthSteps;
      for (let b = 0; b < cfg.beams; b++) {
        const el = this.elevations[b] ?? 0;
        const k = (a * cfg.beams + b) * 3;
        this.dirs[k] = Math.cos(el) * Math.cos(az);
        this.dirs[k + 1] = Math.cos(el) * Math.sin(az);
        this.dirs[k + 2] = Math.sin(el);
      }
    }
  }

  sweep(world: World, worldFromLidar: Transform, states: readonly ObjectState[], rng: Rng): LidarSweep {
    const cfg = this.cfg;
    const env = world.scenario.environment;
    const boxes = world.boxesAt(states);
    if (cfg.sprayBehindVehicles && env.rain > 0) boxes.push(...sprayBoxes(states));
    const lidarFromWorld = invertTransform(worldFromLidar);
    const R = worldFromLidar.rotation;
    const [px, py, pz] = worldFromLidar.translation;

    // Per box: rotation lidar->box (rows), ray origin in box frame, half sizes.
    const nb = boxes.length;
    const bx = new Float64Array(nb * 15);
    const cols = cfg.azimuthSteps;
    const counts = new Int32Array(cols + 1);
    const spans: [number, number][] = [];
    // Nearest possible range and elevation band (as sin) of each box, for early outs per ray.
    const nearM = new Float64Array(nb);
    const sinElMin = new Float64Array(nb);
    const sinElMax = new Float64Array(nb);
    for (let i = 0; i < nb; i++) {
      const b = boxes[i];
      if (!b) continue;
      const c = transformPoint(lidarFromWorld, [b.cx, b.cy, b.cz]);
      const cy = Math.cos(b.yaw);
      const sy = Math.sin(b.yaw);
      // box->world rotation Rz(yaw); lidar->box = Rz^T * world<-lidar rotation.
      const m = [
        cy * R[0] + sy * R[3], cy * R[1] + sy * R[4], cy * R[2] + sy * R[5],
        -sy * R[0] + cy * R[3], -sy * R[1] + cy * R[4], -sy * R[2] + cy * R[5],
        R[6], R[7], R[8],
      ];
      const k = i * 15;
      for (let j = 0; j < 9; j++) bx[k + j] = m[j] ?? 0;
      // Sensor origin in box frame = M · (0 - c).
      bx[k + 9] = -(m[0]! * c[0] + m[1]! * c[1] + m[2]! * c[2]);
      bx[k + 10] = -(m[3]! * c[0] + m[4]! * c[1] + m[5]! * c[2]);
      bx[k + 11] = -(m[6]! * c[0] + m[7]! * c[1] + m[8]! * c[2]);
      bx[k + 12] = b.length / 2;
      bx[k + 13] = b.width / 2;
      bx[k + 14] = b.height / 2;
      const radius = 0.5 * Math.sqrt(b.length * b.length + b.width * b.width + b.height * b.height);
      const dist = Math.hypot(c[0], c[1]);
      const dist3 = Math.hypot(dist, c[2]);
      nearM[i] = Math.max(0, dist3 - radius);
      if (dist3 > radius) {
        const el = Math.asin(c[2] / dist3);
        const half = Math.asin(radius / dist3);
        sinElMin[i] = el - half <= -Math.PI / 2 ? -1 : Math.sin(el - half);
        sinElMax[i] = el + half >= Math.PI / 2 ? 1 : Math.sin(el + half);
      } else {
        sinElMin[i] = -1;
        sinElMax[i] = 1;
      }
      if (dist3 - radius > cfg.maxRangeM) {
        spans.push([0, -1]);
        continue;
      }
      let a0: number;
      let a1: number;
      if (dist <= radius || this.culling === 'none') {
        a0 = 0;
        a1 = cols - 1;
      } else {
        const az = Math.atan2(c[1], c[0]);
        const half = Math.asin(radius / dist);
        a0 = Math.floor(((az - half) / (2 * Math.PI)) * cols);
        a1 = Math.ceil(((az + half) / (2 * Math.PI)) * cols);
      }
      spans.push([a0, a1]);
      for (let a = a0; a <= a1; a++) counts[(((a % cols) + cols) % cols) + 1]! += 1;
    }
    for (let a = 0; a < cols; a++) counts[a + 1]! += counts[a]!;
    const colBoxes = new Int32Array(counts[cols] ?? 0);
    const fill = counts.slice(0, cols);
    // Fill columns nearest box first, so a ray can stop once the next box is beyond its best hit.
    const byNear = Array.from({ length: nb }, (_, i) => i).sort((x, y) => nearM[x]! - nearM[y]! || x - y);
    byNear.forEach((i) => {
      const [a0, a1] = spans[i] ?? [0, -1];
      for (let a = a0; a <= a1; a++) {
        const col = ((a % cols) + cols) % cols;
        colBoxes[fill[col]!++] = i;
      }
    });

    const gnd = world.scenario.ground;
    const map = world.surfaceMap();
    const mapData = map.data;
    const invCell = 1 / map.cellM;
    const slopeNorm = Math.sqrt(1 + gnd.slopeX * gnd.slopeX + gnd.slopeY * gnd.slopeY);
    // The bump matters only for rays that land near it; skip its fixed-point steps elsewhere.
    const hasBump = gnd.speedBumpHeightM > 0;
    const beams = cfg.beams;
    const maxPoints = beams * cols;
    const buf = new ArrayBuffer(maxPoints * LIDAR_POINT_STRIDE_BYTES);
    const out = new Float32Array(buf);
    const rings = new Uint16Array(buf);
    const labels = new Int16Array(maxPoints);
    const perObject = new Int32Array(states.length);
    const dirs = this.dirs;
    let n = 0;
    // Range and intensity noise from a pre-drawn gaussian table walked with a per-sweep random start
    // and odd stride: one table read per draw instead of a polar-method draw.
    const gauss = this.gauss;
    const gMask = gauss.length - 1;
    let gi = rng.int(0, gMask);
    const gStep = 1 + 2 * rng.int(0, 4095);
    const rangeSigma = cfg.rangeNoiseSigmaM * (1 + env.rain);
    const rainP = cfg.rainOutlierProbability * (0.5 + env.rain);
    const dustP = cfg.dustOutlierProbability * (0.5 + env.dust);

    for (let a = 0; a < cols; a++) {
      const cStart = counts[a]!;
      const cEnd = counts[a + 1]!;
      for (let b = 0; b < beams; b++) {
        const k = (a * beams + b) * 3;
        const dx = dirs[k]!;
        const dy = dirs[k + 1]!;
        const dz = dirs[k + 2]!;
        let best = cfg.maxRangeM;
        let label = 0;
        let hit = false;
        let reflect = 0;
        let cosInc = 1;
        // Ground: slope plane, then two fixed-point steps for the bump.
        const wx = R[0] * dx + R[1] * dy + R[2] * dz;
        const wy = R[3] * dx + R[4] * dy + R[5] * dz;
        const wz = R[6] * dx + R[7] * dy + R[8] * dz;
        const denom = wz - gnd.slopeX * wx - gnd.slopeY * wy;
        if (denom < -1e-6) {
          const base = gnd.slopeX * px + gnd.slopeY * py - pz;
          let t = base / denom;
          if (t > 0 && t < best) {
            if (hasBump) {
              for (let it = 0; it < 2; it++) {
                const bh = world.bumpHeight(px + t * wx, py + t * wy);
                if (bh === 0 && it === 0) break;
                t = (base + bh) / denom;
              }
            }
            if (t > 0 && t < best) {
              best = t;
              hit = true;
              label = LABEL_GROUND;
              const ix = Math.floor((px + t * wx - map.x0) * invCell);
              const iy = Math.floor((py + t * wy - map.y0) * invCell);
              const surf = ix >= 0 && iy >= 0 && ix < map.width && iy < map.height ? mapData[iy * map.width + ix]! : Surface.grass;
              reflect = SURFACE_REFLECTIVITY[surf]!;
              cosInc = Math.min(1, -denom / slopeNorm);
            }
          }
        }
        for (let q = cStart; q < cEnd; q++) {
          const i = colBoxes[q]!;
          if (this.culling !== 'none') {
            if (nearM[i]! >= best) break;
            if (dz < sinElMin[i]! || dz > sinElMax[i]!) continue;
          }
          const o = i * 15;
          const ldx = bx[o]! * dx + bx[o + 1]! * dy + bx[o + 2]! * dz;
          const ldy = bx[o + 3]! * dx + bx[o + 4]! * dy + bx[o + 5]! * dz;
          const ldz = bx[o + 6]! * dx + bx[o + 7]! * dy + bx[o + 8]! * dz;
          const ox = bx[o + 9]!;
          const oy = bx[o + 10]!;
          const oz = bx[o + 11]!;
          const hx = bx[o + 12]!;
          const hy = bx[o + 13]!;
          const hz = bx[o + 14]!;
          let tmin = 0;
          let tmax = best;
          let axis = -1;
          // Slab test, remembering which face was entered for the incidence angle.
          if (Math.abs(ldx) < 1e-12) {
            if (ox < -hx || ox > hx) continue;
          } else {
            const inv = 1 / ldx;
            let t1 = (-hx - ox) * inv;
            let t2 = (hx - ox) * inv;
            if (t1 > t2) [t1, t2] = [t2, t1];
            if (t1 > tmin) { tmin = t1; axis = 0; }
            if (t2 < tmax) tmax = t2;
            if (tmin > tmax) continue;
          }
          if (Math.abs(ldy) < 1e-12) {
            if (oy < -hy || oy > hy) continue;
          } else {
            const inv = 1 / ldy;
            let t1 = (-hy - oy) * inv;
            let t2 = (hy - oy) * inv;
            if (t1 > t2) [t1, t2] = [t2, t1];
            if (t1 > tmin) { tmin = t1; axis = 1; }
            if (t2 < tmax) tmax = t2;
            if (tmin > tmax) continue;
          }
          if (Math.abs(ldz) < 1e-12) {
            if (oz < -hz || oz > hz) continue;
          } else {
            const inv = 1 / ldz;
            let t1 = (-hz - oz) * inv;
            let t2 = (hz - oz) * inv;
            if (t1 > t2) [t1, t2] = [t2, t1];
            if (t1 > tmin) { tmin = t1; axis = 2; }
            if (t2 < tmax) tmax = t2;
            if (tmin > tmax) continue;
          }
          if (axis < 0 || tmin <= 0 || tmin >= best) continue; // inside the box or behind
          const box = boxes[i]!;
          if (box.opacity < 1 && !rng.chance(box.opacity)) continue; // passes through foliage or spray
          let t = tmin;
          if (box.objectIndex === SPRAY_INDEX) t = tmin + rng.next() * (tmax - tmin);
          best = t;
          hit = true;
          label = box.objectIndex >= 0 ? box.objectIndex : box.objectIndex === SPRAY_INDEX ? LABEL_WEATHER : LABEL_CLUTTER;
          reflect = REFLECTIVITY[box.material] ?? 0.2;
          cosInc = Math.abs(axis === 0 ? ldx : axis === 1 ? ldy : ldz);
        }
        // Airborne echoes: rain drops and dust return a weak early point.
        if (rainP > 0 && rng.chance(rainP)) {
          best = cfg.minRangeM + rng.next() * Math.min(best, 25);
          hit = true;
          label = LABEL_WEATHER;
          reflect = 0.03;
          cosInc = 1;
        } else if (dustP > 0 && rng.chance(dustP)) {
          best = cfg.minRangeM + rng.next() * Math.min(best, 12);
          hit = true;
          label = LABEL_WEATHER;
          reflect = 0.05;
          cosInc = 1;
        }
        if (!hit) continue;
        if (cfg.dropoutProbability > 0 && rng.chance(cfg.dropoutProbability + 0.5 * (1 - cosInc) * cfg.dropoutProbability)) continue;
        gi = (gi + gStep) & gMask;
        const range = best + rangeSigma * gauss[gi]!;
        if (range < cfg.minRangeM || range > cfg.maxRangeM) continue;
        gi = (gi + gStep) & gMask;
        const intensity = Math.min(1, Math.max(0, reflect * (0.3 + 0.7 * cosInc) * (1 + 0.05 * gauss[gi]!)));
        const w = n * 5;
        out[w] = range * dx;
        out[w + 1] = range * dy;
        out[w + 2] = range * dz;
        out[w + 3] = intensity;
        rings[w * 2 + 8] = b;
        labels[n] = label;
        if (label >= 0) perObject[label]! += 1;
        n++;
      }
    }
    return { pointCount: n, data: new Uint8Array(buf.slice(0, n * LIDAR_POINT_STRIDE_BYTES)), labels: labels.slice(0, n), pointsPerObject: perObject };
  }
}

/** Spray clouds behind fast vehicles on a wet road. */
function sprayBoxes(states: readonly ObjectState[]): WorldBox[] {
  const out: WorldBox[] = [];
  for (const s of states) {
    const speed = Math.hypot(s.velocity[0], s.velocity[1]);
    if (speed < 7 || (s.object.objectClass !== 'car' && s.object.objectClass !== 'truck')) continue;
    const b = s.box;
    const c = Math.cos(b.yaw);
    const sn = Math.sin(b.yaw);
    const back = b.length / 2 + 1.5;
    out.push({
      cx: b.center[0] - c * back,
      cy: b.center[1] - sn * back,
      cz: b.center[2] - b.height / 2 + 0.6,
      length: 3,
      width: b.width + 0.4,
      height: 1.2,
      yaw: b.yaw,
      material: Material.glass,
      color: [200, 200, 200],
      opacity: 0.12,
      objectIndex: SPRAY_INDEX,
      group: 2_000_000 + out.length,
    });
  }
  return out;
}
