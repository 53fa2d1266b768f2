/**
 * Audio worker core throughput: the simulator's default scene (4 microphones, 16 kHz, 100 ms s16le
 * chunks, its horn, speech, siren, bark and impact over wind and engine noise) through AudioProcessor
 * with everything on — decode → high-pass → MCRA/Wiener denoise → SNR → GCC-PHAT DOA → log-mel →
 * Silero VAD and the sound-event classifier, each in its InferencePool worker thread — as a multiple
 * of real time, in wall time and in CPU time (process.cpuUsage, all threads: what it costs on one
 * core), with a per-stage breakdown. Contenders in the same run: the activity gate off (every VAD
 * window and patch through the models: the worst case, sound all the time), no models, each model
 * alone through its pool, and bare onnxruntime-node loops (session on the calling thread) as the
 * baseline of what the pools cost on top. Results: bench/results/audio.json and audio.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AudioProcessor,
  Biquad,
  decodeInterleaved,
  defaultAudioProcessorParams,
  GccPhatDoa,
  highPassCoefficients,
  LogMelExtractor,
  openSileroPool,
  openSoundEventPool,
  OverlapAddSynthesizer,
  sileroModelPath,
  SileroVad,
  SoundEventClassifier,
  soundEventModelPath,
  SpectralDenoiser,
  VAD_WINDOW_SAMPLES,
  type AudioChunkLike,
  type AudioProcessorParams,
  type LogMelFrames,
} from '@sensorfuse/audio';
import { openBareSession } from '@sensorfuse/inference';
import { CoreSimulation, resolveScenario } from '@sensorfuse/simulator';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../results');
const durationS = Number(process.env.BENCH_AUDIO_SECONDS ?? 24);
const repeats = Number(process.env.BENCH_AUDIO_REPEATS ?? 5);
const C = 343;

// The scene: the simulator's default scenario with its five sound events, audio only, 100 ms chunks.
const scenario = resolveScenario({ durationS, sensors: { audio: { chunkMs: 100 } }, sounds: { randomEventsPerMinute: 0 } });
const audioCfg = scenario.sensors.audio;
const FS = audioCfg.sampleRateHz;
const CHANNELS = audioCfg.micPositionsM.length;
const chunks: AudioChunkLike[] = [];
for (const r of new CoreSimulation(scenario, { seed: 3, sensors: ['audio'] }).records()) {
  if (r.kind === 'audio') {
    chunks.push({ sensorId: r.sensorId, captureTimeUs: r.captureTimeUs, sampleFormat: 's16le', channels: r.channels, sampleRateHz: r.sampleRateHz, frames: r.sampleCount, data: r.data });
  }
}
const CHUNK = chunks[0]?.frames ?? 1600;
const n = chunks.length * CHUNK;
const positions = audioCfg.micPositionsM.map(([x, y, z]) => ({ x, y, z }));
const array = { positions, speedOfSoundMps: C };
const params = defaultAudioProcessorParams(FS, CHANNELS);
const gateOff: AudioProcessorParams = { ...params, activityGate: { ...params.activityGate, mode: 'off' } };

// Inputs of the single-model runs: the high-passed channel mix (what the VAD hears) and the log-mel rows.
const mono = new Float32Array(n);
const logMelRows: { rows: LogMelFrames; firstUs: number; hopUs: number }[] = [];
{
  const proc = new AudioProcessor(params);
  const hp = positions.map(() => new Biquad(highPassCoefficients(FS, params.highPassHz)));
  let off = 0;
  for (const c of chunks) {
    const a = await proc.process(c);
    logMelRows.push({ rows: a.logMel, firstUs: a.logMelFirstFrameUs, hopUs: a.logMelHopUs });
    const d = decodeInterleaved(c.data, c);
    d.channels.forEach((x, ch) => {
      (hp[ch] as Biquad).process(x);
      for (let i = 0; i < x.length; i++) mono[off + i] = (mono[off + i] as number) + (x[i] as number) / CHANNELS;
    });
    off += c.frames;
  }
}

const vadPool = await openSileroPool({ workers: 1, intraOpThreads: 1 });
const eventPool = await openSoundEventPool();
const vadBare = await openBareSession(sileroModelPath(), { intraOpThreads: 1 });
const eventBare = await openBareSession(soundEventModelPath(), { intraOpThreads: 1 });

interface RunCounts {
  vadWindows: number;
  vadRun: number;
  patches: number;
  patchesRun: number;
}
let counts: RunCounts = { vadWindows: 0, vadRun: 0, patches: 0, patchesRun: 0 };

async function runProcessor(p: AudioProcessorParams, models: 'models' | 'none'): Promise<number> {
  const proc = new AudioProcessor(p, models === 'models' ? { vadRunner: vadPool, eventRunner: eventPool, array } : { array });
  const c: RunCounts = { vadWindows: 0, vadRun: 0, patches: 0, patchesRun: 0 };
  let sink = 0;
  for (const chunk of chunks) {
    const a = await proc.process(chunk);
    sink += a.doa.length;
    c.vadWindows += a.vad?.probabilities.length ?? 0;
    c.vadRun += (a.vad?.probabilities.length ?? 0) - (a.vad?.skipped ?? 0);
    c.patches += a.soundEvents?.patches.length ?? 0;
    c.patchesRun += a.soundEvents?.patches.filter((x) => x.classified).length ?? 0;
  }
  if (models === 'models') counts = c;
  return sink;
}
async function runVadPool(): Promise<number> {
  const vad = new SileroVad(vadPool);
  vad.restart(0);
  let sink = 0;
  for (let i = 0; i < n; i += CHUNK) sink += (await vad.push(mono.subarray(i, i + CHUNK))).probabilities.length;
  return sink;
}
async function runVadBare(): Promise<number> {
  let h: Float32Array = new Float32Array(128);
  let c: Float32Array = new Float32Array(128);
  const sr = BigInt64Array.of(16000n);
  let sink = 0;
  for (let i = 0; i + VAD_WINDOW_SAMPLES <= n; i += VAD_WINDOW_SAMPLES) {
    const out = await vadBare.run({
      input: { type: 'float32', dims: [1, VAD_WINDOW_SAMPLES], data: mono.slice(i, i + VAD_WINDOW_SAMPLES) },
      sr: { type: 'int64', dims: [], data: sr },
      h: { type: 'float32', dims: [2, 1, 64], data: h },
      c: { type: 'float32', dims: [2, 1, 64], data: c },
    });
    h = out.hn?.data as Float32Array;
    c = out.cn?.data as Float32Array;
    sink += (out.output?.data[0] as number) > 0.5 ? 1 : 0;
  }
  return sink;
}
async function runEvents(runner: typeof eventPool | typeof eventBare): Promise<number> {
  const cls = new SoundEventClassifier(runner, params.logMel.nMels, params.events);
  cls.restart();
  let sink = 0;
  for (const r of logMelRows) sink += (await cls.push(r.rows, r.firstUs, r.hopUs)).patches.length;
  return sink;
}

/** Process CPU time in ms (all threads). */
function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

// Per-stage breakdown of the DSP: the processor's stages driven one by one with a CPU timer around each.
const stageMs = { decode: 0, highPass: 0, denoise: 0, doa: 0, logMel: 0 }; // denoise = 4-channel analysis + mix synthesis
function runStages(): number {
  const hp = positions.map(() => new Biquad(highPassCoefficients(FS, params.highPassHz)));
  const dn = positions.map(() => new SpectralDenoiser({ ...params.denoise, sampleRateHz: FS }));
  const mel = new LogMelExtractor({ ...params.logMel, sampleRateHz: FS });
  const doa = new GccPhatDoa({ ...params.doa, sampleRateHz: FS, fftSize: params.denoise.frameLength, ...array });
  const synth = new OverlapAddSynthesizer(params.denoise.frameLength);
  const mixSpec = new Float64Array(params.denoise.frameLength + 2);
  const mix = new Float32Array(CHUNK);
  const local = { decode: 0, highPass: 0, denoise: 0, doa: 0, logMel: 0 };
  let sink = 0;
  for (const chunk of chunks) {
    let t = cpuNow();
    const audio = decodeInterleaved(chunk.data, chunk);
    let t2 = cpuNow();
    local.decode += t2 - t;
    t = t2;
    audio.channels.forEach((x, c) => (hp[c] as Biquad).process(x));
    t2 = cpuNow();
    local.highPass += t2 - t;
    t = t2;
    const frames = audio.channels.map((x, c) => (dn[c] as SpectralDenoiser).process(x));
    const bins = frames[0]?.bins ?? 0;
    const count = frames[0]?.count ?? 0;
    for (let f = 0; f < count; f++) {
      mixSpec.fill(0);
      for (const fr of frames) {
        for (let k = 0; k < bins; k++) {
          const gk = (fr.gains[f * bins + k] as number) / CHANNELS;
          mixSpec[2 * k] = (mixSpec[2 * k] as number) + (fr.spectra[f * 2 * bins + 2 * k] as number) * gk;
          mixSpec[2 * k + 1] = (mixSpec[2 * k + 1] as number) + (fr.spectra[f * 2 * bins + 2 * k + 1] as number) * gk;
        }
      }
      synth.addFrame(mixSpec);
    }
    synth.take(CHUNK, mix);
    t2 = cpuNow();
    local.denoise += t2 - t;
    t = t2;
    for (let f = 0; f < count; f++) doa.addFrame(frames.map((fr) => fr.spectra), f * 2 * bins, frames.map((fr) => fr.gains), f * bins);
    sink += doa.estimate().length;
    t2 = cpuNow();
    local.doa += t2 - t;
    t = t2;
    sink += mel.push(mix).frames;
    local.logMel += cpuNow() - t;
  }
  for (const k of Object.keys(stageMs) as (keyof typeof stageMs)[]) stageMs[k] = stageMs[k] === 0 ? local[k] : Math.min(stageMs[k], local[k]);
  return sink;
}

let lastCpuMs = 0;
/** Wall time of one run; its process CPU time (all threads, the pools' workers included) goes to lastCpuMs. */
async function time(fn: () => Promise<number> | number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  lastCpuMs = (c.user + c.system) / 1000;
  return wall;
}

const contenders = {
  full: () => runProcessor(params, 'models'),
  gateOff: () => runProcessor(gateOff, 'models'),
  dsp: () => runProcessor(params, 'none'),
  vadPool: runVadPool,
  vadBare: runVadBare,
  eventsPool: () => runEvents(eventPool),
  eventsBare: () => runEvents(eventBare),
} as const;
type Key = keyof typeof contenders;
const load0 = loadavg()[0] ?? 0;
// warm-up, then interleaved repeats; the minimum is the intrinsic cost on a shared machine
for (const fn of Object.values(contenders)) await fn();
runStages();
const best = Object.fromEntries(Object.keys(contenders).map((k) => [k, Infinity])) as Record<Key, number>;
const cpu = Object.fromEntries(Object.keys(contenders).map((k) => [k, Infinity])) as Record<Key, number>;
for (let r = 0; r < repeats; r++) {
  for (const [key, fn] of Object.entries(contenders) as [Key, () => Promise<number>][]) {
    best[key] = Math.min(best[key], await time(fn));
    cpu[key] = Math.min(cpu[key], lastCpuMs);
  }
  runStages();
}
await runProcessor(params, 'models'); // counts of the gated run
const gated = counts;
await runProcessor(gateOff, 'models');
const ungated = counts;
await vadPool.close();
await eventPool.close();
await vadBare.release();
await eventBare.release();
const load1 = loadavg()[0] ?? 0;

const audioMs = (n / FS) * 1000;
const windows = Math.floor(n / VAD_WINDOW_SAMPLES);
const rt = (ms: number): number => Math.round((audioMs / ms) * 10) / 10;
const perChunk = (ms: number): number => Math.round((ms / chunks.length) * 1000) / 1000;
const vadUsPerWindow = { pool: (cpu.vadPool / windows) * 1000, bare: (cpu.vadBare / windows) * 1000 };
const eventUsPerPatch = { pool: (cpu.eventsPool / ungated.patches) * 1000, bare: (cpu.eventsBare / ungated.patches) * 1000 };
const modelStages = {
  vad: (gated.vadRun * vadUsPerWindow.pool) / 1000,
  classifier: (gated.patchesRun * eventUsPerPatch.pool) / 1000,
};
const result = {
  name: 'audio',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage1m: { start: load0, end: load1 },
  scene: 'simulator DEFAULT_SCENARIO (horn, speech, siren, bark, impact; wind + engine noise, 15 dB), seed 3',
  audioSeconds: audioMs / 1000,
  channels: CHANNELS,
  sampleRateHz: FS,
  chunkMs: (CHUNK / FS) * 1000,
  chunks: chunks.length,
  repeats,
  wallMs: best,
  cpuMs: cpu,
  timesRealTimeWall: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, rt(v)])),
  timesRealTimePerCpu: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, rt(v)])),
  gate: { gated, ungated, vadRunFraction: gated.vadRun / Math.max(1, gated.vadWindows), patchRunFraction: gated.patchesRun / Math.max(1, gated.patches) },
  vadCpuPerWindowUs: { pool: Math.round(vadUsPerWindow.pool), bare: Math.round(vadUsPerWindow.bare) },
  classifierCpuPerPatchUs: { pool: Math.round(eventUsPerPatch.pool), bare: Math.round(eventUsPerPatch.bare) },
  stageCpuMs: { ...stageMs, ...modelStages },
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'audio.json'), `${JSON.stringify(result, null, 2)}\n`);
const stages = { ...stageMs, ...modelStages };
const stageSum = Object.values(stages).reduce((s, v) => s + v, 0);
const stageRows = (Object.keys(stages) as (keyof typeof stages)[])
  .map((k) => `| ${k} | ${stages[k].toFixed(1)} | ${perChunk(stages[k]).toFixed(3)} | ${String(Math.round((stages[k] / stageSum) * 100))} % | ${String(rt(stages[k]))} |`)
  .join('\n');
const row = (label: string, k: Key) =>
  `| ${label} | ${best[k].toFixed(0)} | ${String(rt(best[k]))} | ${cpu[k].toFixed(0)} | **${String(rt(cpu[k]))}** |`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const md = `# bench/audio

${(audioMs / 1000).toFixed(1)} s of the simulator's default scene (${result.scene}): ${String(CHANNELS)} channels, ${String(FS)} Hz, ${String(chunks.length)} s16le chunks of ${String(result.chunkMs)} ms, through \`AudioProcessor\` with DOA, log-mel, Silero VAD v4 and the sound-event classifier (each model in its own \`InferencePool\` worker thread, one intra-op thread). Minimum of ${String(repeats)} interleaved runs; Node ${process.version}, ${result.cpu}, 1-min load average ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end (shared 2-core machine: wall times swing with the load; the CPU column — process.cpuUsage over all threads, i.e. the cost if everything ran on one core — is the steadier figure).

| run | wall (ms) | × real time (wall) | CPU, all threads (ms) | × real time per CPU core |
|---|---:|---:|---:|---:|
${row('**everything** (DSP + DOA + log-mel + VAD + classifier, activity gate on: the default)', 'full')}
${row('everything, activity gate off (every VAD window and patch through the models: sound all the time)', 'gateOff')}
${row('DSP + DOA + log-mel, no models', 'dsp')}
${row('Silero VAD alone through its pool, all windows', 'vadPool')}
${row('baseline: bare onnxruntime-node Silero loop, same windows, calling thread', 'vadBare')}
${row('classifier alone through its pool, all patches', 'eventsPool')}
${row('baseline: bare onnxruntime-node classifier, same patches, calling thread', 'eventsBare')}

Activity gate (default on): of ${String(gated.vadWindows)} VAD windows ${String(gated.vadRun)} ran (${pct(result.gate.vadRunFraction)}), of ${String(gated.patches)} classifier patches ${String(gated.patchesRun)} ran (${pct(result.gate.patchRunFraction)}); the rest were noise at the tracked floor (probability 0 / background without running the model).

Model CPU: Silero ${String(result.vadCpuPerWindowUs.pool)} µs per 32 ms window through the pool, ${String(result.vadCpuPerWindowUs.bare)} µs bare; classifier ${String(result.classifierCpuPerPatchUs.pool)} µs per 0.48 s patch (one every 160 ms) through the pool, ${String(result.classifierCpuPerPatchUs.bare)} µs bare.

Stage breakdown of the default run (CPU; DSP stages driven one by one with a timer around each, model stages = windows or patches run × their CPU per run through the pool):

| stage | CPU (ms) | per chunk (ms) | share | × real time |
|---|---:|---:|---:|---:|
${stageRows}

Command: \`npm run bench -w @sensorfuse/audio\` (or \`nice -n 10 node --conditions=source --import tsx bench/audio/index.ts\`; BENCH_AUDIO_SECONDS, BENCH_AUDIO_REPEATS).
`;
writeFileSync(path.join(resultsDir, 'audio.md'), md);
console.log(md);
