import type { Codec } from '@sensorfuse/codec';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import type { AudioChunk, CameraFrame, GroundTruth, LidarScan, MotionSample, RigCalibration as WireRigCalibration, SensorReading } from '@sensorfuse/schemas';
import { audioChunkSchema, cameraFrameSchema, groundTruthSchema, lidarScanSchema, motionSampleSchema, rigCalibrationSchema, sensorReadingSchema } from '@sensorfuse/schemas';
import type { Bus, OutgoingRecord } from '@sensorfuse/transport';
import type { SimRecord } from '../core/records.js';
import { toGroundTruth, toWire } from './wire.js';

/** Ground truth travels as Avro GroundTruth on its own topic (never mixed into raw.*). */
export const TRUTH_TOPIC = 'sim.truth';
export const CALIBRATION_TOPIC = 'calibration.rig';

export interface PublishOptions {
  readonly bus: Bus;
  /** Registry to register the writer schemas in (default: a new one). */
  readonly registry?: SchemaRegistry;
  /** Publish ground truth to TRUTH_TOPIC ('publish', default) or not. */
  readonly truth?: 'publish' | 'omit';
  /** Prefix for every topic (e.g. a test's random namespace); default none. */
  readonly topicPrefix?: string;
}

export interface PublishStats {
  readonly records: Readonly<Record<string, number>>;
  readonly bytes: number;
}

function contentType(schemaName: string): string {
  return `application/vnd.sensorfuse.${schemaName.toLowerCase()}`;
}

/**
 * Encode every record of a simulation with the Avro single-object codec and publish it, keyed by
 * rig id, to raw.camera / raw.lidar / raw.audio / raw.motion / raw.sensor (and ground truth as Avro GroundTruth
 * to sim.truth). One record per publish call, awaited, so the bus sees delivery order.
 */
export async function publishSimulation(records: AsyncIterable<SimRecord>, options: PublishOptions): Promise<PublishStats> {
  const registry = options.registry ?? new SchemaRegistry();
  const codecs = {
    CameraFrame: createCodec<CameraFrame>(registry, cameraFrameSchema),
    LidarScan: createCodec<LidarScan>(registry, lidarScanSchema),
    AudioChunk: createCodec<AudioChunk>(registry, audioChunkSchema),
    MotionSample: createCodec<MotionSample>(registry, motionSampleSchema),
    SensorReading: createCodec<SensorReading>(registry, sensorReadingSchema),
    GroundTruth: createCodec<GroundTruth>(registry, groundTruthSchema),
  };
  const prefix = options.topicPrefix ?? '';
  const counts: Record<string, number> = {};
  let bytes = 0;
  const send = async (topic: string, record: OutgoingRecord): Promise<void> => {
    await options.bus.publish(`${prefix}${topic}`, [record]);
    counts[topic] = (counts[topic] ?? 0) + 1;
    bytes += record.value.byteLength;
  };
  let sensorTopicReady = false;
  for await (const r of records) {
    if (r.kind === 'device' && !sensorTopicReady) {
      await ensureCoPartitioned(options.bus, `${prefix}raw.sensor`, [`${prefix}raw.motion`, `${prefix}raw.lidar`, `${prefix}raw.camera`, `${prefix}raw.audio`]);
      sensorTopicReady = true;
    }
    if (r.kind === 'truth') {
      if (options.truth === 'omit') continue;
      await send(TRUTH_TOPIC, { key: r.rigId, value: codecs.GroundTruth.encode(toGroundTruth(r)), headers: { 'content-type': contentType('GroundTruth') } });
      continue;
    }
    const w = toWire(r);
    let value: Buffer;
    switch (w.schema) {
      case 'CameraFrame':
        value = codecs.CameraFrame.encode(w.value);
        break;
      case 'LidarScan':
        value = codecs.LidarScan.encode(w.value);
        break;
      case 'AudioChunk':
        value = codecs.AudioChunk.encode(w.value);
        break;
      case 'MotionSample':
        value = codecs.MotionSample.encode(w.value);
        break;
      case 'SensorReading':
        value = codecs.SensorReading.encode(w.value);
        break;
    }
    await send(w.topic, { key: r.rigId, value, headers: { 'content-type': contentType(w.schema) } });
  }
  return { records: counts, bytes };
}

/**
 * raw.sensor is newer than the other raw topics: a pipeline set up before it existed has not
 * created it. Create it with the partition count of the first existing sibling (topics of a
 * pipeline are co-partitioned); with no sibling, leave it (publishing then fails with the bus's
 * UnknownTopicError, as for any other missing topic).
 */
async function ensureCoPartitioned(bus: Bus, topic: string, siblings: readonly string[]): Promise<void> {
  if ((await bus.admin.partitionCount(topic)) !== undefined) return;
  for (const sibling of siblings) {
    const partitions = await bus.admin.partitionCount(sibling);
    if (partitions !== undefined) {
      await bus.admin.createTopics([{ topic, partitions }]);
      return;
    }
  }
}

/** Publish the rig calibration once (Avro RigCalibration, keyed by rig id). */
export async function publishCalibration(bus: Bus, calibration: WireRigCalibration, registry = new SchemaRegistry(), topicPrefix = ''): Promise<void> {
  const codec: Codec<WireRigCalibration> = createCodec<WireRigCalibration>(registry, rigCalibrationSchema);
  await bus.publish(`${topicPrefix}${CALIBRATION_TOPIC}`, [{ key: calibration.rigId, value: codec.encode(calibration), headers: { 'content-type': contentType('RigCalibration') } }]);
}
