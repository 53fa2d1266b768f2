import type { Transform, Vec3 } from './geometry.js';
import { composeTransforms, rotationFromYawPitchRoll } from './geometry.js';
import type { Pose } from './world.js';

export function worldFromPose(pose: Pose): Transform {
  return { rotation: rotationFromYawPitchRoll(pose.yaw, pose.pitch, pose.roll), translation: pose.position };
}

export function worldFromSensor(egoPose: Pose, egoFromSensor: Transform): Transform {
  return composeTransforms(worldFromPose(egoPose), egoFromSensor);
}

export function translationOnly(t: readonly [number, number, number]): Transform {
  return { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [t[0], t[1], t[2]] as Vec3 };
}
