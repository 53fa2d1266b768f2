import { kittiLayout, nuscenesLayout, viewPoints, type PointCloud, type ViewOptions } from './cloud.js';
import { BadPointStrideError } from './errors.js';

function countFor(bytes: Uint8Array, stride: number, what: string): number {
  if (bytes.byteLength % stride !== 0) {
    throw new BadPointStrideError(`${what} of ${bytes.byteLength} bytes is not a whole number of ${stride}-byte points`);
  }
  return bytes.byteLength / stride;
}

/** Read a KITTI velodyne `.bin` (float32 x, y, z, reflectance → intensity). */
export function readKittiBin(bytes: Uint8Array, options: ViewOptions = {}): PointCloud {
  return viewPoints(bytes, kittiLayout(countFor(bytes, 16, 'KITTI .bin')), options).toCloud();
}

/** Read a nuScenes `.pcd.bin` (float32 x, y, z, intensity, ring; ring is dropped). */
export function readNuscenesBin(bytes: Uint8Array, options: ViewOptions = {}): PointCloud {
  return viewPoints(bytes, nuscenesLayout(countFor(bytes, 20, 'nuScenes .pcd.bin')), options).toCloud();
}
