import { createCloud, type PointCloud } from './cloud.js';
import { PcdFormatError, PointCountOverCapError } from './errors.js';
import { DEFAULT_MAX_POINTS } from './cloud.js';
import { lzfDecompress } from './lzf.js';

export type PcdDataFormat = 'ascii' | 'binary' | 'binary_compressed';

export interface PcdHeader {
  readonly fields: readonly string[];
  readonly sizes: readonly number[];
  readonly types: readonly ('F' | 'I' | 'U')[];
  readonly counts: readonly number[];
  readonly width: number;
  readonly height: number;
  readonly points: number;
  readonly data: PcdDataFormat;
}

export interface PcdFile {
  readonly header: PcdHeader;
  /** x, y, z and intensity (0 when the file has none). Points with NaN coordinates are kept. */
  readonly cloud: PointCloud;
}

function parseHeader(bytes: Uint8Array): { header: PcdHeader; bodyOffset: number } {
  const keys = new Map<string, string[]>();
  let pos = 0;
  for (;;) {
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const line = new TextDecoder('latin1').decode(bytes.subarray(pos, end)).trim();
    pos = end + 1;
    if (line.length > 0 && !line.startsWith('#')) {
      const parts = line.split(/\s+/);
      const key = (parts[0] ?? '').toUpperCase();
      keys.set(key, parts.slice(1));
      if (key === 'DATA') break;
    }
    if (end >= bytes.length) throw new PcdFormatError('PCD header has no DATA line');
    if (pos > 65536) throw new PcdFormatError('PCD header longer than 64 KiB');
  }
  const fields = keys.get('FIELDS');
  if (!fields || fields.length === 0) throw new PcdFormatError('PCD header has no FIELDS');
  const n = fields.length;
  const sizes = (keys.get('SIZE') ?? []).map(Number);
  const types = keys.get('TYPE') ?? [];
  const counts = (keys.get('COUNT') ?? fields.map(() => '1')).map(Number);
  if (sizes.length !== n || types.length !== n || counts.length !== n) {
    throw new PcdFormatError('PCD FIELDS, SIZE, TYPE and COUNT have different lengths');
  }
  for (let i = 0; i < n; i++) {
    const t = types[i];
    const s = sizes[i] ?? 0;
    if (t !== 'F' && t !== 'I' && t !== 'U') throw new PcdFormatError(`PCD TYPE ${String(t)} is not F, I or U`);
    if (![1, 2, 4, 8].includes(s) || (t === 'F' && s < 4)) throw new PcdFormatError(`PCD SIZE ${s} invalid for ${t}`);
    if (!Number.isInteger(counts[i]) || (counts[i] ?? 0) < 1) throw new PcdFormatError('PCD COUNT must be ≥ 1');
  }
  const width = Number((keys.get('WIDTH') ?? ['0'])[0]);
  const height = Number((keys.get('HEIGHT') ?? ['1'])[0]);
  const points = Number((keys.get('POINTS') ?? [String(width * height)])[0]);
  const data = (keys.get('DATA') ?? [])[0];
  if (data !== 'ascii' && data !== 'binary' && data !== 'binary_compressed') {
    throw new PcdFormatError(`PCD DATA ${String(data)} is not ascii, binary or binary_compressed`);
  }
  if (!Number.isInteger(points) || points < 0 || points !== width * height) {
    throw new PcdFormatError(`PCD POINTS ${points} ≠ WIDTH×HEIGHT ${width}×${height}`);
  }
  return {
    header: { fields, sizes, types: types as ('F' | 'I' | 'U')[], counts, width, height, points, data },
    bodyOffset: pos,
  };
}

function readScalar(dv: DataView, off: number, type: 'F' | 'I' | 'U', size: number): number {
  if (type === 'F') return size === 4 ? dv.getFloat32(off, true) : dv.getFloat64(off, true);
  if (type === 'U') {
    return size === 1 ? dv.getUint8(off) : size === 2 ? dv.getUint16(off, true) : size === 4 ? dv.getUint32(off, true) : Number(dv.getBigUint64(off, true));
  }
  return size === 1 ? dv.getInt8(off) : size === 2 ? dv.getInt16(off, true) : size === 4 ? dv.getInt32(off, true) : Number(dv.getBigInt64(off, true));
}

/** Read a PCD file (v0.7; ascii, binary or binary_compressed). */
export function readPcd(bytes: Uint8Array, options: { maxPoints?: number } = {}): PcdFile {
  const { header, bodyOffset } = parseHeader(bytes);
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  const n = header.points;
  if (n > maxPoints) throw new PointCountOverCapError(`PCD has ${n} points, the cap is ${maxPoints}`);
  const cloud = createCloud(n);
  const fieldIndex = (names: string[]): number => header.fields.findIndex((f) => names.includes(f));
  const ix = fieldIndex(['x']);
  const iy = fieldIndex(['y']);
  const iz = fieldIndex(['z']);
  const ii = fieldIndex(['intensity', 'reflectance', 'i']);
  if (ix < 0 || iy < 0 || iz < 0) throw new PcdFormatError('PCD has no x, y, z fields');
  const wanted = [ix, iy, iz, ii];
  const targets = [cloud.x, cloud.y, cloud.z, cloud.intensity];
  const nf = header.fields.length;
  const fieldBytes = header.sizes.map((s, k) => s * (header.counts[k] ?? 1));
  const offsets: number[] = [];
  let stride = 0;
  for (let k = 0; k < nf; k++) {
    offsets.push(stride);
    stride += fieldBytes[k] ?? 0;
  }

  if (header.data === 'ascii') {
    const text = new TextDecoder('latin1').decode(bytes.subarray(bodyOffset));
    const lines = text.split('\n');
    let p = 0;
    // Each field's first element sits at this token position (COUNT > 1 takes several tokens).
    const tokenPos: number[] = [];
    let t = 0;
    for (let k = 0; k < nf; k++) {
      tokenPos.push(t);
      t += header.counts[k] ?? 1;
    }
    for (const raw of lines) {
      const line = raw.trim();
      if (line.length === 0) continue;
      if (p >= n) throw new PcdFormatError(`PCD ascii body has more than ${n} points`);
      const tok = line.split(/\s+/);
      if (tok.length < t) throw new PcdFormatError(`PCD ascii line ${p} has ${tok.length} values, expected ${t}`);
      for (let w = 0; w < 4; w++) {
        const k = wanted[w] ?? -1;
        const arr = targets[w];
        if (k < 0 || !arr) continue;
        const s = tok[tokenPos[k] ?? 0] ?? 'nan';
        arr[p] = s.toLowerCase() === 'nan' ? Number.NaN : Number(s);
      }
      p++;
    }
    if (p !== n) throw new PcdFormatError(`PCD ascii body has ${p} points, header says ${n}`);
    return { header, cloud };
  }

  if (header.data === 'binary') {
    const need = n * stride;
    if (bytes.length - bodyOffset < need) {
      throw new PcdFormatError(`PCD binary body has ${bytes.length - bodyOffset} bytes, expected ${need}`);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset + bodyOffset, need);
    for (let w = 0; w < 4; w++) {
      const k = wanted[w] ?? -1;
      const arr = targets[w];
      if (k < 0 || !arr) continue;
      const type = header.types[k] ?? 'F';
      const size = header.sizes[k] ?? 4;
      const off = offsets[k] ?? 0;
      for (let p = 0, b = off; p < n; p++, b += stride) arr[p] = readScalar(dv, b, type, size);
    }
    return { header, cloud };
  }

  // binary_compressed: u32 compressed size, u32 raw size, LZF data of the fields laid out one after another.
  if (bytes.length - bodyOffset < 8) throw new PcdFormatError('PCD binary_compressed body has no size words');
  const hv = new DataView(bytes.buffer, bytes.byteOffset + bodyOffset, 8);
  const compressed = hv.getUint32(0, true);
  const rawSize = hv.getUint32(4, true);
  if (rawSize !== n * stride) throw new PcdFormatError(`PCD binary_compressed raw size ${rawSize} ≠ ${n * stride}`);
  if (bytes.length - bodyOffset - 8 < compressed) throw new PcdFormatError('PCD binary_compressed body is truncated');
  const raw = lzfDecompress(bytes.subarray(bodyOffset + 8, bodyOffset + 8 + compressed), rawSize);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let fieldStart = 0;
  const starts: number[] = [];
  for (let k = 0; k < nf; k++) {
    starts.push(fieldStart);
    fieldStart += (fieldBytes[k] ?? 0) * n;
  }
  for (let w = 0; w < 4; w++) {
    const k = wanted[w] ?? -1;
    const arr = targets[w];
    if (k < 0 || !arr) continue;
    const type = header.types[k] ?? 'F';
    const size = header.sizes[k] ?? 4;
    const step = fieldBytes[k] ?? size;
    for (let p = 0, b = starts[k] ?? 0; p < n; p++, b += step) arr[p] = readScalar(dv, b, type, size);
  }
  return { header, cloud };
}

/** Write x, y, z, intensity as a PCD v0.7 file (ascii or binary), unorganised (HEIGHT 1). */
export function writePcd(cloud: PointCloud, format: 'ascii' | 'binary' = 'binary'): Uint8Array {
  const n = cloud.length;
  const head =
    `# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\n` +
    `COUNT 1 1 1 1\nWIDTH ${n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${n}\nDATA ${format}\n`;
  const headBytes = new TextEncoder().encode(head);
  if (format === 'ascii') {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(`${cloud.x[i] ?? 0} ${cloud.y[i] ?? 0} ${cloud.z[i] ?? 0} ${cloud.intensity[i] ?? 0}`);
    }
    const body = new TextEncoder().encode(lines.join('\n') + (n > 0 ? '\n' : ''));
    const out = new Uint8Array(headBytes.length + body.length);
    out.set(headBytes);
    out.set(body, headBytes.length);
    return out;
  }
  const out = new Uint8Array(headBytes.length + n * 16);
  out.set(headBytes);
  const dv = new DataView(out.buffer, headBytes.length, n * 16);
  for (let i = 0; i < n; i++) {
    dv.setFloat32(i * 16, cloud.x[i] ?? 0, true);
    dv.setFloat32(i * 16 + 4, cloud.y[i] ?? 0, true);
    dv.setFloat32(i * 16 + 8, cloud.z[i] ?? 0, true);
    dv.setFloat32(i * 16 + 12, cloud.intensity[i] ?? 0, true);
  }
  return out;
}
