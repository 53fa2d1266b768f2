/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads in per-pixel loops; indices are in range by construction */
import type { Transform, Vec3 } from './geometry.js';
import { invertTransform, transformPoint } from './geometry.js';
import type { ImageBox, PinholeIntrinsics } from './projection.js';
import { NEAR_PLANE_M, projectBox } from './projection.js';
import type { Rng } from './rng.js';
import type { CameraConfig, Lighting } from './scenario.js';
import type { ObjectState, World, WorldBox } from './world.js';
import { Surface } from './world.js';

/** Pixel id of the background (ground, sky) and of static clutter in the id buffer. */
export const PIXEL_BACKGROUND = -1;
export const PIXEL_CLUTTER = -2;

export interface CameraFrame {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, 8 bits per channel, row-major, top row first. */
  readonly rgb: Uint8Array;
  /** Per pixel: the dynamic object index drawn there, or PIXEL_BACKGROUND / PIXEL_CLUTTER. Ground truth. */
  readonly ids: Int16Array;
  /** Per object: fraction of its silhouette left visible after occlusion (0 when out of view). */
  readonly visibleFraction: Float32Array;
  /** Per object: its projected 3D box clipped to the image, when in front of the camera. */
  readonly boxes2d: readonly (ImageBox | undefined)[];
}

interface LightingModel {
  readonly sunDir: Vec3;
  readonly sun: number;
  readonly ambient: number;
  readonly tint: readonly [number, number, number];
  readonly skyTop: readonly [number, number, number];
  readonly skyHorizon: readonly [number, number, number];
  readonly headlights: number;
  readonly noiseGain: number;
  readonly exposureS: number;
  readonly fogM: number;
}

const LIGHTING: Readonly<Record<Lighting, LightingModel>> = {
  day: {
    sunDir: norm([0.4, -0.5, 0.77]), sun: 0.65, ambient: 0.45, tint: [1, 1, 1],
    skyTop: [90, 140, 215], skyHorizon: [185, 210, 235], headlights: 0, noiseGain: 1, exposureS: 0.004, fogM: 400,
  },
  dusk: {
    sunDir: norm([-0.8, 0.3, 0.15]), sun: 0.55, ambient: 0.3, tint: [1.1, 0.82, 0.62],
    skyTop: [60, 60, 120], skyHorizon: [235, 140, 80], headlights: 0.5, noiseGain: 2, exposureS: 0.012, fogM: 250,
  },
  night: {
    sunDir: norm([0, 0, 1]), sun: 0.05, ambient: 0.07, tint: [0.85, 0.9, 1.1],
    skyTop: [5, 8, 20], skyHorizon: [25, 28, 45], headlights: 1.2, noiseGain: 5, exposureS: 0.03, fogM: 120,
  },
};

const SURFACE_COLOR: readonly (readonly [number, number, number])[] = [
  [85, 120, 60], // grass
  [72, 72, 76], // asphalt
  [225, 225, 220], // marking
  [150, 145, 140], // sidewalk
  [230, 200, 40], // bump paint
  [230, 190, 40], // yellow marking
];

function hash2(x: number, y: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

const SURFACE_RGB = Float32Array.from(SURFACE_COLOR.flat());

/** Ground texture values 0.82..1.12 (hashed, so it has no visible period within 32 m). */
const TEXTURE = new Float32Array(256 * 256);
for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) TEXTURE[(y << 8) | x] = 0.82 + 0.3 * hash2(x, y);

/** Far hills on the horizon: elevation (as tan) and shade per azimuth bin. */
const HILL_BINS = 4096;
const HILL = new Float32Array(HILL_BINS);
const HILL_SHADE = new Float32Array(HILL_BINS);
for (let i = 0; i < HILL_BINS; i++) {
  const az = (i / HILL_BINS) * 2 * Math.PI - Math.PI;
  HILL[i] = 0.03 + 0.018 * Math.sin(3 * az + 1) + 0.01 * Math.sin(11 * az) + 0.004 * Math.sin(37 * az);
  HILL_SHADE[i] = 0.55 + 0.1 * Math.sin(23 * az);
}
const HILL_MAX = 0.07;

function norm(v: readonly [number, number, number]): Vec3 {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
}


interface Dirt {
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly strength: number;
}

/**
 * Rasterising pinhole camera: per-pixel ground and sky, then oriented boxes painted far to near
 * (the painter's algorithm, so nearer objects occlude farther ones), then the lighting preset's
 * sensor effects: motion blur, rain streaks, lens dirt and noise.
 */
export class CameraModel {
  readonly intrinsics: PinholeIntrinsics;
  private readonly cfg: CameraConfig;
  private readonly dirt: readonly Dirt[];
  private readonly noise: Float32Array;
  private readonly rowMin: Float32Array;
  private readonly rowMax: Float32Array;
  /** Float working image and per-pixel "already counted for object" marks, reused across frames. */
  private readonly work: Float32Array;
  private readonly counted: Int32Array;

  constructor(cfg: CameraConfig, intrinsics: PinholeIntrinsics, rng: Rng, noiseTable: Float32Array) {
    this.cfg = cfg;
    this.intrinsics = intrinsics;
    this.noise = noiseTable;
    const dirt: Dirt[] = [];
    const n = Math.round(cfg.lensDirt * 14);
    for (let i = 0; i < n; i++) {
      dirt.push({ x: rng.uniform(0, cfg.width), y: rng.uniform(0, cfg.height), r: rng.uniform(0.04, 0.12) * cfg.width, strength: rng.uniform(0.3, 0.7) * Math.min(1, cfg.lensDirt * 1.5) });
    }
    this.dirt = dirt;
    this.rowMin = new Float32Array(cfg.height);
    this.rowMax = new Float32Array(cfg.height);
    this.work = new Float32Array(cfg.width * cfg.height * 3);
    this.counted = new Int32Array(cfg.width * cfg.height);
  }

  render(world: World, worldFromCamera: Transform, states: readonly ObjectState[], yawRateRadps: number, speedMps: number, rng: Rng): CameraFrame {
    const k = this.intrinsics;
    const W = k.width;
    const H = k.height;
    const env = world.scenario.environment;
    const L = LIGHTING[env.lighting];
    const rgb = this.work;
    const ids = new Int16Array(W * H).fill(PIXEL_BACKGROUND);
    const [px, py, pz] = worldFromCamera.translation;
    const rainDim = 1 - 0.25 * env.rain;

    this.renderBackground(world, worldFromCamera, L, rainDim, rgb);

    // Boxes grouped by owner (object or clutter item), painted far to near.
    const cameraFromWorld = invertTransform(worldFromCamera);
    const boxes = world.boxesAt(states);
    const groups = new Map<number, { depth: number; boxes: WorldBox[] }>();
    for (const b of boxes) {
      const key = b.group;
      const c = transformPoint(cameraFromWorld, [b.cx, b.cy, b.cz]);
      const radius = 0.5 * Math.hypot(b.length, b.width, b.height);
      if (c[2] + radius < NEAR_PLANE_M) continue;
      if (Math.abs(c[0]) - radius > c[2] * (k.width / k.fx) + radius && c[2] > 0) continue;
      const dist = Math.hypot(c[0], c[1], c[2]);
      const g = groups.get(key);
      if (g) {
        g.boxes.push(b);
        g.depth = Math.min(g.depth, dist);
      } else groups.set(key, { depth: dist, boxes: [b] });
    }
    const ordered = [...groups.values()].sort((a, b) => b.depth - a.depth);
    const drawn = new Int32Array(states.length);
    const counted = this.counted.fill(-1);
    for (const g of ordered) {
      const parts = g.boxes
        .map((b) => ({ b, d: Math.hypot(b.cx - px, b.cy - py, b.cz - pz) }))
        .sort((a, b) => b.d - a.d);
      for (const { b } of parts) this.drawBox(b, cameraFromWorld, worldFromCamera.translation, L, rgb, ids, counted, drawn, rainDim);
      const owner = g.boxes[0];
      const state = owner && owner.objectIndex >= 0 ? states[owner.objectIndex] : undefined;
      if (state && L.headlights > 0) this.drawVehicleLights(state, owner?.objectIndex ?? -1, cameraFromWorld, worldFromCamera.translation, rgb, ids, counted, drawn);
    }

    const visible = new Int32Array(states.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id >= 0) visible[id]! += 1;
    }
    const visibleFraction = new Float32Array(states.length);
    for (let i = 0; i < states.length; i++) visibleFraction[i] = drawn[i]! > 0 ? visible[i]! / drawn[i]! : 0;
    const boxes2d = states.map((s) => projectBox(k, cameraFromWorld, s.box));

    this.postProcess(rgb, L, yawRateRadps, speedMps, env.rain, rng);
    const out = this.quantize(rgb, this.cfg.pixelNoiseSigma * L.noiseGain, rng);
    return { width: W, height: H, rgb: out, ids, visibleFraction, boxes2d };
  }

  /** Add sensor noise (grows in the dark; about sigma per channel) from the pre-drawn gaussian table while quantising to 8 bits. */
  private quantize(rgb: Float32Array, sigma: number, rng: Rng): Uint8Array {
    const out = new Uint8Array(rgb.length);
    const table = this.noise;
    const mask = table.length - 1;
    let idx = rng.int(0, mask);
    const step = 1 + 2 * rng.int(0, 1000);
    // Per pixel: a shared (luminance) draw plus a smaller per-channel (chroma) one, 2 table reads per pixel.
    const sl = sigma * 0.85;
    const sc = sigma * 0.5;
    for (let i = 0; i < out.length; i += 3) {
      idx = (idx + step) & mask;
      const nl = sl * table[idx]! + 0.5;
      const nc = sc * table[(idx + 0x5bd1) & mask]!;
      const r = rgb[i]! + nl + nc;
      const g = rgb[i + 1]! + nl - nc;
      const b = rgb[i + 2]! + nl + 0.5 * nc;
      out[i] = r <= 0 ? 0 : r >= 255 ? 255 : r | 0;
      out[i + 1] = g <= 0 ? 0 : g >= 255 ? 255 : g | 0;
      out[i + 2] = b <= 0 ? 0 : b >= 255 ? 255 : b | 0;
    }
    return out;
  }

  /** Ground by ray-plane intersection (texture from the surface map), sky and far hills above. */
  private renderBackground(world: World, worldFromCamera: Transform, L: LightingModel, rainDim: number, rgb: Float32Array): void {
    const k = this.intrinsics;
    const W = k.width;
    const H = k.height;
    const R = worldFromCamera.rotation;
    const [px, py, pz] = worldFromCamera.translation;
    const gnd = world.scenario.ground;
    const egoYaw = Math.atan2(R[5], R[2]); // camera z axis (forward) heading in the world
    const cyaw = Math.cos(egoYaw);
    const syaw = Math.sin(egoYaw);
    const map = world.surfaceMap();
    const mapData = map.data;
    const invCell = 1 / map.cellM;
    const mapW = map.width;
    const mapH = map.height;
    const sx = gnd.slopeX;
    const sy = gnd.slopeY;
    const base = sx * px + sy * py - pz;
    const ambientSun = L.ambient + L.sun * L.sunDir[2];
    const tr = L.tint[0] * rainDim;
    const tg = L.tint[1] * rainDim;
    const tb = L.tint[2] * rainDim;
    const hr = L.skyHorizon[0];
    const hg = L.skyHorizon[1];
    const hb = L.skyHorizon[2];
    const invFog = 1 / L.fogM;
    const headlights = L.headlights;
    const du0 = R[0] / k.fx;
    const du1 = R[3] / k.fx;
    const du2 = R[6] / k.fx;
    for (let v = 0; v < H; v++) {
      const b = (v + 0.5 - k.cy) / k.fy;
      const a0 = (0.5 - k.cx) / k.fx;
      let dx = R[0] * a0 + R[1] * b + R[2];
      let dy = R[3] * a0 + R[4] * b + R[5];
      let dz = R[6] * a0 + R[7] * b + R[8];
      let o = v * W * 3;
      for (let u = 0; u < W; u++, o += 3, dx += du0, dy += du1, dz += du2) {
        const denom = dz - sx * dx - sy * dy;
        const t = denom < -1e-6 ? base / denom : -1;
        if (t > 0 && t < 600) {
          const gx = px + t * dx;
          const gy = py + t * dy;
          const ix = Math.floor((gx - map.x0) * invCell);
          const iy = Math.floor((gy - map.y0) * invCell);
          const surf = ix >= 0 && iy >= 0 && ix < mapW && iy < mapH ? mapData[iy * mapW + ix]! : 0;
          const c = surf * 3;
          // Texture: 12.5 cm noise cells from a 256x256 table (world-anchored, so it moves with the ground).
          let tex = TEXTURE[((Math.floor(gy * 8) & 255) << 8) | (Math.floor(gx * 8) & 255)]!;
          if (surf === Surface.grass) tex += TEXTURE[((Math.floor(gy * 2) & 255) << 8) | (Math.floor(gx * 2) & 255)]! * 0.83 - 0.8;
          let light = ambientSun;
          if (headlights > 0) {
            const fwd = (gx - px) * cyaw + (gy - py) * syaw;
            const lat = -(gx - px) * syaw + (gy - py) * cyaw;
            if (fwd > 0) {
              const q = lat / (0.35 * fwd + 1.5);
              const f = fwd / 22;
              light += (headlights * Math.exp(-q * q)) / (1 + f * f);
            }
          }
          // Cheap rational fog instead of exp(-t / fogM): same at 0, same slope, same far limit.
          const fog = 1 / (1 + t * invFog);
          const lf = tex * light * fog;
          const fogN = (1 - fog) * rainDim;
          rgb[o] = SURFACE_RGB[c]! * lf * tr + hr * fogN;
          rgb[o + 1] = SURFACE_RGB[c + 1]! * lf * tg + hg * fogN;
          rgb[o + 2] = SURFACE_RGB[c + 2]! * lf * tb + hb * fogN;
        } else {
          const elev = dz / Math.sqrt(dx * dx + dy * dy + 1e-12);
          let r: number;
          let g: number;
          let bl: number;
          let hillIndex = -1;
          if (elev < HILL_MAX) {
            hillIndex = Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * HILL_BINS) & (HILL_BINS - 1);
          }
          if (hillIndex >= 0 && elev < HILL[hillIndex]!) {
            const f = HILL_SHADE[hillIndex]!;
            r = hr * f * 0.7;
            g = hg * f * 0.85;
            bl = hb * f * 0.8;
          } else {
            const m = Math.min(1, Math.max(0, elev * 2.2));
            r = hr * (1 - m) + L.skyTop[0] * m;
            g = hg * (1 - m) + L.skyTop[1] * m;
            bl = hb * (1 - m) + L.skyTop[2] * m;
          }
          rgb[o] = r * rainDim;
          rgb[o + 1] = g * rainDim;
          rgb[o + 2] = bl * rainDim;
        }
      }
    }

  }

  /** Head and tail lights of cars and trucks at dusk and night: emissive quads on the front and rear faces. */
  private drawVehicleLights(
    state: ObjectState, objectIndex: number, cameraFromWorld: Transform, camPos: Vec3,
    rgb: Float32Array, ids: Int16Array, counted: Int32Array, drawn: Int32Array,
  ): void {
    const o = state.object;
    if (o.objectClass !== 'car' && o.objectClass !== 'truck') return;
    const b = state.box;
    const c = Math.cos(b.yaw);
    const s = Math.sin(b.yaw);
    const bottom = b.center[2] - b.height / 2;
    const zc = bottom + (o.objectClass === 'car' ? 0.4 * b.height : 0.3 * b.height);
    for (const side of [1, -1] as const) {
      const fx = side * (b.length / 2 + 0.02);
      // Light faces the camera only when the face does.
      const nx = side * c;
      const ny = side * s;
      const toFace = [b.center[0] + c * fx - camPos[0], b.center[1] + s * fx - camPos[1]];
      if (nx * (toFace[0] ?? 0) + ny * (toFace[1] ?? 0) >= 0) continue;
      const color: readonly [number, number, number] = side === 1 ? [255, 250, 215] : [255, 35, 25];
      for (const lat of [1, -1]) {
        const ly = lat * (b.width / 2 - 0.3);
        const quad: Vec3[] = [];
        for (const [dy, dz] of [[-0.15, -0.08], [0.15, -0.08], [0.15, 0.08], [-0.15, 0.08]] as const) {
          quad.push(transformPoint(cameraFromWorld, [b.center[0] + c * fx - s * (ly + dy), b.center[1] + s * fx + c * (ly + dy), zc + dz]));
        }
        this.fillPolygon(clipNear(quad), color, objectIndex, rgb, ids, counted, drawn);
      }
    }
  }

  private drawBox(
    b: WorldBox, cameraFromWorld: Transform, camPos: Vec3, L: LightingModel,
    rgb: Float32Array, ids: Int16Array, counted: Int32Array, drawn: Int32Array, rainDim: number,
  ): void {
    const c = Math.cos(b.yaw);
    const s = Math.sin(b.yaw);
    const hl = b.length / 2;
    const hw = b.width / 2;
    const hh = b.height / 2;
    const corner = (sx: number, sy: number, sz: number): Vec3 =>
      transformPoint(cameraFromWorld, [b.cx + c * sx * hl - s * sy * hw, b.cy + s * sx * hl + c * sy * hw, b.cz + sz * hh]);
    const faces: { n: Vec3; center: Vec3; quad: Vec3[] }[] = [
      { n: [c, s, 0], center: [b.cx + c * hl, b.cy + s * hl, b.cz], quad: [corner(1, -1, -1), corner(1, 1, -1), corner(1, 1, 1), corner(1, -1, 1)] },
      { n: [-c, -s, 0], center: [b.cx - c * hl, b.cy - s * hl, b.cz], quad: [corner(-1, 1, -1), corner(-1, -1, -1), corner(-1, -1, 1), corner(-1, 1, 1)] },
      { n: [-s, c, 0], center: [b.cx - s * hw, b.cy + c * hw, b.cz], quad: [corner(1, 1, -1), corner(-1, 1, -1), corner(-1, 1, 1), corner(1, 1, 1)] },
      { n: [s, -c, 0], center: [b.cx + s * hw, b.cy - c * hw, b.cz], quad: [corner(-1, -1, -1), corner(1, -1, -1), corner(1, -1, 1), corner(-1, -1, 1)] },
      { n: [0, 0, 1], center: [b.cx, b.cy, b.cz + hh], quad: [corner(1, -1, 1), corner(1, 1, 1), corner(-1, 1, 1), corner(-1, -1, 1)] },
      { n: [0, 0, -1], center: [b.cx, b.cy, b.cz - hh], quad: [corner(1, 1, -1), corner(1, -1, -1), corner(-1, -1, -1), corner(-1, 1, -1)] },
    ];
    const dist = Math.hypot(b.cx - camPos[0], b.cy - camPos[1], b.cz - camPos[2]);
    const fog = 1 / (1 + dist / L.fogM);
    for (const f of faces) {
      const vx = f.center[0] - camPos[0];
      const vy = f.center[1] - camPos[1];
      const vz = f.center[2] - camPos[2];
      const facing = f.n[0] * vx + f.n[1] * vy + f.n[2] * vz;
      if (facing >= 0) continue;
      const lambert = Math.max(0, f.n[0] * L.sunDir[0] + f.n[1] * L.sunDir[1] + f.n[2] * L.sunDir[2]);
      let light = L.ambient + L.sun * lambert;
      if (L.headlights > 0) light += (L.headlights * Math.min(1, -facing / (dist + 1e-9))) / (1 + (dist / 18) ** 2);
      const col: [number, number, number] = [
        (b.color[0] * light * L.tint[0] * fog + L.skyHorizon[0] * (1 - fog)) * rainDim,
        (b.color[1] * light * L.tint[1] * fog + L.skyHorizon[1] * (1 - fog)) * rainDim,
        (b.color[2] * light * L.tint[2] * fog + L.skyHorizon[2] * (1 - fog)) * rainDim,
      ];
      this.fillPolygon(clipNear(f.quad), col, b.objectIndex, rgb, ids, counted, drawn);
    }
  }

  private fillPolygon(
    poly: Vec3[], col: readonly [number, number, number], objectIndex: number,
    rgb: Float32Array, ids: Int16Array, counted: Int32Array, drawn: Int32Array,
  ): void {
    if (poly.length < 3) return;
    const k = this.intrinsics;
    const W = k.width;
    const H = k.height;
    const pts = poly.map((p) => [k.fx * (p[0] / p[2]) + k.cx, k.fy * (p[1] / p[2]) + k.cy] as const);
    let yMin = Infinity;
    let yMax = -Infinity;
    for (const p of pts) {
      yMin = Math.min(yMin, p[1]);
      yMax = Math.max(yMax, p[1]);
    }
    const r0 = Math.max(0, Math.ceil(yMin - 0.5));
    const r1 = Math.min(H - 1, Math.floor(yMax - 0.5));
    if (r1 < r0) return;
    const rowMin = this.rowMin;
    const rowMax = this.rowMax;
    for (let r = r0; r <= r1; r++) {
      rowMin[r] = Infinity;
      rowMax[r] = -Infinity;
    }
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!;
      const b = pts[(i + 1) % pts.length]!;
      const ya = Math.min(a[1], b[1]);
      const yb = Math.max(a[1], b[1]);
      if (yb - ya < 1e-12) continue;
      const e0 = Math.max(r0, Math.ceil(ya - 0.5));
      const e1 = Math.min(r1, Math.ceil(yb - 0.5) - 1);
      for (let r = e0; r <= e1; r++) {
        const yc = r + 0.5;
        const x = a[0] + ((yc - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
        if (x < rowMin[r]!) rowMin[r] = x;
        if (x > rowMax[r]!) rowMax[r] = x;
      }
    }
    const id = objectIndex >= 0 ? objectIndex : PIXEL_CLUTTER;
    for (let r = r0; r <= r1; r++) {
      const c0 = Math.max(0, Math.ceil(rowMin[r]! - 0.5));
      const c1 = Math.min(W - 1, Math.ceil(rowMax[r]! - 0.5) - 1);
      for (let cIdx = c0; cIdx <= c1; cIdx++) {
        const p = r * W + cIdx;
        const o = p * 3;
        rgb[o] = col[0];
        rgb[o + 1] = col[1];
        rgb[o + 2] = col[2];
        ids[p] = id;
        if (objectIndex >= 0 && counted[p] !== objectIndex) {
          counted[p] = objectIndex;
          drawn[objectIndex]! += 1;
        }
      }
    }
  }

  private postProcess(rgb: Float32Array, L: LightingModel, yawRateRadps: number, speedMps: number, rain: number, rng: Rng): void {
    const k = this.intrinsics;
    const W = k.width;
    const H = k.height;
    // Motion blur: the image moves by f · yaw-rate · exposure pixels sideways during the exposure.
    if (this.cfg.motionBlur) {
      const px = Math.round(Math.abs(yawRateRadps) * L.exposureS * k.fx + speedMps * L.exposureS * 3);
      if (px >= 2) boxBlurRows(rgb, W, H, px);
    }
    // Rain streaks: short bright slanted lines, new ones every frame.
    const streaks = Math.round(rain * 500);
    for (let i = 0; i < streaks; i++) {
      const x0 = rng.uniform(0, W);
      const y0 = rng.uniform(0, H);
      const len = rng.uniform(8, 30);
      const slant = 0.2 + 0.1 * rng.next();
      for (let j = 0; j < len; j++) {
        const x = Math.floor(x0 + j * slant);
        const y = Math.floor(y0 + j);
        if (x < 0 || x >= W || y < 0 || y >= H) break;
        const o = (y * W + x) * 3;
        rgb[o] = rgb[o]! * 0.6 + 80;
        rgb[o + 1] = rgb[o + 1]! * 0.6 + 85;
        rgb[o + 2] = rgb[o + 2]! * 0.6 + 95;
      }
    }
    // Lens dirt: fixed soft dark blobs.
    for (const d of this.dirt) {
      const x0 = Math.max(0, Math.floor(d.x - d.r));
      const x1 = Math.min(W - 1, Math.ceil(d.x + d.r));
      const y0 = Math.max(0, Math.floor(d.y - d.r));
      const y1 = Math.min(H - 1, Math.ceil(d.y + d.r));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const q = ((x - d.x) ** 2 + (y - d.y) ** 2) / (d.r * d.r);
          if (q >= 1) continue;
          const f = 1 - d.strength * (1 - q) * (1 - q);
          const o = (y * W + x) * 3;
          rgb[o] = rgb[o]! * f + 40 * (1 - f);
          rgb[o + 1] = rgb[o + 1]! * f + 35 * (1 - f);
          rgb[o + 2] = rgb[o + 2]! * f + 25 * (1 - f);
        }
      }
    }
  }
}

function clipNear(quad: readonly Vec3[]): Vec3[] {
  const out: Vec3[] = [];
  const zn = NEAR_PLANE_M;
  for (let i = 0; i < quad.length; i++) {
    const a = quad[i]!;
    const b = quad[(i + 1) % quad.length]!;
    const ain = a[2] >= zn;
    const bin = b[2] >= zn;
    if (ain) out.push(a);
    if (ain !== bin) {
      const t = (zn - a[2]) / (b[2] - a[2]);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), zn]);
    }
  }
  return out;
}

function boxBlurRows(rgb: Float32Array, W: number, H: number, len: number): void {
  const row = new Float32Array(W * 3);
  const half = Math.floor(len / 2);
  for (let y = 0; y < H; y++) {
    const base = y * W * 3;
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0;
      let count = 0;
      for (let x = -half; x < W + half; x++) {
        const xin = x + half;
        if (xin < W) {
          sum += rgb[base + xin * 3 + ch]!;
          count++;
        }
        const xout = x - half - 1;
        if (xout >= 0) {
          sum -= rgb[base + xout * 3 + ch]!;
          count--;
        }
        if (x >= 0 && x < W) row[x * 3 + ch] = sum / count;
      }
    }
    rgb.set(row, base);
  }
}
