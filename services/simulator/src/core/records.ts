import type { ActiveSound } from './audio.js';
import type { Transform, Vec3 } from './geometry.js';
import type { GnssFix } from './motion.js';
import type { ImageBox, PinholeIntrinsics } from './projection.js';
import type { ObjectClass, SoundKind } from './scenario.js';

/** Fields every simulated record carries (DESIGN.md "Messages"). */
export interface RecordHeader {
  readonly rigId: string;
  readonly sensorId: string;
  /** Per sensor, increasing by one per capture; a dropped record leaves a gap, a duplicate repeats it. */
  readonly seq: number;
  /** When the sensor sampled, on the sensor's own clock (clock offset and drift faults apply). */
  readonly captureTimeUs: number;
  /** When the record was delivered (true time: latency, jitter and reordering apply). */
  readonly publishTimeUs: number;
  /** The true capture time, for evaluation; never put on the wire. */
  readonly trueCaptureTimeUs: number;
  readonly frameId: string;
}

export interface CameraRecord extends RecordHeader {
  readonly kind: 'camera';
  readonly width: number;
  readonly height: number;
  readonly encoding: 'rgb8' | 'jpeg';
  readonly data: Uint8Array;
}

export interface LidarRecord extends RecordHeader {
  readonly kind: 'lidar';
  readonly pointCount: number;
  readonly fields: readonly { readonly name: string; readonly offset: number; readonly datatype: 'float32' | 'uint16' }[];
  readonly pointStrideBytes: number;
  /** Packed little-endian points (float32 x, y, z, intensity; uint16 ring), sensor frame. */
  readonly data: Uint8Array;
  /** Per point object index or a negative LABEL_* value: segmentation ground truth (not on the wire). */
  readonly labels: Int16Array;
}

export interface AudioRecord extends RecordHeader {
  readonly kind: 'audio';
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly sampleCount: number;
  readonly encoding: 's16le';
  /** Interleaved little-endian int16 samples, channel order = the array's microphone order. */
  readonly data: Uint8Array;
}

export interface ImuRecord extends RecordHeader {
  readonly kind: 'imu';
  readonly linearAcceleration: Vec3;
  readonly angularVelocity: Vec3;
  /** Magnetometer (body frame, tesla) on the samples where it is due; absent otherwise. */
  readonly magneticFieldT?: Vec3;
}

/** A generic device sensor reading (raw.sensor, SensorReading). */
export interface DeviceRecord extends RecordHeader {
  readonly kind: 'device';
  readonly sensorType: 'temperature' | 'pressure' | 'battery_voltage' | 'wheel_speed';
  /** In `unit`; NaN = the device had no sample for that component. */
  readonly values: readonly number[];
  readonly unit: string;
  /** Sent on the first reading and every 50th after it; null otherwise (the newest seen applies). */
  readonly metadata: { readonly unit: string; readonly minValue: number; readonly maxValue: number; readonly resolution: number; readonly expectedRateHz: number; readonly noiseStd: number } | null;
  /** Truth beside the record (never on the wire): values in SI units (°C, kPa, V, m/s) and the injected fault. */
  readonly trueValues: readonly number[];
  readonly fault: 'none' | 'spike' | 'stuck';
}

/** An active sound event with the id of the object emitting it (-1 when none). */
export interface SoundTruth extends ActiveSound {
  readonly objectId: number;
}

/** True value of one device sensor at a truth record's time (SI units: °C, kPa, V, m/s). */
export interface DeviceTruth {
  readonly sensorId: string;
  readonly values: readonly number[];
  readonly unit: string;
  /** False inside a `silent` window. */
  readonly transmitting: boolean;
  readonly stuck: boolean;
}

export interface GnssRecord extends RecordHeader, GnssFix {
  readonly kind: 'gnss';
}

export interface BoxTruth {
  readonly centerM: Vec3;
  readonly lengthM: number;
  readonly widthM: number;
  readonly heightM: number;
  readonly yawRad: number;
}

export interface ObjectTruth {
  readonly id: number;
  readonly objectClass: ObjectClass;
  /** Box in the world frame ('map': x east, y north, z up, at the scenario origin). */
  readonly box: BoxTruth;
  /** Box in the ego frame ('base_link'); yaw relative to the ego heading. */
  readonly boxEgo: BoxTruth;
  readonly velocityMps: Vec3;
  readonly velocityEgoMps: Vec3;
  /** Camera truth: fraction of the silhouette not occluded (0 = not in view) and the projected 2D box. */
  readonly camera?: { readonly visibleFraction: number; readonly box2d?: ImageBox };
  /** LIDAR truth: number of points on the object in this sweep. */
  readonly lidar?: { readonly points: number };
}

export interface EgoTruth {
  readonly positionM: Vec3;
  readonly yawRad: number;
  readonly pitchRad: number;
  readonly rollRad: number;
  readonly velocityMps: Vec3;
  readonly speedMps: number;
}

/** Ground truth at one sensor capture: the objects as that sensor saw them, the ego, active sounds. */
export interface TruthRecord extends RecordHeader {
  readonly kind: 'truth';
  /** The capture this truth describes. */
  readonly forSensorId: string;
  readonly forSeq: number;
  readonly ego: EgoTruth;
  readonly objects: readonly ObjectTruth[];
  readonly sounds: readonly SoundTruth[];
  /** Device sensors' true values at this time (empty when device sensors are off). */
  readonly devices: readonly DeviceTruth[];
}

export type SensorRecord = CameraRecord | LidarRecord | AudioRecord | ImuRecord | GnssRecord | DeviceRecord;
export type SimRecord = SensorRecord | TruthRecord;

export interface SoundEventTruth {
  readonly eventId: number;
  readonly kind: SoundKind;
  readonly objectId: number;
  /** Emission onset and offset at the source (true time); add distance / 343 m/s for arrival. */
  readonly onsetUs: number;
  readonly offsetUs: number;
}

/** The rig as calibrated: what a consumer needs to interpret every sensor's records. */
export interface RigCalibration {
  readonly rigId: string;
  readonly egoFrameId: string;
  readonly worldFrameId: string;
  readonly origin: { readonly latitudeDeg: number; readonly longitudeDeg: number; readonly altitudeM: number };
  readonly cameras: readonly { readonly sensorId: string; readonly frameId: string; readonly intrinsics: PinholeIntrinsics; readonly egoFromSensor: Transform }[];
  readonly lidars: readonly {
    readonly sensorId: string;
    readonly frameId: string;
    readonly egoFromSensor: Transform;
    readonly beams: number;
    readonly azimuthSteps: number;
    readonly minElevationDeg: number;
    readonly maxElevationDeg: number;
  }[];
  readonly microphoneArrays: readonly {
    readonly sensorId: string;
    readonly frameId: string;
    readonly egoFromSensor: Transform;
    /** Microphone positions in the array's frame (= ego frame axes, origin at the ego origin). */
    readonly positionsM: readonly Vec3[];
    readonly sampleRateHz: number;
  }[];
  readonly imus: readonly { readonly sensorId: string; readonly frameId: string; readonly egoFromSensor: Transform }[];
  readonly gnss: readonly { readonly sensorId: string; readonly frameId: string; readonly egoFromSensor: Transform }[];
}
