import { PoisonRecordError } from '@sensorfuse/errors';

/**
 * A scenario: the world, the rig and every noise and fault knob. Scenario files are JSON objects
 * holding only the keys they change; `resolveScenario` merges them onto `DEFAULT_SCENARIO`, the
 * one place where defaults live. Units are in the key names.
 */
export type Lighting = 'day' | 'dusk' | 'night';
export type ObjectClass = 'car' | 'truck' | 'pedestrian' | 'cyclist' | 'animal';
export const OBJECT_CLASSES: readonly ObjectClass[] = ['car', 'truck', 'pedestrian', 'cyclist', 'animal'];
export type SoundKind = 'siren' | 'horn' | 'speech' | 'bark' | 'impact';
export const SOUND_KINDS: readonly SoundKind[] = ['siren', 'horn', 'speech', 'bark', 'impact'];

export type RouteSegment =
  | { readonly type: 'straight'; readonly lengthM: number }
  | { readonly type: 'arc'; readonly radiusM: number; readonly angleDeg: number };

export interface OutageWindow {
  readonly startS: number;
  readonly endS: number;
}

/** Per-sensor transport faults. Clock faults change the stamped captureTimeUs, not the truth. */
export interface TransportFaults {
  readonly clockOffsetUs: number;
  readonly clockDriftPpm: number;
  /** Base delivery latency and uniform extra jitter added to it; jitter above the period reorders records. */
  readonly latencyUs: number;
  readonly jitterUs: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  /** Probability that a record is held back and delivered after the next one. */
  readonly reorderProbability: number;
  readonly outages: readonly OutageWindow[];
}

export interface CameraConfig {
  readonly sensorId: string;
  readonly rateHz: number;
  readonly width: number;
  readonly height: number;
  readonly horizontalFovDeg: number;
  readonly mountPositionM: readonly [number, number, number];
  readonly mountYawPitchRollDeg: readonly [number, number, number];
  readonly encoding: 'jpeg' | 'rgb8';
  readonly jpegQuality: number;
  /** Std-dev of additive pixel noise at day exposure (0..255 units); night multiplies it. */
  readonly pixelNoiseSigma: number;
  readonly motionBlur: boolean;
  readonly lensDirt: number;
}

export interface LidarConfig {
  readonly sensorId: string;
  readonly rateHz: number;
  /** 32 or 64. */
  readonly beams: number;
  readonly azimuthSteps: number;
  readonly minElevationDeg: number;
  readonly maxElevationDeg: number;
  readonly maxRangeM: number;
  readonly minRangeM: number;
  readonly mountPositionM: readonly [number, number, number];
  readonly rangeNoiseSigmaM: number;
  readonly dropoutProbability: number;
  /** Fraction of beams that return a false early echo from rain, dust or spray per metre of path in it. */
  readonly rainOutlierProbability: number;
  readonly dustOutlierProbability: number;
  readonly sprayBehindVehicles: boolean;
}

export interface AudioConfig {
  readonly sensorId: string;
  readonly sampleRateHz: number;
  readonly chunkMs: number;
  /** Microphone positions in the ego frame (metres); the array has 4 of them. */
  readonly micPositionsM: readonly (readonly [number, number, number])[];
  /** Ratio of a source's RMS at 10 m to the wind + engine noise RMS, in dB. */
  readonly snrDb: number;
  readonly windLevel: number;
  readonly engineLevel: number;
}

export interface ImuConfig {
  readonly sensorId: string;
  readonly rateHz: number;
  readonly mountPositionM: readonly [number, number, number];
  readonly accelNoiseSigma: number;
  readonly gyroNoiseSigma: number;
  readonly accelBiasSigma: number;
  readonly gyroBiasSigma: number;
  /** Random-walk std-dev of the bias per sqrt(second). */
  readonly accelBiasWalk: number;
  readonly gyroBiasWalk: number;
  /** A 3-axis magnetometer in the IMU (body axes). */
  readonly magnetometer: MagnetometerConfig;
}

export interface MagnetometerConfig {
  /** Output rate; 0 = no magnetometer. The IMU rate must be a whole multiple of it (the field rides on every n-th IMU sample). */
  readonly rateHz: number;
  /** Total intensity of the Earth's field at the site, microtesla (25–65 on Earth). */
  readonly fieldStrengthUT: number;
  /** Magnetic north lies this many degrees east of true north (east-positive, as a World Magnetic Model table). */
  readonly declinationDeg: number;
  /** Dip below the horizontal, degrees (positive = field points down, northern hemisphere). */
  readonly inclinationDeg: number;
  /** White noise per axis, microtesla. */
  readonly noiseSigmaUT: number;
  /** Std-dev of the constant hard-iron offset per axis (drawn once per seed), microtesla. */
  readonly hardIronSigmaUT: number;
}

/** A time window in scenario seconds on one device sensor. */
export interface DeviceWindow {
  readonly sensorId: string;
  readonly fromS: number;
  readonly durationS: number;
}

/**
 * Generic device sensors on raw.sensor (SensorReading): ambient temperature twice (°C and °F),
 * four tyre pressures (kPa), battery voltage (V), two rear wheel speeds (m/s).
 */
export interface DevicesConfig {
  /** 0 = no device sensors. */
  readonly rateHz: number;
  readonly ambientTemperatureC: number;
  /** Cold tyre pressure at ambientTemperatureC, kPa (gauge). */
  readonly tyrePressureKPa: number;
  /** Resting battery voltage with the alternator running, V. */
  readonly batteryVoltageV: number;
  /** Multiplies every sensor's white noise (1 = datasheet-like). */
  readonly noiseScale: number;
  /** Per reading: one component jumps by ±(10–30)·σ for that reading. */
  readonly spikeProbability: number;
  /** Per component: NaN instead of a value (the device had no sample). */
  readonly componentDropoutProbability: number;
  /** Windows in which a sensor repeats its last reading exactly (a frozen ADC). */
  readonly stuck: readonly DeviceWindow[];
  /** Windows in which a sensor sends nothing at all. */
  readonly silent: readonly DeviceWindow[];
}

export interface GnssConfig {
  readonly sensorId: string;
  readonly rateHz: number;
  readonly horizontalSigmaM: number;
  readonly verticalSigmaM: number;
  readonly multipathProbability: number;
  readonly multipathErrorM: number;
}

export interface SoundEventSpec {
  readonly kind: SoundKind;
  /** The object index (in spawn order) that emits it; negative picks a plausible object by seed. */
  readonly objectIndex: number;
  readonly onsetS: number;
  readonly durationS: number;
  readonly levelDb: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly rigId: string;
  readonly startTimeUs: number;
  readonly durationS: number;
  readonly origin: { readonly latitudeDeg: number; readonly longitudeDeg: number; readonly altitudeM: number };
  readonly route: {
    readonly segments: readonly RouteSegment[];
    readonly cruiseSpeedMps: number;
    readonly accelerationMps2: number;
    readonly stops: readonly { readonly atS: number; readonly durationS: number }[];
    /** Lanes in the ego's direction (the ego drives in the rightmost) and oncoming lanes left of them. */
    readonly lanes: number;
    readonly oncomingLanes: number;
    readonly laneWidthM: number;
    /** Asphalt right of the rightmost lane: a bike lane (1.5 m) and, if wide enough, a parking strip. */
    readonly shoulderRightM: number;
  };
  readonly ground: {
    readonly slopeX: number;
    readonly slopeY: number;
    readonly speedBumpAtM: number;
    readonly speedBumpHeightM: number;
    readonly speedBumpWidthM: number;
  };
  readonly traffic: Readonly<Record<ObjectClass, number>>;
  readonly clutter: { readonly poles: number; readonly vegetation: number; readonly walls: boolean };
  readonly sounds: { readonly events: readonly SoundEventSpec[]; readonly randomEventsPerMinute: number };
  readonly environment: { readonly lighting: Lighting; readonly rain: number; readonly dust: number };
  readonly sensors: {
    readonly camera: CameraConfig;
    readonly lidar: LidarConfig;
    readonly audio: AudioConfig;
    readonly imu: ImuConfig;
    readonly gnss: GnssConfig;
    readonly devices: DevicesConfig;
  };
  /** Faults keyed by sensorId; sensors not listed are delivered perfectly. */
  readonly faults: Readonly<Record<string, Partial<TransportFaults>>>;
}

export const NO_FAULTS: TransportFaults = {
  clockOffsetUs: 0,
  clockDriftPpm: 0,
  latencyUs: 0,
  jitterUs: 0,
  dropProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  outages: [],
};

export const DEFAULT_SCENARIO: Scenario = {
  name: 'default',
  description: 'Urban drive in daylight with moderate traffic.',
  rigId: 'sim-rig-1',
  startTimeUs: 1_767_225_600_000_000, // 2026-01-01T00:00:00Z
  durationS: 30,
  origin: { latitudeDeg: 48.137154, longitudeDeg: 11.576124, altitudeM: 519 },
  route: {
    segments: [
      { type: 'straight', lengthM: 120 },
      { type: 'arc', radiusM: 40, angleDeg: 90 },
      { type: 'straight', lengthM: 150 },
      { type: 'arc', radiusM: 60, angleDeg: -60 },
      { type: 'straight', lengthM: 300 },
    ],
    cruiseSpeedMps: 10,
    accelerationMps2: 1.5,
    stops: [{ atS: 12, durationS: 3 }],
    lanes: 1,
    oncomingLanes: 1,
    laneWidthM: 3.5,
    shoulderRightM: 3.7,
  },
  ground: { slopeX: 0.012, slopeY: -0.006, speedBumpAtM: 70, speedBumpHeightM: 0.08, speedBumpWidthM: 3.5 },
  traffic: { car: 8, truck: 2, pedestrian: 8, cyclist: 3, animal: 1 },
  clutter: { poles: 30, vegetation: 24, walls: true },
  sounds: {
    events: [
      { kind: 'horn', objectIndex: 0, onsetS: 2, durationS: 1.2, levelDb: 0 },
      { kind: 'speech', objectIndex: -1, onsetS: 5, durationS: 3, levelDb: -6 },
      { kind: 'siren', objectIndex: 1, onsetS: 9, durationS: 6, levelDb: 0 },
      { kind: 'bark', objectIndex: -1, onsetS: 16, durationS: 2, levelDb: -3 },
      { kind: 'impact', objectIndex: -1, onsetS: 20, durationS: 0.3, levelDb: 0 },
    ],
    randomEventsPerMinute: 4,
  },
  environment: { lighting: 'day', rain: 0, dust: 0 },
  sensors: {
    camera: {
      sensorId: 'camera_front',
      rateHz: 10,
      width: 640,
      height: 384,
      horizontalFovDeg: 90,
      mountPositionM: [1.6, 0, 1.5],
      mountYawPitchRollDeg: [0, 3, 0],
      encoding: 'jpeg',
      jpegQuality: 85,
      pixelNoiseSigma: 2,
      motionBlur: true,
      lensDirt: 0,
    },
    lidar: {
      sensorId: 'lidar_top',
      rateHz: 10,
      beams: 32,
      azimuthSteps: 1024,
      minElevationDeg: -25,
      maxElevationDeg: 10,
      maxRangeM: 100,
      minRangeM: 1,
      mountPositionM: [1.2, 0, 1.9],
      rangeNoiseSigmaM: 0.02,
      dropoutProbability: 0.01,
      rainOutlierProbability: 0,
      dustOutlierProbability: 0,
      sprayBehindVehicles: false,
    },
    audio: {
      sensorId: 'mic_array',
      sampleRateHz: 16_000,
      chunkMs: 50,
      micPositionsM: [
        [1.35, 0.15, 1.8],
        [1.35, -0.15, 1.8],
        [1.05, -0.15, 1.8],
        [1.05, 0.15, 1.8],
      ],
      snrDb: 15,
      windLevel: 1,
      engineLevel: 1,
    },
    imu: {
      sensorId: 'imu',
      rateHz: 200,
      mountPositionM: [0, 0, 0],
      accelNoiseSigma: 0.02,
      gyroNoiseSigma: 0.001,
      accelBiasSigma: 0.02,
      gyroBiasSigma: 0.0005,
      accelBiasWalk: 0.001,
      gyroBiasWalk: 0.00002,
      magnetometer: { rateHz: 50, fieldStrengthUT: 50, declinationDeg: 0, inclinationDeg: 60, noiseSigmaUT: 0.3, hardIronSigmaUT: 0.3 },
    },
    devices: {
      rateHz: 10,
      ambientTemperatureC: 18,
      tyrePressureKPa: 230,
      batteryVoltageV: 14.1,
      noiseScale: 1,
      spikeProbability: 0.005,
      componentDropoutProbability: 0.01,
      stuck: [{ sensorId: 'tyre_pressure', fromS: 6, durationS: 4 }],
      silent: [{ sensorId: 'battery', fromS: 10, durationS: 5 }],
    },
    gnss: {
      sensorId: 'gnss',
      rateHz: 10,
      horizontalSigmaM: 0.5,
      verticalSigmaM: 1,
      multipathProbability: 0.01,
      multipathErrorM: 8,
    },
  },
  faults: {},
};

/** Ids of the simulated device sensors (services/simulator/src/core/devices.ts). */
export const DEVICE_SENSOR_IDS: readonly string[] = ['ambient_temp', 'ambient_temp_f', 'tyre_pressure', 'battery', 'wheel_speed'];

export class InvalidScenarioError extends PoisonRecordError {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merge `patch` onto `base`: objects merge key by key, arrays and scalars replace; unknown keys are errors. */
function mergeStrict(base: unknown, patch: unknown, at: string, openKeys: boolean): unknown {
  if (patch === undefined) return base;
  if (isPlainObject(base) && isPlainObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in base) && !openKeys) {
        throw new InvalidScenarioError(`unknown scenario key ${at}${k}; expected one of ${Object.keys(base).join(', ')}`, {
          context: { key: `${at}${k}` },
        });
      }
      // faults are keyed by sensor id and each entry merges onto NO_FAULTS.
      const child = at === '' && k === 'faults' ? v : mergeStrict(base[k], v, `${at}${k}.`, false);
      out[k] = child;
    }
    return out;
  }
  if (base !== undefined && typeof base !== typeof patch && !(Array.isArray(base) && Array.isArray(patch))) {
    throw new InvalidScenarioError(`scenario key ${at.slice(0, -1)} expects ${typeof base}, found ${JSON.stringify(patch)}`, {
      context: { key: at.slice(0, -1) },
    });
  }
  return patch;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new InvalidScenarioError(message);
}

/** Merge a partial scenario (parsed JSON) onto the defaults and check ranges. */
export function resolveScenario(partial: unknown): Scenario {
  if (!isPlainObject(partial)) throw new InvalidScenarioError(`a scenario must be a JSON object, found ${JSON.stringify(partial)}`);
  const s = mergeStrict(DEFAULT_SCENARIO, partial, '', false) as Scenario;
  const total = Object.values(s.traffic).reduce((a, n) => a + n, 0);
  check(total <= 60, `at most 60 dynamic objects are supported, found ${total}`);
  check(s.durationS > 0 && s.durationS <= 3600, `durationS must be in (0, 3600], found ${s.durationS}`);
  check(Number.isSafeInteger(s.startTimeUs), `startTimeUs must be an integer, found ${s.startTimeUs}`);
  const c = s.sensors.camera;
  check(c.rateHz >= 1 && c.rateHz <= 60, `camera rateHz must be in [1, 60], found ${c.rateHz}`);
  check(c.width >= 64 && c.height >= 48, `camera size must be at least 64x48, found ${c.width}x${c.height}`);
  const l = s.sensors.lidar;
  check([32, 64].includes(l.beams), `lidar beams must be 32 or 64, found ${l.beams}`);
  check(l.rateHz >= 1 && l.rateHz <= 30, `lidar rateHz must be in [1, 30], found ${l.rateHz}`);
  const a = s.sensors.audio;
  check(a.micPositionsM.length >= 2, `audio needs at least 2 microphones, found ${a.micPositionsM.length}`);
  check(a.chunkMs >= 5 && a.chunkMs <= 1000, `audio chunkMs must be in [5, 1000], found ${a.chunkMs}`);
  check(Number.isInteger((a.sampleRateHz * a.chunkMs) / 1000), 'audio chunk must hold a whole number of samples');
  check(s.sensors.imu.rateHz >= 10 && s.sensors.imu.rateHz <= 2000, `imu rateHz must be in [10, 2000], found ${s.sensors.imu.rateHz}`);
  const dv = s.sensors.devices;
  check(dv.rateHz >= 0 && dv.rateHz <= 100, `devices rateHz must be in [0, 100], found ${dv.rateHz}`);
  check(dv.spikeProbability >= 0 && dv.spikeProbability <= 1 && dv.componentDropoutProbability >= 0 && dv.componentDropoutProbability <= 1, 'devices probabilities must be in [0, 1]');
  for (const w of [...dv.stuck, ...dv.silent]) {
    check(DEVICE_SENSOR_IDS.includes(w.sensorId), `devices window sensorId must be one of ${DEVICE_SENSOR_IDS.join(', ')}, found ${w.sensorId}`);
    check(w.fromS >= 0 && w.durationS > 0, `devices window for ${w.sensorId} needs fromS >= 0 and durationS > 0`);
  }
  const m = s.sensors.imu.magnetometer;
  check(m.rateHz === 0 || (m.rateHz > 0 && Number.isInteger(s.sensors.imu.rateHz / m.rateHz)), `imu magnetometer rateHz must be 0 or divide the IMU rate ${s.sensors.imu.rateHz}, found ${m.rateHz}`);
  check(m.fieldStrengthUT > 0 && m.fieldStrengthUT <= 100, `imu magnetometer fieldStrengthUT must be in (0, 100], found ${m.fieldStrengthUT}`);
  check(Math.abs(m.inclinationDeg) < 90, `imu magnetometer inclinationDeg must be in (-90, 90), found ${m.inclinationDeg}`);
  check(Math.abs(m.declinationDeg) <= 180, `imu magnetometer declinationDeg must be in [-180, 180], found ${m.declinationDeg}`);
  check(m.noiseSigmaUT >= 0 && m.hardIronSigmaUT >= 0, 'imu magnetometer noise and hard-iron sigmas must be >= 0');
  for (const [sensorId, f] of Object.entries(s.faults)) {
    for (const k of Object.keys(f)) {
      check(k in NO_FAULTS, `unknown fault key faults.${sensorId}.${k}; expected one of ${Object.keys(NO_FAULTS).join(', ')}`);
    }
  }
  return deepFreeze(s);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export function faultsFor(s: Scenario, sensorId: string): TransportFaults {
  return { ...NO_FAULTS, ...(s.faults[sensorId] ?? {}) };
}

export type { Json };
