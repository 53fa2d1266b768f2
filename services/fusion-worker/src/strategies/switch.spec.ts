import { describe, expect, it } from 'vitest';
import { loadFusionConfig } from '../config.js';
import { lateFusion } from '../core/update.js';
import { objectFusionFor, UnsupportedFusionStrategyError } from './index.js';

describe('fusion.strategy switch', () => {
  it('defaults to late fusion, the rule-based reliability-weighted fusion', () => {
    const config = loadFusionConfig({});
    expect(config.fusion.strategy).toBe('late');
    expect(objectFusionFor(config.fusion.strategy)).toBe(lateFusion);
  });

  it('refuses early fusion in the streaming worker with a typed, non-retriable error that says why', () => {
    let error: unknown;
    try { objectFusionFor('early'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(UnsupportedFusionStrategyError);
    expect((error as UnsupportedFusionStrategyError).retriable).toBe(false);
    expect((error as Error).message).toMatch(/raw LIDAR points/);
  });
});
