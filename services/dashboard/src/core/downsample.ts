import type { LidarScan } from '@sensorfuse/schemas';
import { UnreadableScanError } from '../errors.js';

/**
 * Every k-th point's (x, y, z) of a scan, at most `maxPoints` of them, as a packed Float32Array.
 * Decimation by stride keeps the scan's ring structure evenly thinned, which is what a bird's-eye
 * view needs; no allocation per point.
 */
export function downsampleScan(scan: LidarScan, maxPoints: number): Float32Array {
  const field = (name: string): number => {
    const f = scan.fields.find((candidate) => candidate.name === name);
    if (f?.datatype !== 'float32') {
      throw new UnreadableScanError(`expected a float32 "${name}" point field, found ${f === undefined ? 'none' : f.datatype}`, { sensorId: scan.sensorId });
    }
    return f.offset;
  };
  const ox = field('x');
  const oy = field('y');
  const oz = field('z');
  const stride = scan.pointStride;
  const available = Math.min(scan.pointCount, Math.floor(scan.data.byteLength / stride));
  const step = Math.max(1, Math.ceil(available / Math.max(1, maxPoints)));
  const shown = Math.ceil(available / step);
  const out = new Float32Array(shown * 3);
  const view = new DataView(scan.data.buffer, scan.data.byteOffset, scan.data.byteLength);
  let j = 0;
  for (let i = 0; i < available; i += step) {
    const base = i * stride;
    out[j++] = view.getFloat32(base + ox, true);
    out[j++] = view.getFloat32(base + oy, true);
    out[j++] = view.getFloat32(base + oz, true);
  }
  return out;
}
