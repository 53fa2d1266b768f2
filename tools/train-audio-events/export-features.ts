/**
 * Export log-mel rows of simulator scenes, computed by @sensorfuse/audio's AudioProcessor exactly as
 * the audio worker computes them, with per-row truth, for train.py. Output (not committed):
 *   <outDir>/<split>.f32   rows × nMels float32 (little-endian), scenes one after another
 *   <outDir>/<split>.json  { nMels, hopUs, scenes: [{ seed, rowOffset, rowCount }], cls[], snr[], active[], eventId[] }
 *
 *   node --conditions=source --import tsx tools/train-audio-events/export-features.ts <outDir> [durationS]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELD_OUT_SEEDS, TRAIN_SEEDS, makeScene, sceneFeatures } from './scenes.js';

const outDir = process.argv[2] ?? '/tmp/audio-events-data';
const durationS = Number(process.argv[3] ?? 40);
mkdirSync(outDir, { recursive: true });

for (const [split, seeds] of [['train', TRAIN_SEEDS], ['heldout', HELD_OUT_SEEDS]] as const) {
  const blocks: Float32Array[] = [];
  const scenes: { seed: number; rowOffset: number; rowCount: number; events: number }[] = [];
  const cls: number[] = [];
  const snr: number[] = [];
  const active: number[] = [];
  const eventId: number[] = [];
  let nMels = 0;
  let hopUs = 0;
  let rowOffset = 0;
  for (const seed of seeds) {
    const f = await sceneFeatures(makeScene(seed, durationS));
    nMels = f.nMels;
    hopUs = f.hopUs;
    blocks.push(f.rows);
    scenes.push({ seed, rowOffset, rowCount: f.rowCount, events: f.scene.events.length });
    rowOffset += f.rowCount;
    for (const t of f.truth) {
      cls.push(t.cls);
      snr.push(Number.isFinite(t.eventSnrDb) ? Math.round(t.eventSnrDb * 10) / 10 : -99);
      active.push(t.active);
      eventId.push(t.eventId);
    }
    process.stdout.write(`${split} seed ${String(seed)}: ${String(f.rowCount)} rows, ${String(f.scene.events.length)} events\n`);
  }
  const all = new Float32Array(rowOffset * nMels);
  let o = 0;
  for (const b of blocks) {
    all.set(b, o);
    o += b.length;
  }
  writeFileSync(join(outDir, `${split}.f32`), Buffer.from(all.buffer, all.byteOffset, all.byteLength));
  writeFileSync(join(outDir, `${split}.json`), JSON.stringify({ nMels, hopUs, durationS, scenes, cls, snr, active, eventId }));
}
