import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { loadSensorConfig, SENSOR_ENV_PREFIX, sensorConfigSchema } from './config.js';

describe('sensor-worker config', () => {
  it('reads nested keys from the environment and rejects out-of-range values and unknown keys', () => {
    const config = loadSensorConfig({ SENSORFUSE_SENSOR_SENSOR_GAP_METHOD: 'multiple', SENSORFUSE_SENSOR_SENSOR_CROSS_SENSOR_MIN_R_SQUARED: '0.8' });
    expect(config.sensor.gapMethod).toBe('multiple');
    expect(config.sensor.crossSensor.minRSquared).toBe(0.8);
    expect(Object.isFrozen(config.sensor)).toBe(true);
    expect(() => loadSensorConfig({ SENSORFUSE_SENSOR_SENSOR_HAMPEL_WINDOW: '2' })).toThrow(ConfigError);
    expect(() => loadSensorConfig({ SENSORFUSE_SENSOR_SENSOR_GAP_METHOD: 'spline' })).toThrow(ConfigError);
    expect(() => loadSensorConfig({ SENSORFUSE_SENSOR_SENSOR_HAMPLE_WINDOW: '7' })).toThrow(ConfigError);
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/sensor-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(sensorConfigSchema, { envPrefix: SENSOR_ENV_PREFIX })));
  });
});
