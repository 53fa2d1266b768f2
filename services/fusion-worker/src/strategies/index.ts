/**
 * The fusion strategy switch (`fusion.strategy`, per rig `fusion.strategyByRig` in the service config):
 * which per-object fusion rule the core runs. All strategies share association, tracking and output
 * (the core's `update`).
 */
import type { AlignedFrame } from '@sensorfuse/align';
import { SensorfuseError } from '@sensorfuse/errors';
import type { FusedDetections } from '@sensorfuse/schemas';
import { lateFusion, type ObjectFusion, type UpdateContext } from '../core/update.js';
import type { FusionOutput, FusionPayload, FusionState, ResolvedCalibration } from '../core/types.js';
import { AttentionFusionModel, FUSION_ATTENTION_MODEL, learnedAnswers, trackAttention, withAttention } from './learned.js';

export const FUSION_STRATEGIES = ['late', 'early', 'learned'] as const;
export type FusionStrategyName = (typeof FUSION_STRATEGIES)[number];

/** The configured strategy cannot run in this process (see the message for what it needs). */
export class UnsupportedFusionStrategyError extends SensorfuseError {
  readonly retriable = false;
}

/** Why the streaming worker cannot run early fusion, and what to do instead. */
const EARLY_REFUSAL =
  'early fusion paints the raw LIDAR points (raw.lidar sweeps, up to 8 MiB each) with the camera detections before clustering, ' +
  'but the fusion worker consumes obs.lidar objects, not sweeps. Use fusion.strategy "late" (default) or "learned" in the worker; ' +
  'compare early fusion offline with `npm run eval:compare -w @sensorfuse/fusion-worker` (sensorfuse eval --compare-fusion), see the README "Fusion strategies"';

/**
 * The per-object fusion rule of a synchronous strategy. `late` is the rule-based reliability-weighted
 * fusion; `learned` needs an asynchronous batched inference per frame (use `frameFusionFor`); `early`
 * needs raw sweeps (refused).
 */
export function objectFusionFor(strategy: FusionStrategyName): ObjectFusion {
  if (strategy === 'late') return lateFusion;
  const why = strategy === 'early' ? EARLY_REFUSAL : 'learned fusion runs one batched inference per frame: use frameFusionFor (the fusion worker does)';
  throw new UnsupportedFusionStrategyError(`fusion.strategy "${strategy}" has no synchronous per-object rule: ${why}`, { context: { strategy } });
}

/** What a prepared frame gives the synchronous core step: its per-object rule and how to finish its record. */
export interface PreparedFrame {
  readonly fuse: ObjectFusion;
  /** Adds what the strategy publishes beyond the core's output (learned: attention per track). */
  decorate(output: FusionOutput, record: FusedDetections): FusedDetections;
}

/**
 * A strategy as the streaming worker runs it. Synchronous strategies (late) have only `fuse`; `prepare`
 * (learned) does the asynchronous part of a frame — the first core pass and one batched inference, off
 * the event loop — before the worker runs its usual synchronous core step with the returned rule. The
 * worker keeps a rig's frames in order, so the state a frame was prepared from is the state it is
 * stepped from (it prepares again if not).
 */
export interface FrameFusion {
  readonly strategy: FusionStrategyName;
  readonly fuse: ObjectFusion;
  readonly prepare?: (frame: AlignedFrame<FusionPayload>, calibration: ResolvedCalibration, state: FusionState, context: Omit<UpdateContext, 'fuse'>) => Promise<PreparedFrame>;
  close(): Promise<void>;
}

export interface FrameFusionOptions {
  /** ONNX model of the learned strategy (default models/fusion-attention/fusion-attention.onnx). */
  readonly modelPath?: string;
}

/** The strategy's runtime for the streaming worker; refuses `early` with UnsupportedFusionStrategyError. */
export function frameFusionFor(strategy: FusionStrategyName, options: FrameFusionOptions = {}): FrameFusion {
  if (strategy === 'late') return { strategy, fuse: lateFusion, close: () => Promise.resolve() };
  if (strategy === 'early') {
    throw new UnsupportedFusionStrategyError(`fusion.strategy "early" is not available in the fusion worker: ${EARLY_REFUSAL}`, { context: { strategy } });
  }
  // Opened on the first frame (the worker's start is synchronous); an open failure fails that frame's step, which fails the worker.
  let model: Promise<AttentionFusionModel> | undefined;
  const opened = () => (model ??= AttentionFusionModel.open(options.modelPath ?? FUSION_ATTENTION_MODEL));
  return {
    strategy,
    // Only reached if a frame is stepped without being prepared: the rule-based fusion, never a silent zero.
    fuse: lateFusion,
    async prepare(frame, calibration, state, context) {
      const answers = await learnedAnswers(await opened(), frame, calibration, state, context);
      let i = 0;
      const fuse: ObjectFusion = (input, params) => {
        const a = answers[i++];
        return a === undefined ? lateFusion(input, params) : { objectClass: a.objectClass, score: a.score };
      };
      return { fuse, decorate: (output, record) => withAttention(record, trackAttention(output, answers)) };
    },
    async close() {
      if (model !== undefined) await (await model).close();
    },
  };
}

/** `fusion.strategyByRig` entries (`<rigId>=<strategy>`) → map; the schema has checked the syntax. */
export function strategyByRig(entries: readonly string[]): Map<string, FusionStrategyName> {
  const out = new Map<string, FusionStrategyName>();
  for (const e of entries) {
    const at = e.lastIndexOf('=');
    const name = e.slice(at + 1);
    if ((FUSION_STRATEGIES as readonly string[]).includes(name)) out.set(e.slice(0, at), name as FusionStrategyName);
  }
  return out;
}

// painting.ts and early.ts are imported directly (they need @sensorfuse/pointcloud, which the worker does not).
