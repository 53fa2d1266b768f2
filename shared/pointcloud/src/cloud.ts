import {
  BadPointStrideError,
  PointCountOverCapError,
  PointDescriptorMismatchError,
  TruncatedPointBufferError,
} from './errors.js';

/**
 * A cloud in structure-of-arrays form: one Float32Array per attribute, `length` points valid.
 * Arrays may be longer than `length` (they are reused scratch); never read past `length`.
 */
export interface PointCloud {
  readonly length: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly z: Float32Array;
  readonly intensity: Float32Array;
}

export type PointFieldType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface PointField {
  readonly name: string;
  /** Byte offset inside one point. */
  readonly offset: number;
  readonly datatype: PointFieldType;
}

/** The LidarScan descriptor: fields, bytes per point, declared point count. Little-endian. */
export interface PointLayout {
  readonly fields: readonly PointField[];
  readonly stride: number;
  readonly count: number;
}

export const FIELD_SIZE: Readonly<Record<PointFieldType, number>> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

/** Default cap on points per sweep: a 128-beam sensor at 20 Hz gives ~260k; 10M is clearly bad input. */
export const DEFAULT_MAX_POINTS = 10_000_000;

export function createCloud(capacity: number): PointCloud {
  return {
    length: capacity,
    x: new Float32Array(capacity),
    y: new Float32Array(capacity),
    z: new Float32Array(capacity),
    intensity: new Float32Array(capacity),
  };
}

/** A cloud of the first `length` points of `cloud` (shares the arrays). */
export function withLength(cloud: PointCloud, length: number): PointCloud {
  return { length, x: cloud.x, y: cloud.y, z: cloud.z, intensity: cloud.intensity };
}

/** Copy the points at `indices[0..count)` into a new compact cloud. */
export function selectPoints(cloud: PointCloud, indices: Uint32Array, count = indices.length): PointCloud {
  const out = createCloud(count);
  for (let i = 0; i < count; i++) {
    const j = indices[i] ?? 0;
    out.x[i] = cloud.x[j] ?? 0;
    out.y[i] = cloud.y[j] ?? 0;
    out.z[i] = cloud.z[j] ?? 0;
    out.intensity[i] = cloud.intensity[j] ?? 0;
  }
  return out;
}

/** Copy the points whose mask byte equals `keep` into a new compact cloud. */
export function selectByMask(cloud: PointCloud, mask: Uint8Array, keep = 1): PointCloud {
  let count = 0;
  for (let i = 0; i < cloud.length; i++) if (mask[i] === keep) count++;
  return selectByMaskInto(cloud, mask, keep, createCloud(count));
}

/** selectByMask into `out` (capacity ≥ the number of selected points); returns `out` cut to that number. */
export function selectByMaskInto(cloud: PointCloud, mask: Uint8Array, keep: number, out: PointCloud): PointCloud {
  let o = 0;
  for (let i = 0; i < cloud.length; i++) {
    if (mask[i] !== keep) continue;
    out.x[o] = cloud.x[i] ?? 0;
    out.y[o] = cloud.y[i] ?? 0;
    out.z[o] = cloud.z[i] ?? 0;
    out.intensity[o] = cloud.intensity[i] ?? 0;
    o++;
  }
  return withLength(out, o);
}

/**
 * Interleaved or planar float32 coordinates: attribute a of point i is at arr[i · stride + offset].
 * A SoA cloud is stride 1, offset 0 per array; a float32 message payload is one array with the
 * record stride in floats. The same kernel reads both, so the payload needs no copy before filtering.
 */
export interface Float32Source {
  readonly count: number;
  readonly stride: number;
  readonly x: Float32Array;
  readonly ox: number;
  readonly y: Float32Array;
  readonly oy: number;
  readonly z: Float32Array;
  readonly oz: number;
  /** null: no intensity field (0). */
  readonly intensity: Float32Array | null;
  readonly oi: number;
}

export function sourceOfCloud(cloud: PointCloud): Float32Source {
  return { count: cloud.length, stride: 1, x: cloud.x, ox: 0, y: cloud.y, oy: 0, z: cloud.z, oz: 0, intensity: cloud.intensity, oi: 0 };
}

/**
 * The payload as a Float32Source without a copy when x, y, z (and intensity, if present) are aligned
 * float32 fields; null otherwise (then copy with toCloud). Validates the layout first.
 */
export function float32SourceOf(bytes: Uint8Array, layout: PointLayout, options: ViewOptions = {}): Float32Source | null {
  validateLayout(bytes.byteLength, layout, options);
  const get = (name: string): PointField | undefined => layout.fields.find((f) => f.name === name);
  const fx = get('x');
  const fy = get('y');
  const fz = get('z');
  const fi = get('intensity') ?? get('reflectance') ?? get('i');
  const aligned = (f: PointField | undefined): boolean => f === undefined || (f.datatype === 'float32' && f.offset % 4 === 0);
  if (!fx || !fy || !fz || !aligned(fx) || !aligned(fy) || !aligned(fz) || !aligned(fi)) return null;
  if (layout.stride % 4 !== 0 || bytes.byteOffset % 4 !== 0) return null;
  const f = new Float32Array(bytes.buffer, bytes.byteOffset, (layout.count * layout.stride) / 4);
  return {
    count: layout.count,
    stride: layout.stride / 4,
    x: f,
    ox: fx.offset / 4,
    y: f,
    oy: fy.offset / 4,
    z: f,
    oz: fz.offset / 4,
    intensity: fi ? f : null,
    oi: fi ? fi.offset / 4 : 0,
  };
}

export interface ViewOptions {
  /** Reject sweeps with more points than this (default 10M). */
  readonly maxPoints?: number;
}

/**
 * Checked accessors over interleaved little-endian point bytes. Validation happens once here;
 * the accessors themselves do no checks.
 */
export interface PointBufferView {
  readonly count: number;
  readonly stride: number;
  readonly hasIntensity: boolean;
  readonly hasRing: boolean;
  readonly hasTime: boolean;
  /** Copy x, y, z and intensity (0 when absent) into SoA arrays (the one copy of the hot path). */
  toCloud(): PointCloud;
  readField(name: 'x' | 'y' | 'z' | 'intensity' | 'ring' | 'time', index: number): number;
}

const XYZ = ['x', 'y', 'z'] as const;

function fieldReader(dv: DataView, field: PointField): (byteOffset: number) => number {
  const o = field.offset;
  switch (field.datatype) {
    case 'float32':
      return (b) => dv.getFloat32(b + o, true);
    case 'float64':
      return (b) => dv.getFloat64(b + o, true);
    case 'int8':
      return (b) => dv.getInt8(b + o);
    case 'uint8':
      return (b) => dv.getUint8(b + o);
    case 'int16':
      return (b) => dv.getInt16(b + o, true);
    case 'uint16':
      return (b) => dv.getUint16(b + o, true);
    case 'int32':
      return (b) => dv.getInt32(b + o, true);
    case 'uint32':
      return (b) => dv.getUint32(b + o, true);
  }
}

/** Validate a descriptor against its bytes; throws a typed PoisonRecordError on any disagreement. */
export function validateLayout(byteLength: number, layout: PointLayout, options: ViewOptions = {}): void {
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  const { stride, count, fields } = layout;
  if (!Number.isInteger(stride) || stride <= 0) {
    throw new BadPointStrideError(`point stride must be a positive integer, got ${stride}`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new PointDescriptorMismatchError(`point count must be a non-negative integer, got ${count}`);
  }
  if (count > maxPoints) {
    throw new PointCountOverCapError(`sweep has ${count} points, the cap is ${maxPoints}`, {
      context: { count, maxPoints },
    });
  }
  const names = new Set<string>();
  for (const f of fields) {
    const size = FIELD_SIZE[f.datatype] as number | undefined;
    if (size === undefined) {
      throw new PointDescriptorMismatchError(`field ${f.name} has unknown datatype ${f.datatype}`);
    }
    if (!Number.isInteger(f.offset) || f.offset < 0 || f.offset + size > stride) {
      throw new PointDescriptorMismatchError(
        `field ${f.name} (${f.datatype} at offset ${f.offset}) does not fit in a ${stride}-byte point`,
      );
    }
    if (names.has(f.name)) throw new PointDescriptorMismatchError(`field ${f.name} appears twice`);
    names.add(f.name);
  }
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && prev.offset + FIELD_SIZE[prev.datatype] > cur.offset) {
      throw new PointDescriptorMismatchError(`fields ${prev.name} and ${cur.name} overlap`);
    }
  }
  for (const axis of XYZ) {
    if (!names.has(axis)) throw new PointDescriptorMismatchError(`descriptor has no ${axis} field`);
  }
  if (byteLength % stride !== 0) {
    if (byteLength < count * stride) {
      throw new TruncatedPointBufferError(
        `buffer of ${byteLength} bytes ends inside point ${Math.floor(byteLength / stride)} (stride ${stride}, ${count} points declared)`,
        { context: { byteLength, stride, count } },
      );
    }
    throw new BadPointStrideError(`stride ${stride} does not divide the buffer length ${byteLength}`, {
      context: { byteLength, stride },
    });
  }
  if (byteLength < count * stride) {
    throw new TruncatedPointBufferError(
      `buffer holds ${byteLength / stride} points, descriptor declares ${count}`,
      { context: { byteLength, stride, count } },
    );
  }
  if (byteLength > count * stride) {
    throw new PointDescriptorMismatchError(
      `buffer holds ${byteLength / stride} points, descriptor declares ${count}`,
      { context: { byteLength, stride, count } },
    );
  }
}

/** View interleaved point bytes (a LidarScan payload) through its descriptor. No copy. */
export function viewPoints(bytes: Uint8Array, layout: PointLayout, options: ViewOptions = {}): PointBufferView {
  validateLayout(bytes.byteLength, layout, options);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  const get = (name: string): PointField | undefined => byName.get(name);
  const { stride, count } = layout;
  const fx = get('x');
  const fy = get('y');
  const fz = get('z');
  if (!fx || !fy || !fz) throw new PointDescriptorMismatchError('descriptor has no x/y/z field');
  const fi = get('intensity') ?? get('reflectance') ?? get('i');
  const fr = get('ring');
  const ft = get('time') ?? get('t') ?? get('timestamp');
  const readers = {
    x: fieldReader(dv, fx),
    y: fieldReader(dv, fy),
    z: fieldReader(dv, fz),
    intensity: fi ? fieldReader(dv, fi) : () => 0,
    ring: fr ? fieldReader(dv, fr) : () => 0,
    time: ft ? fieldReader(dv, ft) : () => 0,
  };
  const allFloat32Aligned =
    fx.datatype === 'float32' &&
    fy.datatype === 'float32' &&
    fz.datatype === 'float32' &&
    (fi === undefined || fi.datatype === 'float32') &&
    stride % 4 === 0 &&
    fx.offset % 4 === 0 &&
    fy.offset % 4 === 0 &&
    fz.offset % 4 === 0 &&
    (fi === undefined || fi.offset % 4 === 0) &&
    bytes.byteOffset % 4 === 0;

  return {
    count,
    stride,
    hasIntensity: fi !== undefined,
    hasRing: fr !== undefined,
    hasTime: ft !== undefined,
    readField: (name, index) => readers[name](index * stride),
    toCloud(): PointCloud {
      const out = createCloud(count);
      if (allFloat32Aligned) {
        // Fast path: a Float32Array view on the message bytes, read with a stride.
        const f = new Float32Array(bytes.buffer, bytes.byteOffset, (count * stride) / 4);
        const s = stride / 4;
        const ox = fx.offset / 4;
        const oy = fy.offset / 4;
        const oz = fz.offset / 4;
        const oi = fi ? fi.offset / 4 : -1;
        for (let i = 0, b = 0; i < count; i++, b += s) {
          out.x[i] = f[b + ox] ?? Number.NaN;
          out.y[i] = f[b + oy] ?? Number.NaN;
          out.z[i] = f[b + oz] ?? Number.NaN;
          out.intensity[i] = oi >= 0 ? (f[b + oi] ?? 0) : 0;
        }
        return out;
      }
      for (let i = 0, b = 0; i < count; i++, b += stride) {
        out.x[i] = readers.x(b);
        out.y[i] = readers.y(b);
        out.z[i] = readers.z(b);
        out.intensity[i] = readers.intensity(b);
      }
      return out;
    },
  };
}

/** Layout of KITTI velodyne `.bin`: float32 x, y, z, reflectance. */
export function kittiLayout(count: number): PointLayout {
  return {
    stride: 16,
    count,
    fields: [
      { name: 'x', offset: 0, datatype: 'float32' },
      { name: 'y', offset: 4, datatype: 'float32' },
      { name: 'z', offset: 8, datatype: 'float32' },
      { name: 'intensity', offset: 12, datatype: 'float32' },
    ],
  };
}

/** Layout of nuScenes `.pcd.bin`: float32 x, y, z, intensity, ring. */
export function nuscenesLayout(count: number): PointLayout {
  return {
    stride: 20,
    count,
    fields: [
      { name: 'x', offset: 0, datatype: 'float32' },
      { name: 'y', offset: 4, datatype: 'float32' },
      { name: 'z', offset: 8, datatype: 'float32' },
      { name: 'intensity', offset: 12, datatype: 'float32' },
      { name: 'ring', offset: 16, datatype: 'float32' },
    ],
  };
}
