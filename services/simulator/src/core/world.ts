import type { Box3, Mat3, Vec3 } from './geometry.js';
import { multiplyMat3, rotationFromYawPitchRoll, transposeMat3 } from './geometry.js';
import { Rng } from './rng.js';
import { Route } from './route.js';
import type { ObjectClass, Scenario } from './scenario.js';
import { OBJECT_CLASSES } from './scenario.js';

export const GRAVITY_MPS2 = 9.80665;

/** Surface materials: LIDAR reflectivity and camera albedo come from here. */
export const Material = {
  asphalt: 0,
  marking: 1,
  sidewalk: 2,
  grass: 3,
  paint: 4,
  glass: 5,
  cloth: 6,
  metal: 7,
  wall: 8,
  foliage: 9,
  fur: 10,
  bumpPaint: 11,
  skin: 12,
  tire: 13,
} as const;
export type MaterialId = (typeof Material)[keyof typeof Material];

/** LIDAR reflectivity (0..1) per material, roughly as measured for 905 nm sensors. */
export const REFLECTIVITY: readonly number[] = [0.08, 0.65, 0.22, 0.18, 0.35, 0.06, 0.2, 0.55, 0.3, 0.28, 0.15, 0.7, 0.25, 0.05];

/** One box of an object's or clutter item's shape, in the owner's local frame (x forward, z up, origin at box centre). */
export interface ShapePart {
  readonly dx: number;
  readonly dy: number;
  readonly dz: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly material: MaterialId;
  /** RGB 0..255 before lighting. */
  readonly color: readonly [number, number, number];
  /** Probability that a ray passing through is stopped (foliage lets some through). */
  readonly opacity: number;
}

export type Motion =
  | {
      readonly kind: 'lane';
      readonly s0: number;
      readonly lateralM: number;
      readonly direction: 1 | -1;
      readonly speedMps: number;
      /** 0 = constant speed; otherwise the period of a stop-and-go speed cycle. */
      readonly stopGoPeriodS: number;
      readonly phase: number;
    }
  | { readonly kind: 'turn'; readonly x0: number; readonly y0: number; readonly heading0: number; readonly speedMps: number; readonly yawRateRadps: number }
  | {
      readonly kind: 'crossing';
      readonly s: number;
      readonly fromLateralM: number;
      readonly toLateralM: number;
      readonly speedMps: number;
      readonly startS: number;
    }
  | { readonly kind: 'parked'; readonly s: number; readonly lateralM: number; readonly headingOffset: number };

export interface DynamicObject {
  readonly id: number;
  readonly objectClass: ObjectClass;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly parts: readonly ShapePart[];
  readonly motion: Motion;
}

export interface StaticClutter {
  readonly kind: 'pole' | 'tree' | 'bush' | 'building';
  readonly x: number;
  readonly y: number;
  readonly yaw: number;
  readonly parts: readonly ShapePart[];
}

/** Pose of a body in the world frame (x east, y north, z up) with ZYX Euler angles. */
export interface Pose {
  readonly position: Vec3;
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

export interface EgoKinematics {
  readonly pose: Pose;
  readonly rotation: Mat3;
  readonly velocityWorld: Vec3;
  readonly accelerationWorld: Vec3;
  /** Angular velocity in the body frame (rad/s). */
  readonly angularVelocityBody: Vec3;
  readonly speedMps: number;
}

export interface ObjectState {
  readonly object: DynamicObject;
  /** Box in the world frame; centre at half height above the ground. */
  readonly box: Box3;
  readonly velocity: Vec3;
}

/** A placed box for ray casting and rendering, world frame, yaw only. */
export interface WorldBox {
  readonly cx: number;
  readonly cy: number;
  readonly cz: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yaw: number;
  readonly material: MaterialId;
  readonly color: readonly [number, number, number];
  readonly opacity: number;
  /** Index into `world.objects`, or -1 for clutter. */
  readonly objectIndex: number;
  /** Boxes of one object or clutter item share a group (objects: their index; clutter: 1e6 + its index). */
  readonly group: number;
}

/** Surface classes of the ground map. */
export const Surface = { grass: 0, asphalt: 1, marking: 2, sidewalk: 3, bump: 4, yellowMarking: 5 } as const;

const WHEELBASE_M = 2.8;
const TRACK_M = 1.6;
const MAP_CELL_M = 0.25;

interface ClassSize {
  readonly length: readonly [number, number];
  readonly width: readonly [number, number];
  readonly height: readonly [number, number];
}

const SIZES: Readonly<Record<ObjectClass, ClassSize>> = {
  car: { length: [4.5, 0.3], width: [1.85, 0.08], height: [1.5, 0.1] },
  truck: { length: [9.5, 1.5], width: [2.5, 0.05], height: [3.4, 0.25] },
  pedestrian: { length: [0.55, 0.05], width: [0.62, 0.05], height: [1.74, 0.09] },
  cyclist: { length: [1.8, 0.08], width: [0.65, 0.04], height: [1.72, 0.06] },
  animal: { length: [0.95, 0.15], width: [0.35, 0.04], height: [0.72, 0.08] },
};

const PALETTE: Readonly<Record<ObjectClass, readonly (readonly [number, number, number])[]>> = {
  car: [[40, 70, 160], [150, 30, 30], [190, 190, 195], [235, 235, 235], [30, 30, 35], [30, 90, 60]],
  truck: [[230, 140, 20], [240, 240, 230], [220, 190, 40]],
  pedestrian: [[120, 60, 140], [60, 60, 70], [170, 90, 60], [40, 90, 150], [200, 180, 150]],
  cyclist: [[60, 180, 80], [230, 220, 60], [220, 60, 110]],
  animal: [[120, 80, 45], [90, 60, 40], [200, 170, 120]],
};

function part(
  dx: number, dy: number, dz: number, length: number, width: number, height: number,
  material: MaterialId, color: readonly [number, number, number], opacity = 1,
): ShapePart {
  return { dx, dy, dz, length, width, height, material, color, opacity };
}

function shade(c: readonly [number, number, number], f: number): [number, number, number] {
  return [Math.min(255, c[0] * f), Math.min(255, c[1] * f), Math.min(255, c[2] * f)];
}

/** Parts inside the l x w x h truth box so that every LIDAR hit on the object lies in its box. */
function shapeFor(cls: ObjectClass, l: number, w: number, h: number, color: readonly [number, number, number]): ShapePart[] {
  switch (cls) {
    case 'car':
      return [
        part(0, 0, -h / 4 + 0.02, l, w, h / 2 - 0.04, Material.paint, color),
        part(0, 0, -h / 2 + 0.02, l * 0.7, w * 0.96, 0.04, Material.tire, [20, 20, 20]),
        part(-0.05 * l, 0, h / 4, 0.55 * l, 0.92 * w, h / 2, Material.glass, shade(color, 0.45)),
      ];
    case 'truck':
      return [
        part(l / 2 - 0.11 * l, 0, -0.06 * h, 0.22 * l, w, 0.88 * h, Material.paint, color),
        part(-0.12 * l, 0, 0.02 * h, 0.76 * l, w, 0.96 * h, Material.metal, [200, 200, 205]),
      ];
    case 'pedestrian':
      return [
        part(0, 0, -h / 2 + 0.42 * h, 0.8 * l, w, 0.84 * h, Material.cloth, color),
        part(0, 0, h / 2 - 0.08 * h, 0.45 * l, 0.4 * w, 0.16 * h, Material.skin, [225, 185, 150]),
      ];
    case 'cyclist':
      return [
        part(0, 0, -h / 2 + 0.3 * h, l, 0.15 * w, 0.6 * h, Material.metal, [50, 50, 55]),
        part(-0.05 * l, 0, h / 2 - 0.27 * h, 0.4 * l, w, 0.54 * h, Material.cloth, color),
      ];
    case 'animal':
      return [
        part(-0.1 * l, 0, h / 2 - 0.3 * h, 0.8 * l, w, 0.4 * h, Material.fur, color),
        part(0.4 * l, 0, h / 2 - 0.15 * h, 0.2 * l, 0.8 * w, 0.3 * h, Material.fur, shade(color, 0.8)),
        part(-0.1 * l, 0, -h / 2 + 0.275 * h, 0.6 * l, 0.5 * w, 0.55 * h, Material.fur, shade(color, 0.7), 0.4),
      ];
  }
}

/**
 * The simulated world: route, ground, ego motion, dynamic objects and static clutter, all as
 * closed-form functions of time (seconds since scenario start) so that any sensor can sample them
 * at any instant.
 */
export class World {
  readonly scenario: Scenario;
  readonly route: Route;
  readonly objects: readonly DynamicObject[];
  readonly clutter: readonly StaticClutter[];
  /** Static clutter as world boxes (computed once). */
  readonly staticBoxes: readonly WorldBox[];
  readonly roadRightM: number;
  readonly roadLeftM: number;
  private readonly sGridDtS = 0.001;
  private readonly sGrid: Float64Array;
  private readonly bump: { x: number; y: number; tx: number; ty: number };
  private readonly map: Uint8Array;
  private readonly mapX0: number;
  private readonly mapY0: number;
  private readonly mapW: number;
  private readonly mapH: number;

  constructor(scenario: Scenario, seed: number) {
    this.scenario = scenario;
    this.route = new Route(scenario.route.segments);
    const W = scenario.route.laneWidthM;
    const lanes = scenario.route.lanes + scenario.route.oncomingLanes;
    this.roadRightM = -W / 2 - scenario.route.shoulderRightM;
    this.roadLeftM = (lanes - 0.5) * W;
    // Ego arc length on a 1 ms grid (trapezoid of the piecewise-linear speed profile).
    const n = Math.ceil((scenario.durationS + 2) / this.sGridDtS) + 1;
    this.sGrid = new Float64Array(n);
    let prev = this.egoSpeed(0);
    for (let i = 1; i < n; i++) {
      const v = this.egoSpeed(i * this.sGridDtS);
      this.sGrid[i] = (this.sGrid[i - 1] ?? 0) + ((prev + v) / 2) * this.sGridDtS;
      prev = v;
    }
    const b = this.route.at(scenario.ground.speedBumpAtM);
    this.bump = { x: b.x, y: b.y, tx: Math.cos(b.heading), ty: Math.sin(b.heading) };

    const rng = Rng.forName(seed, 'world');
    this.objects = this.spawnObjects(rng);
    this.clutter = this.spawnClutter(rng);
    this.staticBoxes = this.clutter.flatMap((c, i) => placeParts(c.parts, c.x, c.y, this.groundHeight(c.x, c.y), c.yaw, -1, 0, 1_000_000 + i));

    // Ground surface map around the route.
    const egoEnd = this.egoS(scenario.durationS);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let s = -80; s <= egoEnd + 150; s += 5) {
      const p = this.route.at(s);
      minX = Math.min(minX, p.x);
      maxX = Math.max(maxX, p.x);
      minY = Math.min(minY, p.y);
      maxY = Math.max(maxY, p.y);
    }
    const margin = 40;
    this.mapX0 = minX - margin;
    this.mapY0 = minY - margin;
    this.mapW = Math.ceil((maxX - minX + 2 * margin) / MAP_CELL_M);
    this.mapH = Math.ceil((maxY - minY + 2 * margin) / MAP_CELL_M);
    this.map = new Uint8Array(this.mapW * this.mapH);
    this.paintSurfaceMap(-80, egoEnd + 150);
  }

  /** Ego speed profile: cruise, with linear braking into and acceleration out of each stop. */
  egoSpeed(time: number): number {
    // Before the start the ego keeps its initial speed, so kinematics at t = 0 are smooth.
    const tS = Math.max(0, time);
    const r = this.scenario.route;
    let v = r.cruiseSpeedMps;
    for (const stop of r.stops) {
      const a = r.accelerationMps2;
      let vs: number;
      if (tS < stop.atS) vs = a * (stop.atS - tS);
      else if (tS <= stop.atS + stop.durationS) vs = 0;
      else vs = a * (tS - stop.atS - stop.durationS);
      v = Math.min(v, vs);
    }
    return v;
  }

  /** Ego arc length along the route at time t. */
  egoS(tS: number): number {
    if (tS < 0) return this.egoSpeed(0) * tS;
    const g = this.sGrid;
    const x = tS / this.sGridDtS;
    const i = Math.min(Math.floor(x), g.length - 2);
    const t0 = i * this.sGridDtS;
    return (g[i] ?? 0) + ((this.egoSpeed(t0) + this.egoSpeed(tS)) / 2) * (tS - t0);
  }

  groundHeight(x: number, y: number): number {
    const gnd = this.scenario.ground;
    return gnd.slopeX * x + gnd.slopeY * y + this.bumpHeight(x, y);
  }

  bumpHeight(x: number, y: number): number {
    const gnd = this.scenario.ground;
    const dx = x - this.bump.x;
    const dy = y - this.bump.y;
    const along = dx * this.bump.tx + dy * this.bump.ty;
    const half = gnd.speedBumpWidthM / 2;
    if (along <= -half || along >= half) return 0;
    const lateral = -dx * this.bump.ty + dy * this.bump.tx;
    if (lateral < this.roadRightM - 0.5 || lateral > this.roadLeftM + 0.5) return 0;
    const c = Math.cos((Math.PI * along) / gnd.speedBumpWidthM);
    return gnd.speedBumpHeightM * c * c;
  }

  /** Ego body pose: on its lane, pitched and rolled by the ground under its wheels. */
  egoPose(tS: number): Pose {
    const p = this.route.at(this.egoS(tS));
    const c = Math.cos(p.heading);
    const s = Math.sin(p.heading);
    const zf = this.groundHeight(p.x + (c * WHEELBASE_M) / 2, p.y + (s * WHEELBASE_M) / 2);
    const zr = this.groundHeight(p.x - (c * WHEELBASE_M) / 2, p.y - (s * WHEELBASE_M) / 2);
    const zl = this.groundHeight(p.x - (s * TRACK_M) / 2, p.y + (c * TRACK_M) / 2);
    const zri = this.groundHeight(p.x + (s * TRACK_M) / 2, p.y - (c * TRACK_M) / 2);
    return {
      position: [p.x, p.y, (zf + zr) / 2],
      yaw: p.heading,
      pitch: -Math.atan2(zf - zr, WHEELBASE_M),
      roll: Math.atan2(zl - zri, TRACK_M),
    };
  }

  /** Velocity, acceleration and body rates by central differences of the closed-form pose. */
  egoKinematics(tS: number): EgoKinematics {
    const h = 0.002;
    const p0 = this.egoPose(tS);
    const pm = this.egoPose(tS - h);
    const pp = this.egoPose(tS + h);
    const vel: Vec3 = [
      (pp.position[0] - pm.position[0]) / (2 * h),
      (pp.position[1] - pm.position[1]) / (2 * h),
      (pp.position[2] - pm.position[2]) / (2 * h),
    ];
    const acc: Vec3 = [
      (pp.position[0] - 2 * p0.position[0] + pm.position[0]) / (h * h),
      (pp.position[1] - 2 * p0.position[1] + pm.position[1]) / (h * h),
      (pp.position[2] - 2 * p0.position[2] + pm.position[2]) / (h * h),
    ];
    const rm = rotationFromYawPitchRoll(pm.yaw, pm.pitch, pm.roll);
    const rp = rotationFromYawPitchRoll(pp.yaw, pp.pitch, pp.roll);
    const d = multiplyMat3(transposeMat3(rm), rp);
    const w: Vec3 = [(d[7] - d[5]) / (4 * h), (d[2] - d[6]) / (4 * h), (d[3] - d[1]) / (4 * h)];
    return {
      pose: p0,
      rotation: rotationFromYawPitchRoll(p0.yaw, p0.pitch, p0.roll),
      velocityWorld: vel,
      accelerationWorld: acc,
      angularVelocityBody: w,
      speedMps: this.egoSpeed(tS),
    };
  }

  /** Planar position and heading of a dynamic object at time t. */
  objectPlanar(o: DynamicObject, tS: number): { x: number; y: number; yaw: number } {
    const m = o.motion;
    switch (m.kind) {
      case 'lane': {
        let dist: number;
        if (m.stopGoPeriodS > 0) {
          const w = (2 * Math.PI) / m.stopGoPeriodS;
          dist = m.speedMps * (0.5 * tS - (0.5 / w) * (Math.sin(w * tS + m.phase) - Math.sin(m.phase)));
        } else dist = m.speedMps * tS;
        const p = this.route.offsetAt(m.s0 + m.direction * dist, m.lateralM);
        return { x: p.x, y: p.y, yaw: m.direction === 1 ? p.heading : p.heading + Math.PI };
      }
      case 'turn': {
        const h = m.heading0 + m.yawRateRadps * tS;
        if (Math.abs(m.yawRateRadps) < 1e-9) {
          return { x: m.x0 + m.speedMps * tS * Math.cos(m.heading0), y: m.y0 + m.speedMps * tS * Math.sin(m.heading0), yaw: h };
        }
        const r = m.speedMps / m.yawRateRadps;
        return { x: m.x0 + r * (Math.sin(h) - Math.sin(m.heading0)), y: m.y0 - r * (Math.cos(h) - Math.cos(m.heading0)), yaw: h };
      }
      case 'crossing': {
        const span = m.toLateralM - m.fromLateralM;
        const travelled = Math.min(Math.abs(span), Math.max(0, (tS - m.startS) * m.speedMps));
        const p = this.route.offsetAt(m.s, m.fromLateralM + Math.sign(span) * travelled);
        return { x: p.x, y: p.y, yaw: p.heading + (span > 0 ? Math.PI / 2 : -Math.PI / 2) };
      }
      case 'parked': {
        const p = this.route.offsetAt(m.s, m.lateralM);
        return { x: p.x, y: p.y, yaw: p.heading + m.headingOffset };
      }
    }
  }

  objectState(o: DynamicObject, tS: number): ObjectState {
    const h = 0.01;
    const p = this.objectPlanar(o, tS);
    const a = this.objectPlanar(o, tS - h);
    const b = this.objectPlanar(o, tS + h);
    const z = this.groundHeight(p.x, p.y);
    const za = this.groundHeight(a.x, a.y);
    const zb = this.groundHeight(b.x, b.y);
    return {
      object: o,
      box: { center: [p.x, p.y, z + o.height / 2], length: o.length, width: o.width, height: o.height, yaw: p.yaw },
      velocity: [(b.x - a.x) / (2 * h), (b.y - a.y) / (2 * h), (zb - za) / (2 * h)],
    };
  }

  objectStates(tS: number): ObjectState[] {
    return this.objects.map((o) => this.objectState(o, tS));
  }

  /** All boxes (objects' parts and clutter) at time t. */
  boxesAt(states: readonly ObjectState[]): WorldBox[] {
    const out: WorldBox[] = [...this.staticBoxes];
    states.forEach((st, i) => {
      const b = st.box;
      out.push(...placeParts(st.object.parts, b.center[0], b.center[1], b.center[2] - b.height / 2, b.yaw, i, b.height / 2, i));
    });
    return out;
  }

  /** The ground surface map for hot loops: cell (ix, iy) covers [x0 + ix·cell, …) and holds a Surface value. */
  surfaceMap(): { readonly data: Uint8Array; readonly x0: number; readonly y0: number; readonly width: number; readonly height: number; readonly cellM: number } {
    return { data: this.map, x0: this.mapX0, y0: this.mapY0, width: this.mapW, height: this.mapH, cellM: MAP_CELL_M };
  }

  surfaceAt(x: number, y: number): number {
    const ix = Math.floor((x - this.mapX0) / MAP_CELL_M);
    const iy = Math.floor((y - this.mapY0) / MAP_CELL_M);
    if (ix < 0 || iy < 0 || ix >= this.mapW || iy >= this.mapH) return Surface.grass;
    return this.map[iy * this.mapW + ix] ?? Surface.grass;
  }

  private paintSurfaceMap(s0: number, s1: number): void {
    const W = this.scenario.route.laneWidthM;
    const sameLanes = this.scenario.route.lanes;
    const totalLanes = sameLanes + this.scenario.route.oncomingLanes;
    const sidewalk = 3;
    const bumpS = this.scenario.ground.speedBumpAtM;
    const bumpHalf = this.scenario.ground.speedBumpWidthM / 2;
    for (let s = s0; s <= s1; s += 0.1) {
      const dashOn = ((s % 9) + 9) % 9 < 3;
      for (let l = this.roadRightM - sidewalk; l <= this.roadLeftM + sidewalk; l += 0.1) {
        let surf: number = Surface.asphalt;
        if (l < this.roadRightM || l > this.roadLeftM) surf = Surface.sidewalk;
        else {
          const lanePos = l / W + 0.5; // 0 at the right edge, lane boundaries at integers
          const nearest = Math.round(lanePos);
          if (nearest >= 0 && nearest <= totalLanes && Math.abs(lanePos - nearest) * W < 0.1) {
            if (nearest === 0 || nearest === totalLanes) surf = Surface.marking;
            else if (nearest === sameLanes) surf = Surface.yellowMarking;
            else if (dashOn) surf = Surface.marking;
          }
          if (Math.abs(s - bumpS) < bumpHalf && Math.floor(l / 0.6) % 2 === 0) surf = Surface.bump;
        }
        const p = this.route.offsetAt(s, l);
        const ix = Math.floor((p.x - this.mapX0) / MAP_CELL_M);
        const iy = Math.floor((p.y - this.mapY0) / MAP_CELL_M);
        if (ix >= 0 && iy >= 0 && ix < this.mapW && iy < this.mapH) this.map[iy * this.mapW + ix] = surf;
      }
    }
  }

  private spawnObjects(rng: Rng): DynamicObject[] {
    const sc = this.scenario;
    const W = sc.route.laneWidthM;
    const cruise = sc.route.cruiseSpeedMps;
    const egoEnd = this.egoS(sc.durationS);
    const objects: DynamicObject[] = [];
    // One speed profile per lane so that vehicles in a lane never drive through each other.
    const laneProfiles = new Map<number, { speed: number; period: number; phase: number }>();
    const laneNext = new Map<number, number>();
    const onRoadRight = this.roadRightM;
    const sidewalkRight = onRoadRight - 1.5;
    const sidewalkLeft = this.roadLeftM + 1.5;
    const sameLanes = sc.route.lanes;
    const oncoming = sc.route.oncomingLanes;

    const laneProfile = (lane: number): { speed: number; period: number; phase: number } => {
      let p = laneProfiles.get(lane);
      if (!p) {
        if (lane === 0) p = { speed: cruise + rng.uniform(0.5, 3), period: 0, phase: 0 };
        else if (lane < sameLanes) p = { speed: cruise * rng.uniform(0.7, 1.4), period: 0, phase: 0 };
        else p = rng.chance(0.5) ? { speed: cruise * rng.uniform(1.2, 2), period: rng.uniform(8, 14), phase: rng.uniform(0, 6.28) } : { speed: cruise * rng.uniform(0.8, 1.2), period: 0, phase: 0 };
        laneProfiles.set(lane, p);
      }
      return p;
    };

    for (const cls of OBJECT_CLASSES) {
      for (let i = 0; i < sc.traffic[cls]; i++) {
        const sz = SIZES[cls];
        const length = Math.max(0.3, rng.normal(sz.length[0], sz.length[1]));
        const width = Math.max(0.2, rng.normal(sz.width[0], sz.width[1]));
        const height = Math.max(0.3, rng.normal(sz.height[0], sz.height[1]));
        const color = rng.pick(PALETTE[cls]);
        let motion: Motion;
        const crossing = (speedMps: number, margin: number, startShift: number): Motion | undefined => {
          // Cross in front of the ego, but never while the ego is at the crossing: the ego does not brake for them.
          for (let attempt = 0; attempt < 40; attempt++) {
            const tCross = rng.uniform(0.5, Math.max(1, sc.durationS - 3));
            const right = rng.chance(0.5);
            const m: Motion = {
              kind: 'crossing',
              s: this.egoS(tCross) + rng.uniform(8, 35),
              fromLateralM: right ? sidewalkRight - margin : sidewalkLeft + margin,
              toLateralM: right ? sidewalkLeft + margin : sidewalkRight - margin,
              speedMps,
              startS: tCross - startShift,
            };
            if (this.crossingIsClear(m)) return m;
          }
          return undefined;
        };
        if (cls === 'car' || cls === 'truck') {
          const roll = rng.next();
          if (cls === 'car' && roll < 0.2 && sc.route.shoulderRightM >= 3.5) {
            // Parking strip between the bike lane and the kerb, spaced along it.
            const s = laneNext.get(-2) ?? rng.uniform(-20, 30);
            laneNext.set(-2, s + length + rng.uniform(2, 20));
            motion = { kind: 'parked', s, lateralM: onRoadRight + 0.25 + width / 2, headingOffset: rng.normal(0, 0.02) };
          } else {
            const lanesAvail = sameLanes + oncoming;
            const lane = oncoming > 0 && roll > 0.55 ? sameLanes + rng.int(0, oncoming - 1) : rng.int(0, Math.max(0, sameLanes - 1));
            const prof = laneProfile(Math.min(lane, lanesAvail - 1));
            const direction: 1 | -1 = lane >= sameLanes ? -1 : 1;
            // Vehicles in a lane are spaced by at least their length plus a gap.
            const start = laneNext.get(lane) ?? (lane === 0 ? 15 : direction === 1 ? -40 : egoEnd * 0.4 + 40);
            const s0 = start + direction * rng.uniform(0, 25);
            laneNext.set(lane, s0 + direction * (length + rng.uniform(12, 30)));
            motion = { kind: 'lane', s0, lateralM: lane * W, direction, speedMps: prof.speed, stopGoPeriodS: prof.period, phase: prof.phase };
          }
        } else if (cls === 'pedestrian') {
          const cross = rng.chance(0.4) ? crossing(rng.uniform(1.1, 1.6), 0, rng.uniform(0, 3)) : undefined;
          if (cross) motion = cross;
          else {
            const right = rng.chance(0.6);
            motion = {
              kind: 'lane',
              s0: rng.uniform(-10, egoEnd + 40),
              lateralM: (right ? sidewalkRight : sidewalkLeft) + rng.uniform(-0.8, 0.8),
              direction: rng.chance(0.5) ? 1 : -1,
              speedMps: rng.uniform(0.9, 1.6),
              stopGoPeriodS: rng.chance(0.3) ? rng.uniform(6, 12) : 0,
              phase: rng.uniform(0, 6.28),
            };
          }
        } else if (cls === 'cyclist') {
          const prof = laneProfile(-1);
          const start = laneNext.get(-1) ?? rng.uniform(5, 30);
          laneNext.set(-1, start + rng.uniform(8, 25));
          motion = { kind: 'lane', s0: start, lateralM: -W / 2 - 0.75, direction: 1, speedMps: Math.min(6, prof.speed * 0.5), stopGoPeriodS: 0, phase: 0 };
        } else {
          const cross = rng.chance(0.5) ? crossing(rng.uniform(1.5, 3), 1, rng.uniform(0, 2)) : undefined;
          if (cross) motion = cross;
          else {
            const p = this.route.offsetAt(rng.uniform(10, egoEnd + 30), sidewalkLeft + 0.5);
            motion = { kind: 'turn', x0: p.x, y0: p.y, heading0: p.heading + rng.uniform(-0.3, 0.3), speedMps: rng.uniform(0.6, 1.4), yawRateRadps: rng.uniform(-0.15, 0.15) };
          }
        }
        objects.push({ id: objects.length + 1, objectClass: cls, length, width, height, parts: shapeFor(cls, length, width, height, color), motion });
      }
    }
    return objects;
  }

  /** Whether a crossing object stays out of the ego's way (ego footprint from 1.5 m behind to 4.5 m ahead of its origin, ±1.5 m). */
  private crossingIsClear(m: Motion & { kind: 'crossing' }): boolean {
    for (let t = 0; t <= this.scenario.durationS; t += 0.05) {
      const lateral = m.fromLateralM + Math.sign(m.toLateralM - m.fromLateralM) * Math.min(Math.abs(m.toLateralM - m.fromLateralM), Math.max(0, (t - m.startS) * m.speedMps));
      if (Math.abs(lateral) > 2.2) continue;
      const ds = m.s - this.egoS(t);
      if (ds > -2 && ds < 5.5) return false;
    }
    return true;
  }

  private spawnClutter(rng: Rng): StaticClutter[] {
    const sc = this.scenario;
    const egoEnd = this.egoS(sc.durationS);
    const out: StaticClutter[] = [];
    const place = (s: number, lateral: number): { x: number; y: number; yaw: number } => {
      const p = this.route.offsetAt(s, lateral);
      return { x: p.x, y: p.y, yaw: p.heading };
    };
    for (let i = 0; i < sc.clutter.poles; i++) {
      const left = rng.chance(0.5);
      const p = place(rng.uniform(-20, egoEnd + 80), left ? this.roadLeftM + 0.6 : this.roadRightM - 0.6);
      const h = rng.uniform(3.5, 7);
      const parts = [part(0, 0, 0, 0.22, 0.22, h, Material.metal, [120, 120, 125])];
      if (rng.chance(0.4)) parts.push(part(0, 0, h / 2 - 0.5, 0.06, 0.7, 0.7, Material.metal, [30, 90, 170]));
      out.push({ kind: 'pole', ...p, parts });
    }
    for (let i = 0; i < sc.clutter.vegetation; i++) {
      const left = rng.chance(0.5);
      const p = place(rng.uniform(-20, egoEnd + 80), left ? this.roadLeftM + 2.4 : this.roadRightM - 2.4);
      if (rng.chance(0.6)) {
        const trunk = rng.uniform(2, 3);
        const crown = rng.uniform(2, 3.5);
        out.push({
          kind: 'tree', ...p,
          parts: [
            part(0, 0, 0, 0.3, 0.3, trunk, Material.foliage, [90, 65, 40]),
            part(0, 0, trunk / 2 + crown / 2, crown, crown, crown, Material.foliage, [50, 110, 45], 0.55),
          ],
        });
      } else {
        out.push({ kind: 'bush', ...p, parts: [part(0, 0, 0, 1.6, 1.2, rng.uniform(0.7, 1.3), Material.foliage, [60, 120, 50], 0.7)] });
      }
    }
    if (sc.clutter.walls) {
      for (const side of [-1, 1]) {
        let s = -40;
        while (s < egoEnd + 120) {
          const len = rng.uniform(10, 25);
          if (rng.chance(0.85)) {
            const depth = 8;
            const lateral = side < 0 ? this.roadRightM - 3.4 - depth / 2 : this.roadLeftM + 3.4 + depth / 2;
            const p = place(s + len / 2, lateral);
            const h = rng.uniform(5, 16);
            const shadeF = rng.uniform(0.75, 1.1);
            out.push({ kind: 'building', ...p, parts: [part(0, 0, 0, len * 0.98, depth, h, Material.wall, shade([180, 165, 145], shadeF))] });
          }
          s += len + (rng.chance(0.2) ? rng.uniform(4, 12) : 0);
        }
      }
    }
    // Parts are given relative to the base; lift them to stand on the ground.
    return out.map((c) => {
      const lift = (c.parts[0]?.height ?? 0) / 2;
      return { ...c, parts: c.parts.map((p) => ({ ...p, dz: p.dz + lift })) };
    });
  }
}

/** Place local parts at a base position (ground contact) and yaw; `baseLift` moves the local origin up. */
function placeParts(
  parts: readonly ShapePart[], x: number, y: number, groundZ: number, yaw: number, objectIndex: number, baseLift: number, group: number,
): WorldBox[] {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return parts.map((p) => ({
    cx: x + c * p.dx - s * p.dy,
    cy: y + s * p.dx + c * p.dy,
    cz: groundZ + baseLift + p.dz,
    length: p.length,
    width: p.width,
    height: p.height,
    yaw,
    material: p.material,
    color: p.color,
    opacity: p.opacity,
    objectIndex,
    group,
  }));
}
