/**
 * Simulator scenes for the sound-event classifier: per seed, a scene with a random sequence of
 * sound events (kind, level, duration, source object drawn from the seed) at a random scenario SNR,
 * and the per-log-mel-row truth derived from the simulator's per-chunk truth. Shared by the
 * exporter (training data) and the evaluation (held-out seeds), so both label the same way.
 */
import { AudioProcessor, defaultAudioProcessorParams, type AudioProcessorParams, type ModelRunner, type PatchScores, type SoundEvent } from '@sensorfuse/audio';
import { CoreSimulation, Rng, resolveScenario, type Scenario, type SoundKind } from '@sensorfuse/simulator';

/** Classifier classes; index 0 is background (no event). Simulator kind `bark` is the class `dog_bark`. */
export const CLASSES = ['background', 'siren', 'horn', 'dog_bark', 'impact', 'speech'] as const;
export const KIND_TO_CLASS: Readonly<Record<SoundKind, number>> = { siren: 1, horn: 2, bark: 3, impact: 4, speech: 5 };

export const TRAIN_SEEDS: readonly number[] = Array.from({ length: 40 }, (_, i) => i + 1);
export const HELD_OUT_SEEDS: readonly number[] = Array.from({ length: 16 }, (_, i) => i + 101);

export interface SceneEvent {
  readonly kind: SoundKind;
  readonly onsetS: number;
  readonly durationS: number;
  readonly levelDb: number;
}

export interface Scene {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly events: readonly SceneEvent[];
}

const KINDS: readonly SoundKind[] = ['siren', 'horn', 'bark', 'impact', 'speech'];

/** A scene of `durationS` seconds: events one after another with 0.6–2.5 s of silence between them. */
export function makeScene(seed: number, durationS: number, snrOverrideDb?: number): Scene {
  const rng = Rng.forName(seed, 'audio-events-scene');
  const drawnSnrDb = rng.uniform(5, 25);
  const snrDb = snrOverrideDb ?? drawnSnrDb;
  const events: SceneEvent[] = [];
  let t = rng.uniform(1, 2);
  while (t < durationS - 1) {
    const kind = rng.pick(KINDS);
    const dur = kind === 'impact' ? 0.3 : kind === 'siren' ? rng.uniform(2, 5) : rng.uniform(0.8, 2.5);
    const d = Math.min(dur, durationS - 0.5 - t);
    if (d < 0.3) break;
    events.push({ kind, onsetS: t, durationS: d, levelDb: rng.uniform(-9, 0) });
    t += d + rng.uniform(0.6, 2.5);
  }
  const scenario = resolveScenario({
    durationS,
    sensors: { audio: { snrDb, windLevel: rng.uniform(0.3, 1.5), engineLevel: rng.uniform(0.3, 1.5) } },
    sounds: { events: events.map((e) => ({ kind: e.kind, objectIndex: -1, onsetS: e.onsetS, durationS: e.durationS, levelDb: e.levelDb })), randomEventsPerMinute: 0 },
  });
  return { seed, scenario, events };
}

/** Truth of one log-mel row: the loudest sound arriving at the array, its SNR, how many sound. */
export interface RowTruth {
  /** Class index of the loudest arriving event (0 when none). */
  readonly cls: number;
  /** Event id (simulator numbering) of that event, 0 when none. */
  readonly eventId: number;
  /** Estimated event SNR at the array: level − 20·log10(distance / 10 m) + scenario SNR (dB). */
  readonly eventSnrDb: number;
  readonly active: number;
}

export interface SceneFeatures {
  readonly scene: Scene;
  readonly nMels: number;
  /** Log-mel rows (rows × nMels, dB) exactly as AudioProcessor computes them at run time. */
  readonly rows: Float32Array;
  readonly rowCount: number;
  readonly firstRowUs: number;
  readonly hopUs: number;
  readonly truth: RowTruth[];
  /** The raw chunks, for evaluations that replay them through the worker core. */
  readonly chunks: readonly { readonly captureTimeUs: number; readonly frames: number; readonly data: Uint8Array }[];
  /** With an event runner: every classified patch and every closed event (plus those open at the end). */
  readonly patches: readonly PatchScores[];
  readonly events: readonly SoundEvent[];
}

/** Run the scene's audio through AudioProcessor (no VAD, no DOA: they do not change the log-mel rows). */
export async function sceneFeatures(scene: Scene, eventRunner?: ModelRunner, logMelInput: AudioProcessorParams['logMelInput'] = 'denoised'): Promise<SceneFeatures> {
  const audioCfg = scene.scenario.sensors.audio;
  const p: AudioProcessorParams = { ...defaultAudioProcessorParams(audioCfg.sampleRateHz, audioCfg.micPositionsM.length), logMelInput };
  const proc = new AudioProcessor(p, eventRunner === undefined ? {} : { eventRunner });
  const patches: PatchScores[] = [];
  const events: SoundEvent[] = [];
  let open: SoundEvent[] = [];
  const sim = new CoreSimulation(scene.scenario, { seed: scene.seed, sensors: ['audio'] });
  const rowBlocks: Float32Array[] = [];
  let rowCount = 0;
  let firstRowUs: number | undefined;
  let hopUs = 0;
  const chunkTimes = new Map<number, { startUs: number; endUs: number }>();
  const chunkTruth: { startUs: number; endUs: number; cls: number; eventId: number; snr: number; active: number }[] = [];
  const chunks: { captureTimeUs: number; frames: number; data: Uint8Array }[] = [];
  // Scene events sorted by onset get simulator event ids 1, 2, … (no random events).
  const byId = [...scene.events].sort((a, b) => a.onsetS - b.onsetS);
  for (const rec of sim.records()) {
    if (rec.kind === 'audio') {
      const a = await proc.process({
        sensorId: rec.sensorId, captureTimeUs: rec.captureTimeUs, sampleFormat: 's16le', channels: rec.channels,
        sampleRateHz: rec.sampleRateHz, frames: rec.sampleCount, data: rec.data,
      });
      chunks.push({ captureTimeUs: rec.captureTimeUs, frames: rec.sampleCount, data: rec.data });
      if (a.soundEvents !== undefined) {
        patches.push(...a.soundEvents.patches);
        events.push(...a.soundEvents.events.filter((e) => !e.open));
        open = a.soundEvents.events.filter((e) => e.open);
      }
      chunkTimes.set(rec.seq, { startUs: rec.captureTimeUs, endUs: rec.captureTimeUs + a.windowDurationUs });
      if (a.logMel.frames > 0) {
        firstRowUs ??= a.logMelFirstFrameUs;
        rowBlocks.push(a.logMel.data);
        rowCount += a.logMel.frames;
      }
      hopUs = a.logMelHopUs;
    } else if (rec.kind === 'truth' && rec.forSensorId === audioCfg.sensorId) {
      const span = chunkTimes.get(rec.forSeq);
      if (span === undefined) continue;
      let best = { cls: 0, eventId: 0, snr: -Infinity };
      for (const s of rec.sounds) {
        const ev = byId[s.eventId - 1];
        const level = ev?.levelDb ?? 0;
        const snr = level - 20 * Math.log10(Math.max(1, s.distanceM) / 10) + audioCfg.snrDb;
        if (snr > best.snr) best = { cls: KIND_TO_CLASS[s.kind], eventId: s.eventId, snr };
      }
      chunkTruth.push({ ...span, cls: best.cls, eventId: best.eventId, snr: best.snr, active: rec.sounds.length });
    }
  }
  const nMels = p.logMel.nMels;
  const rows = new Float32Array(rowCount * nMels);
  let off = 0;
  for (const b of rowBlocks) {
    rows.set(b, off);
    off += b.length;
  }
  const first = firstRowUs ?? 0;
  // A row's truth is that of the chunk holding the centre of its analysis window.
  const centreUs = (p.logMel.fftSize / 2 / audioCfg.sampleRateHz) * 1e6;
  chunkTruth.sort((x, y) => x.startUs - y.startUs);
  const truth: RowTruth[] = [];
  let ci = 0;
  for (let r = 0; r < rowCount; r++) {
    const t = first + r * hopUs + centreUs;
    while (ci < chunkTruth.length - 1 && (chunkTruth[ci]?.endUs ?? 0) <= t) ci++;
    const c = chunkTruth[ci];
    if (c === undefined || t < c.startUs || t >= c.endUs) {
      truth.push({ cls: 0, eventId: 0, eventSnrDb: -Infinity, active: 0 });
    } else {
      truth.push({ cls: c.cls, eventId: c.eventId, eventSnrDb: c.snr, active: c.active });
    }
  }
  events.push(...open);
  return { scene, nMels, rows, rowCount, firstRowUs: first, hopUs, truth, chunks, patches, events };
}

export const PATCH_ROWS = 48;
export const MIN_EVENT_ROWS = 12;
export const MIN_EVENT_SNR_DB = 0;
export const FAINT_BACKGROUND_SNR_DB = -12;

/** Label of the patch starting at row `start` (the rule of train.py's label_of): class index, or -1 = ambiguous. */
export function patchLabel(truth: readonly RowTruth[], start: number): number {
  const rows = truth.slice(start, start + PATCH_ROWS);
  const active = rows.filter((t) => t.cls > 0);
  if (active.length === 0) return 0;
  const loud = active.filter((t) => t.eventSnrDb >= MIN_EVENT_SNR_DB);
  if (loud.length === 0) return Math.max(...active.map((t) => t.eventSnrDb)) < FAINT_BACKGROUND_SNR_DB ? 0 : -1;
  const kinds = new Set(loud.map((t) => t.cls));
  if (kinds.size !== 1) return -1;
  return loud.length >= MIN_EVENT_ROWS ? (loud[0]?.cls ?? -1) : -1;
}

/** Truth events at the array: runs of rows whose loudest event (SNR ≥ minSnrDb) is the same. */
export function truthEvents(f: SceneFeatures, minSnrDb = MIN_EVENT_SNR_DB): { eventId: number; cls: number; onsetUs: number; offsetUs: number; snrDb: number }[] {
  const out = new Map<number, { eventId: number; cls: number; onsetUs: number; offsetUs: number; snrDb: number }>();
  f.truth.forEach((t, r) => {
    if (t.cls === 0 || t.eventSnrDb < minSnrDb) return;
    const centre = f.firstRowUs + r * f.hopUs + 16_000;
    const e = out.get(t.eventId);
    if (e === undefined) out.set(t.eventId, { eventId: t.eventId, cls: t.cls, onsetUs: centre, offsetUs: centre, snrDb: t.eventSnrDb });
    else e.offsetUs = centre;
  });
  return [...out.values()];
}
