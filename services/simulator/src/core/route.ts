import type { RouteSegment } from './scenario.js';

/** A point on the route centre line: position, heading (radians from +x, counter-clockwise) and curvature. */
export interface RoutePoint {
  readonly x: number;
  readonly y: number;
  readonly heading: number;
  readonly curvature: number;
}

interface PlacedSegment {
  readonly s0: number;
  readonly length: number;
  readonly x0: number;
  readonly y0: number;
  readonly h0: number;
  readonly curvature: number;
}

/**
 * The ego lane's centre line as closed-form straight and circular-arc pieces starting at the world
 * origin heading east. Before its start and after its end it continues straight, so objects can be
 * placed anywhere along it.
 */
export class Route {
  readonly length: number;
  private readonly segments: readonly PlacedSegment[];

  constructor(spec: readonly RouteSegment[]) {
    const placed: PlacedSegment[] = [];
    let s = 0;
    let x = 0;
    let y = 0;
    let h = 0;
    for (const seg of spec) {
      const curvature = seg.type === 'straight' ? 0 : Math.sign(seg.angleDeg) / seg.radiusM;
      const length = seg.type === 'straight' ? seg.lengthM : (Math.abs(seg.angleDeg) * Math.PI * seg.radiusM) / 180;
      if (!(length > 0)) continue;
      const p: PlacedSegment = { s0: s, length, x0: x, y0: y, h0: h, curvature };
      placed.push(p);
      const end = evalSegment(p, length);
      x = end.x;
      y = end.y;
      h = end.heading;
      s += length;
    }
    if (placed.length === 0) placed.push({ s0: 0, length: 1, x0: 0, y0: 0, h0: 0, curvature: 0 });
    this.segments = placed;
    this.length = s;
  }

  at(s: number): RoutePoint {
    const segs = this.segments;
    const first = segs[0];
    const last = segs[segs.length - 1];
    if (!first || !last) throw new Error('route has no segments');
    if (s <= 0) {
      const p = evalSegment(first, 0);
      return { x: p.x + s * Math.cos(p.heading), y: p.y + s * Math.sin(p.heading), heading: p.heading, curvature: 0 };
    }
    if (s >= last.s0 + last.length) {
      const p = evalSegment(last, last.length);
      const d = s - last.s0 - last.length;
      return { x: p.x + d * Math.cos(p.heading), y: p.y + d * Math.sin(p.heading), heading: p.heading, curvature: 0 };
    }
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segs[mid]?.s0 ?? Infinity) <= s) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo] ?? first;
    return evalSegment(seg, s - seg.s0);
  }

  /** A point offset sideways (positive = left of the direction of travel). */
  offsetAt(s: number, lateralM: number): RoutePoint {
    const p = this.at(s);
    return {
      x: p.x - lateralM * Math.sin(p.heading),
      y: p.y + lateralM * Math.cos(p.heading),
      heading: p.heading,
      curvature: p.curvature / (1 - p.curvature * lateralM),
    };
  }
}

function evalSegment(p: PlacedSegment, ds: number): RoutePoint {
  if (p.curvature === 0) {
    return { x: p.x0 + ds * Math.cos(p.h0), y: p.y0 + ds * Math.sin(p.h0), heading: p.h0, curvature: 0 };
  }
  const k = p.curvature;
  const h = p.h0 + k * ds;
  return {
    x: p.x0 + (Math.sin(h) - Math.sin(p.h0)) / k,
    y: p.y0 - (Math.cos(h) - Math.cos(p.h0)) / k,
    heading: h,
    curvature: k,
  };
}
