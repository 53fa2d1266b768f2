/**
 * The fusion strategy switch (`fusion.strategy` in the service config): which per-object fusion rule the
 * core runs. All strategies share association, tracking and output (the core's `update`).
 */
import { SensorfuseError } from '@sensorfuse/errors';
import { lateFusion, type ObjectFusion } from '../core/update.js';

export const FUSION_STRATEGIES = ['late', 'early', 'learned'] as const;
export type FusionStrategyName = (typeof FUSION_STRATEGIES)[number];

/** The configured strategy cannot run in this process (see the message for what it needs). */
export class UnsupportedFusionStrategyError extends SensorfuseError {
  readonly retriable = false;
}

/**
 * The per-object fusion rule of a strategy for the streaming worker. `late` is the rule-based
 * reliability-weighted fusion. `early` needs the raw LIDAR sweep (points are painted before clustering),
 * which the fusion worker does not consume — it receives LIDAR objects — so it runs in the offline
 * evaluation only. `learned` (models/fusion-attention, src/strategies/learned.ts) needs an asynchronous, batched
 * inference per frame between two core passes: it runs in the offline evaluation, not yet in the worker.
 */
export function objectFusionFor(strategy: FusionStrategyName): ObjectFusion {
  if (strategy === 'late') return lateFusion;
  const why = strategy === 'early'
    ? 'early fusion paints raw LIDAR points before clustering; the fusion worker consumes LIDAR objects, not sweeps (early fusion runs in the offline evaluation, see README "Fusion strategies")'
    : 'the attention model (models/fusion-attention) runs one batched inference per frame, which the worker\'s synchronous core step does not do yet (learned fusion runs in the offline evaluation, see README "Fusion strategies")';
  throw new UnsupportedFusionStrategyError(`fusion.strategy "${strategy}" is not available in the fusion worker: ${why}`, { context: { strategy } });
}

// painting.ts and early.ts are imported directly (they need @sensorfuse/pointcloud, which the worker does not).
