import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { EARLIER_SCHEMA_VERSIONS } from './earlier.js';
import { lidarObjectsSchema, type LidarObjects } from './index.js';

// LidarObjects gained `fragments` (array, default []): a far object's few returns, depth hints for fusion. LIDAR
// workers and fusion workers are upgraded one at a time, so both directions must resolve against the schema before it.
const OPTIONS = { wrapUnions: 'auto' } as const;
const current = avro.Type.forSchema(lidarObjectsSchema as unknown as avro.Schema, { ...OPTIONS });
// The earlier version readers register (earlier.ts): the schema without the field.
const [earlier] = EARLIER_SCHEMA_VERSIONS.LidarObjects;
const before = avro.Type.forSchema(earlier as unknown as avro.Schema, { ...OPTIONS });

const sweep: LidarObjects = {
  rigId: 'rig-1', sensorId: 'lidar_top', seq: 12, captureTimeUs: 1_700_000_000_000_000, publishTimeUs: 1_700_000_000_030_000, frameId: 'lidar_top',
  objects: [{ clusterId: 0, centroid: { x: 12, y: -1.5, z: -0.9 }, extent: { x: 4.4, y: 1.8, z: 1.5 }, yawRad: 0.05, pointCount: 180, meanIntensity: 0.375, classHint: 'car' }],
  inputPointCount: 32_768, noiseFraction: 0.0625, reliability: 0.9375, // float32 fields: exactly representable values
};

describe('LidarObjects.fragments schema evolution', () => {
  it('the earlier version is the current schema without fragments, field for field', () => {
    expect(earlier.fields.map((f) => f.name)).toEqual(lidarObjectsSchema.fields.map((f) => f.name).filter((n) => n !== 'fragments'));
  });

  it('a new reader (fusion) fills [] into a sweep written before the field existed', () => {
    const read = current.fromBuffer(before.toBuffer(sweep), current.createResolver(before)) as LidarObjects;
    expect(read).toEqual({ ...sweep, fragments: [] });
  });

  it('an old reader skips the fragments of a new sweep and reads everything else', () => {
    const withFragments: LidarObjects = { ...sweep, fragments: [{ centroid: { x: 41.2, y: 3.1, z: -0.6 }, pointCount: 3 }] };
    const read = before.fromBuffer(current.toBuffer(withFragments), before.createResolver(current)) as LidarObjects;
    expect(read).toEqual(sweep);
    expect('fragments' in read).toBe(false);
  });

  it('a writer that leaves the optional field out writes the default', () => {
    expect(current.fromBuffer(current.toBuffer(sweep))).toEqual({ ...sweep, fragments: [] });
  });
});
