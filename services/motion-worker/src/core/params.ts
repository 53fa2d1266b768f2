import type { Micros } from '@sensorfuse/time';
import type { MotionConfig } from '../config.js';
import type { MotionCoreOptions } from './motion-core.js';

/** The validated config as the core's options (the rate becomes the estimator's output period). */
export function motionCoreOptions(config: Pick<MotionConfig, 'outputSensorId' | 'outputFrameId' | 'motion'>, nowUs: () => Micros): MotionCoreOptions {
  const { outputRateHz, ...estimator } = config.motion;
  return {
    estimator: { ...estimator, outputPeriodUs: Math.max(1, Math.round(1e6 / outputRateHz)) },
    outputSensorId: config.outputSensorId,
    outputFrameId: config.outputFrameId,
    nowUs,
  };
}
