export { createSimulation, systemClock } from './simulation.js';
export type { PacingClock, Simulation, SimulationOptions } from './simulation.js';
export { CoreSimulation, rigCalibrationFor, EGO_FRAME_ID, WORLD_FRAME_ID, SENSOR_KINDS } from './core/simulation-core.js';
export type { CoreOptions, SensorKind } from './core/simulation-core.js';
export type {
  AudioRecord, BoxTruth, CameraRecord, DeviceRecord, DeviceTruth, EgoTruth, GnssRecord, ImuRecord, LidarRecord, ObjectTruth, RecordHeader,
  RigCalibration, SensorRecord, SimRecord, SoundEventTruth, SoundTruth, TruthRecord,
} from './core/records.js';
export { DEFAULT_SCENARIO, InvalidScenarioError, NO_FAULTS, OBJECT_CLASSES, SOUND_KINDS, resolveScenario } from './core/scenario.js';
export type { DevicesConfig, DeviceWindow, Lighting, MagnetometerConfig, ObjectClass, Scenario, SoundKind, TransportFaults } from './core/scenario.js';
export { DEVICE_SENSOR_IDS } from './core/scenario.js';
export { DEVICE_SPECS, REAR_TRACK_M } from './core/devices.js';
export type { DeviceSpec } from './core/devices.js';
export { PRESET_NAMES, SCENARIO_DIR, loadScenarioFile, parseScenario, presetScenario } from './core/presets.js';
export type { PresetName } from './core/presets.js';
export {
  BOX_EDGES, NEAR_PLANE_M, decomposeRectifiedProjection, intrinsicsFromFov, projectBox, projectCameraPoint, projectPoint, projectPointsBounds,
} from './core/projection.js';
export type { ImageBox, ImagePoint, PinholeIntrinsics } from './core/projection.js';
export {
  BODY_FROM_OPTICAL, boxCorners, composeTransforms, invertTransform, pointInBox, rotationFromYawPitchRoll, transformFromMatrix3x4, transformPoint,
} from './core/geometry.js';
export type { Box3, Mat3, Transform, Vec3 } from './core/geometry.js';
export { LABEL_CLUTTER, LABEL_GROUND, LABEL_WEATHER, LIDAR_POINT_FIELDS, LIDAR_POINT_STRIDE_BYTES, LidarModel } from './core/lidar.js';
export type { LidarPointField } from './core/lidar.js';
export { FULL_SCALE_PER_UNIT, SPEED_OF_SOUND_MPS } from './core/audio.js';
export type { ActiveSound, SoundEvent } from './core/audio.js';
export { earthFieldEnuT, enuToGeodetic, geodeticToEnu } from './core/motion.js';
export { GRAVITY_MPS2, World } from './core/world.js';
export { Rng } from './core/rng.js';
export {
  RAW_TOPICS, toAudioChunk, toCameraFrame, toGroundTruth, toLidarScan, toMotionSample, toRigCalibration, toSensorReading, toWire, transformToMatrix4,
} from './adapters/wire.js';
export { CALIBRATION_TOPIC, TRUTH_TOPIC, publishCalibration, publishSimulation } from './adapters/publish.js';
export type { PublishOptions, PublishStats } from './adapters/publish.js';
export { writeSimulationFiles } from './adapters/files.js';
export type { FileOutputStats } from './adapters/files.js';
export { truthToJson } from './adapters/truth-json.js';
