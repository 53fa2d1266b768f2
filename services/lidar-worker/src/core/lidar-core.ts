import { SensorfuseError } from '@sensorfuse/errors';
import { processScan, type ClassHint, type LidarParams, type ObjectBox, type PointField } from '@sensorfuse/pointcloud';
import type { LidarObject, LidarObjects, LidarScan, ObjectClass } from '@sensorfuse/schemas';
import type { Micros } from '@sensorfuse/time';
import { EmptyScanError, UnsupportedPointFieldError } from './errors.js';

export interface LidarCoreOptions {
  readonly params: LidarParams;
  /** A vehicle-sized box at least this long is a truck, shorter a car. */
  readonly truckMinLengthM: number;
  /** What a sweep with no valid point becomes. */
  readonly emptyScan: 'dead-letter' | 'publish-empty';
  /** Clock for the output's publishTimeUs (injected: the core reads no clock itself). */
  readonly nowUs: () => Micros;
}

/** Fields the chain reads; each must be a scalar. */
const READ_FIELDS = new Set(['x', 'y', 'z', 'intensity', 'reflectance', 'ring', 'time']);

/**
 * The descriptor of a LidarScan as the point-cloud package reads it. Scalar fields pass through;
 * array fields the chain never reads (count > 1, e.g. a padding block) are left out, since the
 * stride already skips them; an array-valued x/y/z/intensity is rejected.
 */
export function scanFields(scan: LidarScan): PointField[] {
  const fields: PointField[] = [];
  for (const f of scan.fields) {
    if (f.count === 1) fields.push({ name: f.name, offset: f.offset, datatype: f.datatype });
    else if (READ_FIELDS.has(f.name)) {
      throw new UnsupportedPointFieldError(`point field ${f.name} must be a scalar (count 1), found count ${f.count}`, {
        context: { sensorId: scan.sensorId, rigId: scan.rigId, field: f.name },
      });
    }
  }
  return fields;
}

function objectClass(hint: ClassHint, lengthM: number, truckMinLengthM: number): ObjectClass {
  switch (hint) {
    case 'vehicle':
      return lengthM >= truckMinLengthM ? 'truck' : 'car';
    case 'pedestrian':
      return 'pedestrian';
    case 'cyclist':
      return 'cyclist';
    case 'unknown':
      return 'unknown';
  }
}

function toLidarObject(box: ObjectBox, clusterId: number, truckMinLengthM: number): LidarObject {
  return {
    clusterId,
    centroid: { x: box.centerX, y: box.centerY, z: box.centerZ },
    extent: { x: box.length, y: box.width, z: box.height },
    yawRad: box.yaw,
    pointCount: box.pointCount,
    meanIntensity: box.meanIntensity,
    classHint: objectClass(box.classHint, box.length, truckMinLengthM),
  };
}

/**
 * LidarScan → LidarObjects: one sweep through shared/pointcloud's chain (invalid/range/crop/ego,
 * voxel grid, weather noise, outliers, ground, Euclidean clusters, oriented boxes). Stateless per
 * sweep, pure apart from the injected clock. Malformed sweeps throw PoisonRecordErrors (→ DLQ).
 */
export class LidarCore {
  private readonly options: LidarCoreOptions;

  constructor(options: LidarCoreOptions) {
    this.options = options;
  }

  update(scan: LidarScan): LidarObjects[] {
    const { params, truckMinLengthM } = this.options;
    const layout = { fields: scanFields(scan), stride: scan.pointStride, count: scan.pointCount };
    let result;
    try {
      result = processScan({ bytes: scan.data, layout }, params);
    } catch (error) {
      throw error instanceof SensorfuseError ? error.withContext({ sensorId: scan.sensorId, rigId: scan.rigId, seq: scan.seq }) : error;
    }
    const header = {
      rigId: scan.rigId,
      sensorId: scan.sensorId,
      // One output per sweep: the sweep's seq, so a gap downstream still means a lost sweep.
      seq: scan.seq,
      captureTimeUs: scan.captureTimeUs,
      frameId: scan.frameId,
      inputPointCount: scan.pointCount,
    };
    if (result.status.kind === 'empty') {
      const { reason } = result.status;
      if (this.options.emptyScan === 'dead-letter') {
        const stats = result.counts.prefilter;
        throw new EmptyScanError(
          reason,
          reason === 'no-points'
            ? `sweep ${scan.seq} of ${scan.sensorId} has no points`
            : `sweep ${scan.seq} of ${scan.sensorId} has no valid point: ${stats.input} points, ${stats.invalid} NaN/Inf/zero, ${stats.outOfRange} out of range, ${stats.cropped} cropped, ${stats.ego} on the ego body`,
          { context: { sensorId: scan.sensorId, rigId: scan.rigId } },
        );
      }
      // A flagged empty result: no objects, and fusion must not trust this LIDAR now.
      return [{ ...header, publishTimeUs: this.options.nowUs(), objects: [], noiseFraction: 1, reliability: 0 }];
    }
    return [
      {
        ...header,
        publishTimeUs: this.options.nowUs(),
        objects: result.objects.map((box, i) => toLidarObject(box, i, truckMinLengthM)),
        noiseFraction: result.noiseFraction,
        reliability: result.reliability,
        fragments: result.fragments.map((f) => ({ centroid: { x: f.x, y: f.y, z: f.z }, pointCount: f.pointCount })),
      },
    ];
  }
}
