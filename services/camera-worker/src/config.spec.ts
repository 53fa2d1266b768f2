import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { CAMERA_ENV_PREFIX, cameraConfigSchema, loadCameraConfig } from './config.js';

describe('camera config', () => {
  it('reads nested parameters from the environment and refuses out-of-range and unknown values', () => {
    const c = loadCameraConfig({ SENSORFUSE_CAMERA_CAMERA_SCORE_THRESHOLD: '0.4', SENSORFUSE_CAMERA_MODEL_LAYOUT: 'nms-n6' });
    expect(c.camera.scoreThreshold).toBe(0.4);
    expect(c.model.layout).toBe('nms-n6');
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => loadCameraConfig({ SENSORFUSE_CAMERA_CAMERA_SCORE_THRESHOLD: '1.5' })).toThrow(ConfigError);
    expect(() => loadCameraConfig({ SENSORFUSE_CAMERA_MODEL_LAYOUT: 'ssd' })).toThrow(ConfigError);
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/camera-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(cameraConfigSchema, { envPrefix: CAMERA_ENV_PREFIX })));
  });
});
