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

// FusedTrack gained `attention` (["null", ModalityAttention], default null): the learned fusion's weights per
// modality. Same two directions against the schema before it.
describe('FusedTrack.attention schema evolution', () => {
  type Field = { name: string; type: unknown };
  const withoutAttention = JSON.parse(JSON.stringify(fusedDetectionsSchema)) as { fields: Field[] };
  const tracksField = withoutAttention.fields.find((f) => f.name === 'tracks') as { type: { items: { fields: Field[] } } };
  tracksField.type.items.fields = tracksField.type.items.fields.filter((f) => f.name !== 'attention');
  const older = avro.Type.forSchema(withoutAttention as unknown as avro.Schema, { ...OPTIONS });
  const track = {
    trackId: 7, state: 'confirmed' as const, position: { x: 12.5, y: -1, z: 0.8 }, extent: { x: 4.5, y: 1.8, z: 1.5 }, yawRad: 0.1,
    velocity: { x: 5, y: 0, z: 0 }, objectClass: 'car' as const, score: 0.75, contributingModalities: ['camera' as const, 'lidar' as const], ageUs: 300_000,
  };
  const oldRecord = { ...frame, tracks: [track], deviceState: [] };

  it('a new reader gives attention null to the tracks of a record written before the field existed', () => {
    const read = current.fromBuffer(older.toBuffer(oldRecord), current.createResolver(older)) as FusedDetections;
    expect(read.tracks).toEqual([{ ...track, attention: null }]);
  });

  it('an old reader skips the attention of a new record and reads the track unchanged', () => {
    // 0.25 and 0.75 are exact in float32, so the round trip is exact.
    const newRecord: FusedDetections = { ...oldRecord, tracks: [{ ...track, attention: { camera: 0.75, lidar: 0.25, audio: 0 } }] };
    const read = older.fromBuffer(current.toBuffer(newRecord), older.createResolver(current)) as FusedDetections;
    expect(read).toEqual(oldRecord);
    expect('attention' in (read.tracks[0] ?? {})).toBe(false);
    // And the new reader gets the weights back.
    expect((current.fromBuffer(current.toBuffer(newRecord)) as FusedDetections).tracks[0]?.attention).toEqual({ camera: 0.75, lidar: 0.25, audio: 0 });
  });
});
