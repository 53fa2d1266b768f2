import fs from 'node:fs';
import path from 'node:path';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { lidarScanSchema, rigCalibrationSchema, type LidarScan, type RigCalibration } from '@sensorfuse/schemas';
import { DatasetFormatError } from '../errors.js';
import { contentType, type ImportedRecord } from './common.js';
import { readPcapUdp } from './pcap.js';

/** Ouster sensor metadata: the fields the legacy (firmware ≤ 2.x) lidar packet decoding needs. */
export interface OusterMetadata {
  /** Elevation of each beam, degrees, beam 0 first (top). */
  readonly beamAltitudeAnglesDeg: readonly number[];
  /** Azimuth offset of each beam, degrees. */
  readonly beamAzimuthAnglesDeg: readonly number[];
  /** Columns per sweep (512, 1024, 2048) and sweeps per second, from `lidar_mode` ("1024x10"). */
  readonly columnsPerFrame: number;
  readonly framesPerSecond: number;
  /** Distance from the lidar origin to the beam origin, mm. */
  readonly lidarOriginToBeamOriginMm: number;
  /** Row-major 4×4 lidar → sensor frame transform, translation in mm. */
  readonly lidarToSensorTransform: readonly number[];
}

export interface OusterImportOptions {
  /** The UDP capture (classic libpcap). */
  readonly pcap: string;
  /** The sensor metadata JSON (default: the only `*.json` next to the pcap). */
  readonly metadata?: string;
  readonly rigId?: string;
  readonly sensorId?: string;
  /** UDP destination port of the lidar packets (default 7502). */
  readonly lidarPort?: number;
  /**
   * Used when the metadata has no `lidar_origin_to_beam_origin_mm`: the Ouster SDK's default for a
   * metadata file without a product line (gen 1, 12.163 mm).
   */
  readonly lidarOriginToBeamOriginMm?: number;
  /** Called for each frame id whose sweep is incomplete in the capture (it is not imported). */
  readonly onIncompleteSweep?: (frameId: number, columns: number) => void;
}

/** Legacy lidar packet: 16 columns of header (16 B) + pixels (12 B each) + status (4 B). */
export const OUSTER_COLUMNS_PER_PACKET = 16;
const COLUMN_HEADER_BYTES = 16;
const PIXEL_BYTES = 12;
const STATUS_VALID = 0xffffffff;
/** Ouster SDK defaults for metadata without these fields (gen 1 sensors). */
export const OUSTER_GEN1_LIDAR_ORIGIN_TO_BEAM_ORIGIN_MM = 12.163;
export const OUSTER_DEFAULT_LIDAR_TO_SENSOR = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 36.18, 0, 0, 0, 1] as const;
/** Fields of the imported points: x, y, z (m, sensor frame), intensity (reflectivity as sent), ring (beam index), float32, stride 20. */
export const OUSTER_POINT_STRIDE = 20;

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const calibrationCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);

function numbers(value: unknown, name: string, file: string): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new DatasetFormatError(`${file}: expected ${name} as an array of numbers`, { context: { file } });
  }
  return value as number[];
}

/** Parses an Ouster metadata JSON (sensor config as written by the sensor, Ouster Studio or the SDK). */
export function parseOusterMetadata(text: string, file = 'metadata.json', fallbackOriginToBeamMm = OUSTER_GEN1_LIDAR_ORIGIN_TO_BEAM_ORIGIN_MM): OusterMetadata {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new DatasetFormatError(`${file}: not JSON`, { cause, context: { file } });
  }
  // SDK ≥ 0.10 nests the intrinsics; older files keep them at the top level.
  const beam = (json.beam_intrinsics ?? json) as Record<string, unknown>;
  const lidarIntr = (json.lidar_intrinsics ?? json) as Record<string, unknown>;
  const cfg = (json.config_params ?? json) as Record<string, unknown>;
  const altitude = numbers(beam.beam_altitude_angles, 'beam_altitude_angles', file);
  const azimuth = numbers(beam.beam_azimuth_angles, 'beam_azimuth_angles', file);
  if (altitude.length !== azimuth.length || altitude.length === 0) {
    throw new DatasetFormatError(`${file}: ${altitude.length} altitude and ${azimuth.length} azimuth angles`, { context: { file } });
  }
  const mode = typeof cfg.lidar_mode === 'string' ? cfg.lidar_mode : typeof json.lidar_mode === 'string' ? json.lidar_mode : '';
  const m = /^(\d+)x(\d+)$/.exec(mode);
  if (!m) throw new DatasetFormatError(`${file}: lidar_mode "${mode}" is not <columns>x<rate>`, { context: { file } });
  const origin = beam.lidar_origin_to_beam_origin_mm;
  const transform = lidarIntr.lidar_to_sensor_transform;
  return {
    beamAltitudeAnglesDeg: altitude,
    beamAzimuthAnglesDeg: azimuth,
    columnsPerFrame: Number(m[1]),
    framesPerSecond: Number(m[2]),
    lidarOriginToBeamOriginMm: typeof origin === 'number' ? origin : fallbackOriginToBeamMm,
    lidarToSensorTransform: Array.isArray(transform) && transform.length === 16 ? numbers(transform, 'lidar_to_sensor_transform', file) : [...OUSTER_DEFAULT_LIDAR_TO_SENSOR],
  };
}

/**
 * Per (column, beam): the unit direction and the beam-origin offset in the sensor frame, metres,
 * following Ouster's range-to-XYZ: θe = 2π(1 − col/W), θa = −2π·azimuth/360, φ = 2π·altitude/360,
 * lidar frame x = (r − n)·cos(θe+θa)·cos φ + n·cos θe, y = (r − n)·sin(θe+θa)·cos φ + n·sin θe,
 * z = (r − n)·sin φ, then the lidar → sensor transform.
 */
export class OusterXyzLut {
  readonly direction: Float64Array;
  readonly offset: Float64Array;
  readonly beams: number;
  readonly beamOriginM: number;

  constructor(readonly meta: OusterMetadata) {
    const W = meta.columnsPerFrame;
    const H = meta.beamAltitudeAnglesDeg.length;
    this.beams = H;
    this.direction = new Float64Array(W * H * 3);
    this.offset = new Float64Array(W * H * 3);
    const n = meta.lidarOriginToBeamOriginMm / 1000;
    this.beamOriginM = n;
    const T = meta.lidarToSensorTransform;
    const t = (i: number): number => T[i] ?? 0;
    for (let col = 0; col < W; col++) {
      const encoder = 2 * Math.PI * (1 - col / W);
      for (let b = 0; b < H; b++) {
        const azimuth = (-2 * Math.PI * (meta.beamAzimuthAnglesDeg[b] ?? 0)) / 360;
        const altitude = (2 * Math.PI * (meta.beamAltitudeAnglesDeg[b] ?? 0)) / 360;
        const dl = [Math.cos(encoder + azimuth) * Math.cos(altitude), Math.sin(encoder + azimuth) * Math.cos(altitude), Math.sin(altitude)] as const;
        // offset in the lidar frame: n·(cos θe, sin θe, 0) − n·direction; translation of T is in mm
        const ol = [n * Math.cos(encoder) - n * dl[0], n * Math.sin(encoder) - n * dl[1], -n * dl[2]] as const;
        const i = (col * H + b) * 3;
        for (let r = 0; r < 3; r++) {
          this.direction[i + r] = t(r * 4) * dl[0] + t(r * 4 + 1) * dl[1] + t(r * 4 + 2) * dl[2];
          this.offset[i + r] = t(r * 4) * ol[0] + t(r * 4 + 1) * ol[1] + t(r * 4 + 2) * ol[2] + t(r * 4 + 3) / 1000;
        }
      }
    }
  }
}

/** One complete sweep decoded from the capture. */
export interface OusterSweep {
  readonly frameId: number;
  /** Capture time of the sweep's first packet (µs since the epoch). */
  readonly captureTimeUs: number;
  /** Sensor timestamp of column 0 (ns, from the sensor's clock: boot time, PTP or sync pulse). */
  readonly firstColumnTimestampNs: bigint;
  /** Packed float32 x, y, z, intensity, ring per return (range > 0), column by column. */
  readonly data: Buffer;
  readonly pointCount: number;
}

interface OpenFrame {
  frameId: number;
  captureTimeUs: number;
  /** Column payloads by measurement id. */
  columns: (Buffer | undefined)[];
  received: number;
}

/** Decodes legacy Ouster lidar packets into complete sweeps (columns in any order within a frame). */
export class OusterSweepAssembler {
  readonly #lut: OusterXyzLut;
  readonly #packetBytes: number;
  readonly #columnBytes: number;
  #open: OpenFrame | undefined;
  /** Frames that ended incomplete (frame id, columns received). */
  readonly incomplete: { frameId: number; columns: number }[] = [];
  packetsRejected = 0;

  constructor(readonly meta: OusterMetadata) {
    this.#lut = new OusterXyzLut(meta);
    this.#columnBytes = COLUMN_HEADER_BYTES + meta.beamAltitudeAnglesDeg.length * PIXEL_BYTES + 4;
    this.#packetBytes = this.#columnBytes * OUSTER_COLUMNS_PER_PACKET;
  }

  get packetBytes(): number {
    return this.#packetBytes;
  }

  /** Adds one lidar packet; returns the sweep it completed, if any. */
  push(packet: Buffer, timeUs: number): OusterSweep[] {
    if (packet.length !== this.#packetBytes) {
      this.packetsRejected++;
      return [];
    }
    const out: OusterSweep[] = [];
    const W = this.meta.columnsPerFrame;
    for (let c = 0; c < OUSTER_COLUMNS_PER_PACKET; c++) {
      const col = packet.subarray(c * this.#columnBytes, (c + 1) * this.#columnBytes);
      if (col.readUInt32LE(this.#columnBytes - 4) !== STATUS_VALID) continue;
      const measurementId = col.readUInt16LE(8);
      const frameId = col.readUInt16LE(10);
      if (measurementId >= W) continue;
      if (this.#open?.frameId !== frameId) {
        const done = this.#close();
        if (done) out.push(done);
        this.#open = { frameId, captureTimeUs: timeUs, columns: new Array<Buffer | undefined>(W), received: 0 };
      }
      const open = this.#open;
      if (open.columns[measurementId] === undefined) open.received++;
      open.columns[measurementId] = col;
      if (open.received === W) {
        const done = this.#close();
        if (done) out.push(done);
      }
    }
    return out;
  }

  /** Ends the capture: an open, incomplete frame is recorded as incomplete. */
  finish(): OusterSweep[] {
    const done = this.#close();
    return done ? [done] : [];
  }

  #close(): OusterSweep | undefined {
    const open = this.#open;
    this.#open = undefined;
    if (!open) return undefined;
    const W = this.meta.columnsPerFrame;
    if (open.received < W) {
      this.incomplete.push({ frameId: open.frameId, columns: open.received });
      return undefined;
    }
    const H = this.#lut.beams;
    const out = new Float32Array(W * H * 5);
    const dir = this.#lut.direction;
    const off = this.#lut.offset;
    let n = 0;
    let firstTs = 0n;
    for (let m = 0; m < W; m++) {
      const col = open.columns[m];
      if (!col) continue;
      if (m === 0) firstTs = col.readBigUInt64LE(0);
      for (let b = 0; b < H; b++) {
        const p = COLUMN_HEADER_BYTES + b * PIXEL_BYTES;
        const rangeMm = col.readUInt32LE(p) & 0x000fffff;
        if (rangeMm === 0) continue;
        const r = rangeMm / 1000;
        const i = (m * H + b) * 3;
        const o = n * 5;
        out[o] = (dir[i] ?? 0) * r + (off[i] ?? 0);
        out[o + 1] = (dir[i + 1] ?? 0) * r + (off[i + 1] ?? 0);
        out[o + 2] = (dir[i + 2] ?? 0) * r + (off[i + 2] ?? 0);
        out[o + 3] = col.readUInt16LE(p + 4);
        out[o + 4] = b;
        n++;
      }
    }
    return {
      frameId: open.frameId,
      captureTimeUs: open.captureTimeUs,
      firstColumnTimestampNs: firstTs,
      data: Buffer.from(out.buffer, 0, n * OUSTER_POINT_STRIDE),
      pointCount: n,
    };
  }
}

function metadataPath(options: OusterImportOptions): string {
  if (options.metadata !== undefined) return options.metadata;
  const dir = path.dirname(options.pcap);
  const candidates = fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.json'));
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only === undefined) {
    throw new DatasetFormatError(`${dir}: expected exactly one Ouster metadata *.json next to the pcap, found ${candidates.length}; pass metadata`, { context: { dir } });
  }
  return path.join(dir, only);
}

/**
 * An Ouster UDP capture (legacy lidar packet format, firmware ≤ 2.x) as records: a RigCalibration
 * (the sensor at the rig origin, points already in the sensor frame), then one LidarScan on
 * raw.lidar per complete sweep (frame id), x, y, z in metres in the sensor frame, intensity =
 * reflectivity, ring = beam index (0 = top), returns with range 0 left out.
 */
export function* ousterRecords(options: OusterImportOptions): Generator<ImportedRecord> {
  const rigId = options.rigId ?? 'ouster';
  const sensorId = options.sensorId ?? 'os1';
  const port = options.lidarPort ?? 7502;
  const metaFile = metadataPath(options);
  const meta = parseOusterMetadata(fs.readFileSync(metaFile, 'utf8'), metaFile, options.lidarOriginToBeamOriginMm);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(options.pcap);
  } catch (cause) {
    throw new DatasetFormatError(`${options.pcap}: cannot be read`, { cause, context: { file: options.pcap } });
  }
  const assembler = new OusterSweepAssembler(meta);
  const periodUs = Math.round(1e6 / meta.framesPerSecond);
  let seq = 0;
  let calibrated = false;
  const fields = ['x', 'y', 'z', 'intensity', 'ring'].map((name, i) => ({ name, offset: i * 4, datatype: 'float32' as const, count: 1 }));
  const emit = function* (sweep: OusterSweep): Generator<ImportedRecord> {
    const t = sweep.captureTimeUs;
    if (!calibrated) {
      calibrated = true;
      yield {
        topic: 'calibration.rig', key: rigId, captureTimeUs: t, headers: contentType('RigCalibration'),
        value: calibrationCodec.encode({
          rigId, version: 1, validFromUs: t,
          sensors: [{
            sensorId, modality: 'lidar', frameId: sensorId,
            extrinsics: { parentFrameId: 'base_link', childFrameId: sensorId, transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] },
            cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0,
          }],
        }),
      };
    }
    yield {
      topic: 'raw.lidar', key: rigId, captureTimeUs: t, headers: contentType('LidarScan'),
      value: lidarCodec.encode({
        rigId, sensorId, seq, captureTimeUs: t, publishTimeUs: t, frameId: sensorId,
        fields, pointStride: OUSTER_POINT_STRIDE, pointCount: sweep.pointCount, data: sweep.data, sweepDurationUs: periodUs,
      }),
    };
    seq++;
  };
  for (const d of readPcapUdp(bytes, options.pcap)) {
    if (d.dstPort !== port) continue;
    for (const sweep of assembler.push(d.payload, d.timeUs)) yield* emit(sweep);
  }
  for (const sweep of assembler.finish()) yield* emit(sweep);
  for (const f of assembler.incomplete) options.onIncompleteSweep?.(f.frameId, f.columns);
}
