import type { Codec } from '@sensorfuse/codec';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import type { AudioChunk, CameraFrame, LidarScan, MotionSample, RigCalibration as WireRigCalibration, SensorReading } from '@sensorfuse/schemas';
import { audioChunkSchema, cameraFrameSchema, lidarScanSchema, motionSampleSchema, rigCalibrationSchema, sensorReadingSchema } from '@sensorfuse/schemas';
import type { Bus, OutgoingRecord } from '@sensorfuse/transport';
import type { SimRecord } from '../core/records.js';
import { toWire } from './wire.js';
import { truthToJson } from './truth-json.js';

/** Ground truth has no Avro schema yet: it travels as JSON on its own topic. */
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
 * rig id, to raw.camera / raw.lidar / raw.audio / raw.motion / raw.sensor (and ground truth as JSON to
 * sim.truth). One record per publish call, awaited, so the bus sees delivery order.
 */
export async function publishSimulation(records: AsyncIterable<SimRecord>, options: PublishOptions): Promise<PublishStats> {
  const registry = options.registry ?? new SchemaRegistry();
  const codecs = {
    CameraFrame: createCodec<CameraFrame>(registry, cameraFrameSchema),
    LidarScan: createCodec<LidarScan>(registry, lidarScanSchema),
    AudioChunk: createCodec<AudioChunk>(registry, audioChunkSchema),
    MotionSample: createCodec<MotionSample>(registry, motionSampleSchema),
    SensorReading: createCodec<SensorReading>(registry, sensorReadingSchema),
  };
  const prefix = options.topicPrefix ?? '';
  const counts: Record<string, number> = {};
  let bytes = 0;
  const send = async (topic: string, record: OutgoingRecord): Promise<void> => {
    await options.bus.publish(`${prefix}${topic}`, [record]);
    counts[topic] = (counts[topic] ?? 0) + 1;
    bytes += record.value.byteLength;
  };
  for await (const r of records) {
    if (r.kind === 'truth') {
      if (options.truth === 'omit') continue;
      await send(TRUTH_TOPIC, { key: r.rigId, value: Buffer.from(JSON.stringify(truthToJson(r))), headers: { 'content-type': 'application/json' } });
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

/** Publish the rig calibration once (Avro RigCalibration, keyed by rig id). */
export async function publishCalibration(bus: Bus, calibration: WireRigCalibration, registry = new SchemaRegistry(), topicPrefix = ''): Promise<void> {
  const codec: Codec<WireRigCalibration> = createCodec<WireRigCalibration>(registry, rigCalibrationSchema);
  await bus.publish(`${topicPrefix}${CALIBRATION_TOPIC}`, [{ key: calibration.rigId, value: codec.encode(calibration), headers: { 'content-type': contentType('RigCalibration') } }]);
}
