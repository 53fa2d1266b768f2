import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { MemoryStateStore } from '@sensorfuse/state';
import { CalibrationFormatError, CalibrationMissingError, CalibrationRegistry } from './calibration-registry.js';
import { FUSION_ENV_PREFIX, defaultFusionParams, fusionConfigSchema, loadFusionConfig } from './config.js';
import { DEFAULT_FUSION_PARAMS } from './core/params.js';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const rig = (validFromUs: number, x: number) => ({
  rigId: 'r', version: 0, validFromUs,
  sensors: [{ sensorId: 'lidar', modality: 'lidar' as const, frameId: 'lidar', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar', transform: [1, 0, 0, x, ...IDENTITY.slice(4)] }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 }],
});

describe('fusion config', () => {
  it('has the core defaults the benchmarks and specs use', () => {
    expect(defaultFusionParams()).toEqual(DEFAULT_FUSION_PARAMS);
    const { strategy, strategyByRig, ...params } = loadFusionConfig({}).fusion;
    expect(strategyByRig).toEqual([]);
    expect(params).toEqual(DEFAULT_FUSION_PARAMS);
    expect(strategy).toBe('late');
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/fusion-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(fusionConfigSchema, { envPrefix: FUSION_ENV_PREFIX })));
  });

  it('rejects a parameter outside its range (IoU 2)', () => {
    expect(() => loadFusionConfig({ SENSORFUSE_FUSION_FUSION__MIN_IOU: '2' })).toThrow();
  });
});

describe('calibration registry', () => {
  it('answers with the version valid at the capture time and counts each change of version in use', async () => {
    const changes: string[] = [];
    const registry = new CalibrationRegistry(new MemoryStateStore(), { onChange: (c) => changes.push(`${String(c.fromVersion)}→${c.toVersion}`) });
    await registry.publish(rig(1000, 0.5));
    await registry.publish(rig(5000, 0.7));
    expect(() => registry.at('r', 999)).toThrow(CalibrationMissingError);
    expect(registry.at('r', 1000).sensorToBody.get('lidar')?.[3]).toBe(0.5);
    expect(registry.at('r', 4999).version).toBe(1);
    expect(registry.at('r', 5000).sensorToBody.get('lidar')?.[3]).toBe(0.7);
    expect(registry.at('r', 9000).version).toBe(2);
    expect(registry.changes).toBe(2);
    expect(changes).toEqual(['null→1', '1→2']);
  });

  it('refuses a calibration without 16-value extrinsics', async () => {
    const registry = new CalibrationRegistry(new MemoryStateStore());
    const [lidar] = rig(0, 0).sensors;
    if (lidar === undefined) throw new Error('fixture');
    await expect(registry.publish({ ...rig(0, 0), sensors: [{ ...lidar, extrinsics: { parentFrameId: 'b', childFrameId: 'l', transform: [1, 2, 3] } }] })).rejects.toThrow(CalibrationFormatError);
  });
});
