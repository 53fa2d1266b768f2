import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sensorfuse/config';
import { loadFusionConfig } from '../config.js';
import { lateFusion } from '../core/update.js';
import { frameFusionFor, objectFusionFor, strategyByRig, UnsupportedFusionStrategyError } from './index.js';

describe('fusion.strategy switch', () => {
  it('defaults to late fusion, the rule-based reliability-weighted fusion, with no asynchronous step', () => {
    const config = loadFusionConfig({});
    expect(config.fusion.strategy).toBe('late');
    expect(config.fusion.strategyByRig).toEqual([]);
    expect(objectFusionFor(config.fusion.strategy)).toBe(lateFusion);
    const late = frameFusionFor('late');
    expect(late.fuse).toBe(lateFusion);
    expect(late.prepare).toBeUndefined();
  });

  it('gives learned fusion an asynchronous per-frame step (the batched inference)', () => {
    expect(typeof frameFusionFor('learned').prepare).toBe('function');
  });

  it('refuses early fusion in the streaming worker with a typed, non-retriable error that says why and what to do', () => {
    let error: unknown;
    try { frameFusionFor('early'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(UnsupportedFusionStrategyError);
    expect((error as UnsupportedFusionStrategyError).retriable).toBe(false);
    expect((error as Error).message).toMatch(/raw LIDAR points/);
    expect((error as Error).message).toMatch(/"late".*"learned"/);
    expect((error as Error).message).toMatch(/eval:compare/);
  });

  it('reads per-rig overrides "<rigId>=<strategy>" and rejects anything else at load', () => {
    expect([...strategyByRig(['rig-a=learned', 'fleet=7=late'])]).toEqual([['rig-a', 'learned'], ['fleet=7', 'late']]);
    expect(() => loadFusionConfig({ SENSORFUSE_FUSION_FUSION_STRATEGY_BY_RIG: '["rig-a=fancy"]' })).toThrow(ConfigError);
  });
});
