import { readFileSync } from 'node:fs';
import { DEFAULT_MOTION_PARAMS } from '@sensorfuse/filters';
import { describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { MOTION_ENV_PREFIX, loadMotionConfig, motionConfigSchema } from './config.js';
import { motionCoreOptions } from './core/params.js';

describe('motion-worker config', () => {
  it('turns the output rate into the estimator period: 50 Hz is 20 000 µs, 7 Hz is 142 857 µs', () => {
    expect(motionCoreOptions(loadMotionConfig({}), () => 0).estimator.outputPeriodUs).toBe(20_000);
    expect(motionCoreOptions(loadMotionConfig({ SENSORFUSE_MOTION_MOTION_OUTPUT_RATE_HZ: '7' }), () => 0).estimator.outputPeriodUs).toBe(142_857);
  });

  it('keeps the filter package defaults unless configured (a change in either shows here)', () => {
    const { estimator } = motionCoreOptions(loadMotionConfig({}), () => 0);
    for (const [key, value] of Object.entries(estimator)) {
      expect([key, value]).toEqual([key, DEFAULT_MOTION_PARAMS[key as keyof typeof DEFAULT_MOTION_PARAMS]]);
    }
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/motion-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(motionConfigSchema, { envPrefix: MOTION_ENV_PREFIX })));
  });
});
