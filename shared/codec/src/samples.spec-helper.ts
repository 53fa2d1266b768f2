/**
 * One hand-written, realistic record per schema, for the codec's round-trip and fuzz specs.
 * Not exported from the package.
 */
import type {
  AudioChunk,
  AudioEvents,
  CameraDetections,
  CameraFrame,
  CameraIntrinsics,
  EgoState,
  Extrinsics,
  FusedDetections,
  GroundTruth,
  LidarObjects,
  LidarScan,
  MicrophoneArray,
  MotionSample,
  RigCalibration,
  SchemaName,
  SensorReading,
  SensorState,
} from '@sensorfuse/schemas';

const T0 = 1_700_000_000_000_000; // 2023-11-14T22:13:20Z in microseconds
const common = (sensorId: string, frameId: string, seq: number) => ({
  rigId: 'rig-7',
  sensorId,
  seq,
  captureTimeUs: T0 + seq * 100_000,
  publishTimeUs: T0 + seq * 100_000 + 2_500,
  frameId,
});

/** x, y, z, intensity as little-endian float32, the layout of a KITTI sweep. */
export function xyziPoints(count: number): Buffer {
  const data = Buffer.alloc(count * 16);
  for (let i = 0; i < count; i++) {
    data.writeFloatLE(i * 0.25, i * 16);
    data.writeFloatLE(-i * 0.5, i * 16 + 4);
    data.writeFloatLE(1.5, i * 16 + 8);
    data.writeFloatLE((i % 100) / 100, i * 16 + 12);
  }
  return data;
}

export function lidarScan(pointCount: number, seq = 3): LidarScan {
  return {
    ...common('lidar_top', 'lidar_top', seq),
    fields: [
      { name: 'x', offset: 0, datatype: 'float32', count: 1 },
      { name: 'y', offset: 4, datatype: 'float32', count: 1 },
      { name: 'z', offset: 8, datatype: 'float32', count: 1 },
      { name: 'intensity', offset: 12, datatype: 'float32', count: 1 },
    ],
    pointStride: 16,
    pointCount,
    data: xyziPoints(pointCount),
    sweepDurationUs: 100_000,
  };
}

const vec = (x: number, y: number, z: number) => ({ x, y, z });
const extrinsics: Extrinsics = {
  parentFrameId: 'base_link',
  childFrameId: 'cam_front',
  transform: [0, 0, 1, 1.95, -1, 0, 0, 0, 0, -1, 0, 1.3, 0, 0, 0, 1],
};
const intrinsics: CameraIntrinsics = {
  width: 1242,
  height: 375,
  fx: 721.5377,
  fy: 721.5377,
  cx: 609.5593,
  cy: 172.854,
  distortionModel: 'plumb_bob',
  distortionCoefficients: [-0.3691, 0.1968, 0.0014, 0.0006, -0.0674],
};
const microphones: MicrophoneArray = {
  positions: [vec(0.05, 0, 0), vec(0, 0.05, 0), vec(-0.05, 0, 0), vec(0, -0.05, 0)],
  speedOfSoundMps: 343,
};

const cameraFrame: CameraFrame = {
  ...common('cam_front', 'cam_front', 12),
  width: 4,
  height: 2,
  encoding: 'rgb8',
  stride: 12,
  data: Buffer.from(Array.from({ length: 24 }, (_, i) => i * 10)),
};

const audioChunk: AudioChunk = {
  ...common('mic_array', 'mic_array', 40),
  sampleFormat: 's16le',
  channels: 4,
  sampleRateHz: 16_000,
  frames: 3,
  data: Buffer.from(Int16Array.from([0, 1, -1, 32767, -32768, 5, 6, 7, 8, 9, 10, 11]).buffer),
};

const imuSample: MotionSample = {
  ...common('imu', 'imu_link', 1000),
  payload: {
    'sensorfuse.ImuSample': {
      linearAcceleration: vec(0.12, -0.03, 9.81),
      angularVelocity: vec(0.001, 0.002, -0.0005),
      magneticField: vec(2.1e-5, -4e-6, 4.3e-5),
      orientation: null,
    },
  },
};

const gnssFix: MotionSample = {
  ...common('gnss', 'gnss_antenna', 50),
  payload: {
    'sensorfuse.GnssFix': {
      latitudeDeg: 49.011212804408,
      longitudeDeg: 8.4228850417969,
      altitudeM: 112.83492279053,
      positionCovariance: [0.25, 0, 0, 0, 0.25, 0, 0, 0, 1],
      covarianceType: 'diagonal_known',
      fixType: 'rtk_fixed',
    },
  },
};

const cameraDetections: CameraDetections = {
  ...common('cam_front', 'cam_front', 12),
  imageWidth: 1242,
  imageHeight: 375,
  detections: [
    { box: { xMin: 712.4, yMin: 143, xMax: 810.73, yMax: 307.92 }, objectClass: 'car', label: 'car', score: 0.875 },
    { box: { xMin: 10, yMin: 20, xMax: 30, yMax: 80 }, objectClass: 'pedestrian', label: 'person', score: 0.5 },
  ],
  quality: { blur: 0.125, exposure: -0.25, blockage: 0 },
  reliability: 0.75,
  modelId: 'yolov8n-coco@1',
};

const lidarObjects: LidarObjects = {
  ...common('lidar_top', 'lidar_top', 3),
  objects: [
    {
      clusterId: 0,
      centroid: vec(12.5, -3.25, -0.8),
      extent: vec(4.2, 1.8, 1.5),
      yawRad: 0.05,
      pointCount: 812,
      meanIntensity: 0.375,
      classHint: 'car',
    },
  ],
  inputPointCount: 121_015,
  noiseFraction: 0.0625,
  reliability: 0.9375,
  fragments: [{ centroid: vec(41.5, 3.25, -0.75), pointCount: 3 }],
};

const audioEvents: AudioEvents = {
  ...common('mic_array', 'mic_array', 40),
  windowDurationUs: 1_000_000,
  events: [
    {
      eventClass: 'siren',
      score: 0.8125,
      onsetUs: T0 + 4_000_000,
      offsetUs: T0 + 4_900_000,
      bearingRad: 1.25,
      bearingStdRad: 0.125,
      snrDb: 12.5,
    },
    { eventClass: 'speech', score: 0.5, onsetUs: T0, offsetUs: T0 + 1, bearingRad: null, bearingStdRad: null, snrDb: 3 },
  ],
  voiceProbability: 0.5,
  snrDb: 10,
  reliability: 0.625,
};

const egoState: EgoState = {
  ...common('ekf', 'map', 77),
  position: vec(100.5, -20.25, 0.5),
  velocity: vec(8.5, 0.25, 0),
  attitude: { x: 0, y: 0, z: 0.38268343236, w: 0.92387953251 },
  angularVelocity: vec(0, 0, 0.01),
  covariance: Array.from({ length: 81 }, (_, i) => (i % 10 === 0 ? 0.01 : 0)),
  predictOnly: false,
  imuTimeout: false,
  gnssTimeout: true,
  rejectedMeasurements: 1,
  imputedSamples: 0,
};

const fusedDetections: FusedDetections = {
  rigId: 'rig-7',
  seq: 9,
  captureTimeUs: T0 + 300_000,
  publishTimeUs: T0 + 345_000,
  frameId: 'base_link',
  tracks: [
    {
      trackId: 17,
      state: 'confirmed',
      position: vec(12.5, -3.25, 0.7),
      extent: vec(4.2, 1.8, 1.5),
      yawRad: 0.05,
      velocity: vec(-1.5, 0, 0),
      objectClass: 'car',
      score: 0.90625,
      contributingModalities: ['lidar', 'camera'],
      ageUs: 2_300_000,
      attention: { camera: 0.625, lidar: 0.375, audio: 0 },
    },
  ],
  presentModalities: ['lidar', 'camera', 'motion'],
  missingModalities: ['audio'],
  deviceState: [
    {
      sensorId: 'ambient_temp', sensorType: 'temperature', unit: 'degC', values: [21.5], std: [0.25], alignMethod: 'interpolated',
      sampleOffsetsUs: [-40_000, 60_000], outlier: false, stuck: false, outOfRange: false, imputed: true, imputationMethod: 'kalman', sinceMeasuredUs: 140_000,
    },
  ],
};

const rigCalibration: RigCalibration = {
  rigId: 'rig-7',
  version: 3,
  validFromUs: T0,
  sensors: [
    {
      sensorId: 'cam_front',
      modality: 'camera',
      frameId: 'cam_front',
      extrinsics,
      cameraIntrinsics: intrinsics,
      microphoneArray: null,
      clockOffsetUs: -1_250,
    },
    {
      sensorId: 'mic_array',
      modality: 'audio',
      frameId: 'mic_array',
      extrinsics: { ...extrinsics, childFrameId: 'mic_array' },
      cameraIntrinsics: null,
      microphoneArray: microphones,
      clockOffsetUs: 0,
    },
  ],
};

/** Sample records per schema (MotionSample twice: IMU and GNSS branches of its union). */
/** A tyre-pressure reading in psi with its metadata, and the worker's imputed state for it. */
const sensorReading: SensorReading = {
  ...common('tyre_fl', 'base_link', 12),
  sensorType: 'pressure',
  values: [32.5],
  unit: 'psi',
  quality: 'good',
  metadata: { unit: 'psi', minValue: 0, maxValue: 100, resolution: 0.1, expectedRateHz: 1, noiseStd: 0.2 },
};

const sensorState: SensorState = {
  ...common('tyre_fl', 'base_link', 13),
  sensorType: 'pressure',
  unit: 'Pa',
  values: [224_080.5],
  std: [1_380],
  measured: [],
  outlier: false,
  stuck: false,
  outOfRange: false,
  imputed: true,
  imputationMethod: 'multiple',
  imputationDraws: 20,
  predictorSensorIds: ['tyre_fr'],
  sinceMeasuredUs: 1_000_000,
};

/** Simulator truth for a camera frame: one car in view, a siren, the wheel-speed sensor's true values. */
const groundTruth: GroundTruth = {
  ...common('truth', 'map', 40),
  forSensorId: 'camera_front',
  forSeq: 12,
  ego: { position: { x: 51.2, y: -0.4, z: 0.6 }, yawRad: 0.02, pitchRad: -0.004, rollRad: 0.001, velocity: { x: 9.99, y: 0.2, z: 0.01 }, speedMps: 10 },
  objects: [
    {
      id: 3,
      objectClass: 'car',
      box: { center: { x: 71.5, y: 3.1, z: 1.35 }, lengthM: 4.5, widthM: 1.8, heightM: 1.5, yawRad: 3.14 },
      boxEgo: { center: { x: 20.4, y: 3.1, z: 0.75 }, lengthM: 4.5, widthM: 1.8, heightM: 1.5, yawRad: 3.12 },
      velocity: { x: -8, y: 0, z: 0 },
      velocityEgo: { x: -7.99, y: 0.16, z: 0 },
      camera: { visibleFraction: 0.82, box2d: { x1: 301.5, y1: 170.2, x2: 352.8, y2: 205.9 } },
      lidar: null,
    },
  ],
  sounds: [{ eventId: 2, kind: 'siren', objectId: 3, azimuthDeg: 8.7, distanceM: 20.6 }],
  devices: [{ sensorId: 'wheel_speed', values: [9.98, 10.02], unit: 'm/s', transmitting: true, stuck: false }],
};

export const samples: readonly (readonly [SchemaName, unknown])[] = [
  ['AudioChunk', audioChunk],
  ['AudioEvents', audioEvents],
  ['CameraDetections', cameraDetections],
  ['CameraFrame', cameraFrame],
  ['CameraIntrinsics', intrinsics],
  ['EgoState', egoState],
  ['Extrinsics', extrinsics],
  ['FusedDetections', fusedDetections],
  ['GroundTruth', groundTruth],
  ['LidarObjects', lidarObjects],
  ['LidarScan', lidarScan(50)],
  ['MicrophoneArray', microphones],
  ['MotionSample', imuSample],
  ['MotionSample', gnssFix],
  ['RigCalibration', rigCalibration],
  ['SensorReading', sensorReading],
  ['SensorState', sensorState],
];
