import type { RigCalibration } from '@sensorfuse/schemas';
import { invertRigid, transformFrom } from './geometry.js';
import type { ResolvedCalibration, ResolvedCamera, Transform } from './types.js';

/** Precomputes the transforms of a rig calibration (pure; the registry adapter caches the result per version). */
export function resolveCalibration(calibration: RigCalibration): ResolvedCalibration {
  const cameras = new Map<string, ResolvedCamera>();
  const sensorToBody = new Map<string, Transform>();
  let bodyFrameId = 'base_link';
  for (const sensor of calibration.sensors) {
    const toBody = transformFrom(sensor.extrinsics.transform);
    bodyFrameId = sensor.extrinsics.parentFrameId;
    sensorToBody.set(sensor.sensorId, toBody);
    if (sensor.modality === 'camera' && sensor.cameraIntrinsics !== null) {
      cameras.set(sensor.sensorId, {
        sensorId: sensor.sensorId,
        intrinsics: sensor.cameraIntrinsics,
        cameraToBody: toBody,
        bodyToCamera: invertRigid(toBody),
      });
    }
  }
  return {
    rigId: calibration.rigId,
    version: calibration.version,
    validFromUs: calibration.validFromUs,
    bodyFrameId,
    cameras,
    sensorToBody,
  };
}
