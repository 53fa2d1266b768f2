import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { LIDAR_ENV_PREFIX, lidarConfigSchema, loadLidarConfig } from './config.js';

describe('lidar-worker config', () => {
  it('defaults to the parameters issue 5 takes from Autoware', () => {
    const c = loadLidarConfig({});
    expect([c.lidar.voxel.leafXM, c.lidar.voxel.leafYM, c.lidar.voxel.leafZM]).toEqual([0.3, 0.3, 0.1]);
    expect([c.lidar.outliers.meanK, c.lidar.outliers.stdMul]).toEqual([50, 1.0]);
    expect([c.lidar.cluster.toleranceM, c.lidar.cluster.minSize, c.lidar.cluster.maxSize]).toEqual([0.7, 10, 1000]);
    expect([c.inputTopic, c.outputTopic, c.groupId]).toEqual(['raw.lidar', 'obs.lidar', 'lidar-worker']);
    expect(Object.isFrozen(c.lidar.voxel)).toBe(true);
  });

  it('takes overrides from the environment and names the key and range of a bad value', () => {
    expect(loadLidarConfig({ SENSORFUSE_LIDAR_LIDAR_VOXEL_LEAF_XM: '0.2', SENSORFUSE_LIDAR_BUS_BROKERS: '["k1:9092","k2:9092"]' })).toMatchObject({
      lidar: { voxel: { leafXM: 0.2 } },
      bus: { brokers: ['k1:9092', 'k2:9092'] },
    });
    expect(() => loadLidarConfig({ SENSORFUSE_LIDAR_LIDAR_CLUSTER_TOLERANCE_M: '50' })).toThrow(ConfigError);
    expect(() => loadLidarConfig({ SENSORFUSE_LIDAR_LIDAR_CLUSTER_TOLERANCE_M: '50' })).toThrow(/lidar\.cluster\.toleranceM.*\[0\.05, 10\].*50/);
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/lidar-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(lidarConfigSchema, { envPrefix: LIDAR_ENV_PREFIX })));
  });
});
