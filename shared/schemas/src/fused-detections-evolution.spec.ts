import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { fusedDetectionsSchema, type FusedDetections } from './index.js';

// FusedDetections gained `deviceState` (array, default []). Producers and consumers are upgraded one
// at a time, so both directions of Avro schema resolution must work against the schema before it.
const OPTIONS = { wrapUnions: 'auto' } as const;
const current = avro.Type.forSchema(fusedDetectionsSchema as unknown as avro.Schema, { ...OPTIONS });
const before = avro.Type.forSchema(
  { ...fusedDetectionsSchema, fields: fusedDetectionsSchema.fields.filter((f) => f.name !== 'deviceState') } as unknown as avro.Schema,
  { ...OPTIONS },
);

const frame: FusedDetections = {
  rigId: 'rig-1', seq: 3, captureTimeUs: 1_700_000_000_000_000, publishTimeUs: 1_700_000_000_050_000, frameId: 'base_link',
  tracks: [], presentModalities: ['lidar', 'sensor'], missingModalities: ['camera'],
};

describe('FusedDetections.deviceState schema evolution', () => {
  it('a new reader fills [] into a record written before the field existed', () => {
    const bytes = before.toBuffer(frame);
    const read = current.fromBuffer(bytes, current.createResolver(before)) as FusedDetections;
    expect(read).toEqual({ ...frame, deviceState: [] });
  });

  it('an old reader skips the device states of a new record and reads everything else', () => {
    const withDevices: FusedDetections = {
      ...frame,
      deviceState: [{
        sensorId: 'tyre_pressure', sensorType: 'pressure', unit: 'kPa', values: [240, 241, 239.5, 240.5], std: [0.5, 0.5, 0.5, 0.5], alignMethod: 'held',
        sampleOffsetsUs: [-30_000], outlier: false, stuck: true, outOfRange: false, imputed: false, imputationMethod: 'none', sinceMeasuredUs: 0,
      }],
    };
    const read = before.fromBuffer(current.toBuffer(withDevices), before.createResolver(current)) as FusedDetections;
    expect(read).toEqual(frame);
    expect('deviceState' in read).toBe(false);
  });

  it('a writer that leaves the optional field out writes the default', () => {
    expect(current.fromBuffer(current.toBuffer(frame))).toEqual({ ...frame, deviceState: [] });
  });
});
