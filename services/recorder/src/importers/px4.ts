import { MessageType, ULog } from '@foxglove/ulog';
import { FileReader } from '@foxglove/ulog/node.js';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { motionSampleSchema, rigCalibrationSchema, type GnssFixType, type MotionSample, type RigCalibration } from '@sensorfuse/schemas';
import { DatasetFormatError } from '../errors.js';
import { contentType, type ImportedRecord } from './common.js';

export interface Px4ImportOptions {
  /** The .ulg file. */
  readonly file: string;
  readonly rigId?: string;
}

const registry = new SchemaRegistry();
const motionCodec = createCodec<MotionSample>(registry, motionSampleSchema);
const calibrationCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** PX4 fix_type: 0-1 none, 2 2D, 3 3D, 4 DGPS/SBAS, 5 RTK float, 6 RTK fixed. */
function fixType(n: number): GnssFixType {
  if (n <= 1) return 'no_fix';
  if (n <= 3) return 'fix';
  if (n === 4) return 'sbas_fix';
  if (n === 5) return 'rtk_float';
  return n === 6 ? 'rtk_fixed' : 'unknown';
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN;
}

function vec(v: unknown, what: string): [number, number, number] {
  if (!Array.isArray(v) || v.length < 3) throw new DatasetFormatError(`ULog ${what}: expected 3 numbers`);
  return [num(v[0]), num(v[1]), num(v[2])];
}

/**
 * A PX4 ULog as records on raw.motion: `sensor_combined` → ImuSample (sensorId "imu"),
 * `vehicle_gps_position` → GnssFix (sensorId "gnss"), plus a RigCalibration with both at the body
 * origin. PX4 logs body vectors in FRD; Sensorfuse uses FLU, so y and z are negated. Times are µs
 * since boot in the log; the first GPS message's time_utc_usec − timestamp moves them to the Unix
 * epoch (a log without GPS fails: its times cannot be placed).
 */
export async function px4Records(options: Px4ImportOptions): Promise<ImportedRecord[]> {
  const rigId = options.rigId ?? 'px4';
  const reader = new FileReader(options.file);
  try {
    return await readPx4(options, rigId, new ULog(reader));
  } finally {
    await reader.close().catch(() => undefined);
  }
}

async function readPx4(options: Px4ImportOptions, rigId: string, ulog: ULog): Promise<ImportedRecord[]> {
  try {
    await ulog.open();
  } catch (cause) {
    throw new DatasetFormatError(`${options.file}: not a readable ULog file: ${(cause as Error).message}`, { cause, context: { file: options.file } });
  }
  const raw: { name: string; v: Record<string, unknown> }[] = [];
  let epochOffsetUs: number | undefined;
  for await (const msg of ulog.readMessages()) {
    if (msg.type !== MessageType.Data) continue;
    const name = ulog.subscriptions.get(msg.msgId)?.name ?? '';
    if (name !== 'sensor_combined' && name !== 'vehicle_gps_position') continue;
    const v = msg.value as Record<string, unknown>;
    if (name === 'vehicle_gps_position' && epochOffsetUs === undefined && num(v.time_utc_usec) > 0) epochOffsetUs = num(v.time_utc_usec) - num(v.timestamp);
    raw.push({ name, v });
  }
  if (epochOffsetUs === undefined) throw new DatasetFormatError(`${options.file}: no vehicle_gps_position with UTC time to anchor the log`, { context: { file: options.file } });
  const offset = epochOffsetUs;
  const records: ImportedRecord[] = [];
  let imuSeq = 0;
  let gnssSeq = 0;
  for (const { name, v } of raw) {
    const t = Math.round(num(v.timestamp) + offset);
    if (name === 'sensor_combined') {
      const g = vec(v.gyro_rad, 'sensor_combined.gyro_rad');
      const a = vec(v.accelerometer_m_s2, 'sensor_combined.accelerometer_m_s2');
      records.push({
        topic: 'raw.motion', key: rigId, captureTimeUs: t, headers: contentType('MotionSample'),
        value: motionCodec.encode({
          rigId, sensorId: 'imu', seq: imuSeq++, captureTimeUs: t, publishTimeUs: t, frameId: 'imu',
          payload: { 'sensorfuse.ImuSample': { linearAcceleration: { x: a[0], y: -a[1], z: -a[2] }, angularVelocity: { x: g[0], y: -g[1], z: -g[2] }, magneticField: null, orientation: null } },
        }),
      });
    } else {
      // Older logs: lat/lon in 1e-7 degrees and alt in mm; newer: latitude_deg, longitude_deg, altitude_msl_m.
      const lat = v.latitude_deg !== undefined ? num(v.latitude_deg) : num(v.lat) * 1e-7;
      const lon = v.longitude_deg !== undefined ? num(v.longitude_deg) : num(v.lon) * 1e-7;
      const alt = v.altitude_msl_m !== undefined ? num(v.altitude_msl_m) : num(v.alt) * 1e-3;
      const eph = num(v.eph);
      const epv = num(v.epv);
      records.push({
        topic: 'raw.motion', key: rigId, captureTimeUs: t, headers: contentType('MotionSample'),
        value: motionCodec.encode({
          rigId, sensorId: 'gnss', seq: gnssSeq++, captureTimeUs: t, publishTimeUs: t, frameId: 'gnss',
          payload: { 'sensorfuse.GnssFix': { latitudeDeg: lat, longitudeDeg: lon, altitudeM: alt, positionCovariance: [eph * eph, 0, 0, 0, eph * eph, 0, 0, 0, epv * epv], covarianceType: 'approximated', fixType: fixType(num(v.fix_type)) } },
        }),
      });
    }
  }
  records.sort((x, y) => x.captureTimeUs - y.captureTimeUs);
  const start = records[0]?.captureTimeUs ?? 0;
  const sensor = (sensorId: string): RigCalibration['sensors'][number] => ({
    sensorId, modality: 'motion', frameId: sensorId,
    extrinsics: { parentFrameId: 'base_link', childFrameId: sensorId, transform: IDENTITY },
    cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
  });
  const calibration: ImportedRecord = {
    topic: 'calibration.rig', key: rigId, captureTimeUs: start, headers: contentType('RigCalibration'),
    value: calibrationCodec.encode({ rigId, version: 1, validFromUs: start, sensors: [sensor('imu'), sensor('gnss')] }),
  };
  return [calibration, ...records];
}
