import { CoreSimulation, presetScenario, toCameraFrame, type CameraRecord } from '@sensorfuse/simulator';
import { describe, expect, it } from 'vitest';
import { loadCameraConfig } from './config.js';
import { CameraCore, newCameraCounters, type Detector, type DetectorSpec } from './core/camera-core.js';

const spec: DetectorSpec = {
  modelId: 'none',
  inputWidth: 320,
  inputHeight: 192,
  padValue: 114,
  normalise: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' },
  layout: 'nms-n6',
  labels: ['car'],
  classes: ['car'],
};
const noBoxes: Detector = { run: () => Promise.resolve({ dims: [0, 6], data: new Float32Array(0) }) };

async function meanReliability(preset: string): Promise<{ reliability: number; denoised: number; frames: number }> {
  const scenario = { ...presetScenario(preset), durationS: 0.5 };
  const cams = [...new CoreSimulation(scenario, { seed: 5, sensors: ['camera'], truth: 'omit' }).records()].filter((r): r is CameraRecord => r.kind === 'camera');
  const counters = newCameraCounters();
  const core = new CameraCore({ detector: noBoxes, spec, params: { ...loadCameraConfig({}).camera, maxQueueDelayUs: 0 }, counters, nowUs: () => 0 });
  let sum = 0;
  for (const c of cams) {
    const [out] = await core.update(toCameraFrame(c), { receivedAtUs: 0, topic: 'raw.camera', partition: 0, offset: '0' });
    sum += out?.reliability ?? Number.NaN;
  }
  return { reliability: sum / cams.length, denoised: counters.denoised, frames: cams.length };
}

describe('camera reliability on simulator renders', () => {
  it('trusts a clear day camera more than a night-rain one, and denoises the noisy night frames only', async () => {
    const day = await meanReliability('urban-day');
    const night = await meanReliability('night-rain');
    console.log(`urban-day reliability ${day.reliability.toFixed(3)} (${String(day.denoised)}/${String(day.frames)} denoised), night-rain ${night.reliability.toFixed(3)} (${String(night.denoised)}/${String(night.frames)} denoised)`);
    expect(day.frames).toBeGreaterThan(0);
    expect(day.reliability).toBeGreaterThan(0.6);
    expect(night.reliability).toBeLessThan(day.reliability - 0.3);
    expect(day.denoised).toBe(0);
    expect(night.denoised).toBe(night.frames);
  });
});
