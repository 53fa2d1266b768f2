/**
 * Which scenes the evaluation uses. Seeds: the fusion core was tuned on TUNING_SEEDS only; the reported
 * table uses HELD_OUT_SEEDS, never looked at while tuning; the camera score calibration is fitted on
 * CALIBRATION_SEEDS, used for nothing else. (The camera detector v4 was trained on seeds 1–12 (all presets),
 * urban-day 13–60 and night-rain 13–30 — so the tuning seeds are detector training seeds —, selected on 90–97 and
 * measured on 101–102; the held-out and calibration seeds are disjoint from all of those.)
 */
import type { PresetName } from '@sensorfuse/simulator';
import type { SceneKey } from './scene-types.js';

/**
 * 11–12 were the only tuning seeds of sessions 2–5 (and are detector training seeds); 301–306 were added
 * (2026-11-28) because two seeds could not tell a MOTA change of 0.02 from the seed-to-seed spread
 * (urban-day fused MOTA 0.551 on 11–12, 0.509 on 301–306 with the same code).
 */
export const TUNING_SEEDS: readonly number[] = [11, 12, 301, 302, 303, 304, 305, 306];
/**
 * 201–202 were the held-out set of sessions 2–4; two seeds hold one or two trucks and a handful of animals per
 * preset, so one object moved a preset's mean AP by up to 0.18. 204–207 were added (2026-11-28, before any of
 * them was generated or looked at) to make the ±0.05 targets decidable. 203 stays evaluate.spec's seed.
 */
export const HELD_OUT_SEEDS: readonly number[] = [201, 202, 204, 205, 206, 207];
/** 61–64: detector v4 trained on urban-day 13–60 and night-rain 13–30 (41–44 fitted v3's calibration, then became training seeds). */
export const CALIBRATION_SEEDS: readonly number[] = [61, 62, 63, 64];
export const EVAL_PRESETS: readonly PresetName[] = ['urban-day', 'night-rain', 'sensor-dropout', 'crowded'];
/** The calibration covers every preset the detector meets, highway too: urban seeds often have no truck in view. */
export const CALIBRATION_PRESETS: readonly PresetName[] = [...EVAL_PRESETS, 'highway'];

/** The camera of sensor-dropout dies at 12 s: its scenes run long enough to have a 12 s outage. */
export function durationFor(preset: PresetName, mode: 'full' | 'quick'): number {
  if (preset === 'sensor-dropout') return mode === 'full' ? 24 : 16;
  return mode === 'full' ? 20 : 8;
}

export function sceneKeys(seeds: readonly number[], mode: 'full' | 'quick', presets: readonly PresetName[] = EVAL_PRESETS): SceneKey[] {
  return presets.flatMap((preset) => seeds.map((seed) => ({ preset, seed, durationS: durationFor(preset, mode) })));
}
