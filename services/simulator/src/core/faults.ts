import type { Rng } from './rng.js';
import type { TransportFaults } from './scenario.js';

export interface Delivery {
  readonly captureTimeUs: number;
  readonly publishTimeUs: number;
}

/**
 * What the transport does to one captured record: the sensor stamps it with its own (offset,
 * drifting) clock; the record may be lost in an outage or dropped, delayed by latency and jitter,
 * held back past the next record, or delivered twice. Publish times never precede true capture.
 */
export function applyTransportFaults(
  f: TransportFaults,
  rng: Rng,
  trueCaptureUs: number,
  scenarioStartUs: number,
  periodUs: number,
): Delivery[] {
  const tS = (trueCaptureUs - scenarioStartUs) / 1e6;
  for (const o of f.outages) if (tS >= o.startS && tS < o.endS) return [];
  if (rng.chance(f.dropProbability)) return [];
  const captureTimeUs = trueCaptureUs + Math.round(f.clockOffsetUs + f.clockDriftPpm * 1e-6 * (trueCaptureUs - scenarioStartUs));
  let publishTimeUs = trueCaptureUs + Math.max(0, Math.round(f.latencyUs + (f.jitterUs > 0 ? rng.uniform(0, f.jitterUs) : 0)));
  if (rng.chance(f.reorderProbability)) publishTimeUs += periodUs + Math.max(1, Math.round(f.jitterUs));
  const out: Delivery[] = [{ captureTimeUs, publishTimeUs }];
  if (rng.chance(f.duplicateProbability)) out.push({ captureTimeUs, publishTimeUs: publishTimeUs + 1 + Math.round(rng.uniform(0, periodUs / 2)) });
  return out;
}
