/**
 * Audio worker core throughput: the simulator's default scene (4 microphones, 16 kHz, 100 ms s16le
 * chunks, its horn, speech, siren, bark and impact over wind and engine noise) through AudioProcessor
 * with everything on — decode → high-pass → MCRA/Wiener denoise → SNR → GCC-PHAT DOA → log-mel →
 * Silero VAD and the sound-event classifier on the calling thread (the worker's default) — as a
 * multiple of real time, in wall time and in CPU time (process.cpuUsage, all threads: what it costs
 * on one core), with a per-stage breakdown. Contenders in the same run: the models in InferencePool
 * worker threads instead, the activity gate off (every VAD window and patch through the models: the
 * worst case, sound all the time), no models, each model alone on the calling thread and through its
 * pool, and bare onnxruntime-node loops as the baseline of what SileroVad and the pools cost on top;
 * plus the FFT this package uses against fft.js's own real transform. Results:
 * bench/results/audio.json and audio.md.
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
  openSileroRunner,
  openSoundEventRunner,
  OverlapAddSynthesizer,
  RealFft,
  sileroModelPath,
  SileroVad,
  SoundEventClassifier,
  soundEventModelPath,
  SpectralDenoiser,
  VAD_WINDOW_SAMPLES,
  type AudioChunkLike,
  type AudioProcessorParams,
  type LogMelFrames,
  type ModelRunner,
} from '@sensorfuse/audio';
import { openBareSession } from '@sensorfuse/inference';
import { CoreSimulation, resolveScenario } from '@sensorfuse/simulator';
import FFTJs from 'fft.js';

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
const vadBatched: AudioProcessorParams = { ...params, vadBatchUs: 400_000 };

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

const vadPool = await openSileroRunner({ thread: 'pool' });
const eventPool = await openSoundEventRunner({ thread: 'pool' });
const vadCalling = await openSileroRunner({ thread: 'calling' });
const eventCalling = await openSoundEventRunner({ thread: 'calling' });
const vadBare = await openBareSession(sileroModelPath(), { intraOpThreads: 1 });
const eventBare = await openBareSession(soundEventModelPath(), { intraOpThreads: 1 });

interface RunCounts {
  vadWindows: number;
  vadRun: number;
  patches: number;
  patchesRun: number;
}
let counts: RunCounts = { vadWindows: 0, vadRun: 0, patches: 0, patchesRun: 0 };

async function runProcessor(p: AudioProcessorParams, models: 'calling' | 'pool' | 'none'): Promise<number> {
  const runners = models === 'calling' ? { vadRunner: vadCalling, eventRunner: eventCalling } : models === 'pool' ? { vadRunner: vadPool, eventRunner: eventPool } : {};
  const proc = new AudioProcessor(p, { ...runners, array });
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
  if (models !== 'none') counts = c;
  return sink;
}
async function runVad(runner: ModelRunner): Promise<number> {
  const vad = new SileroVad(runner);
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
async function runEvents(runner: ModelRunner): Promise<number> {
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
    const spectra = frames.map((fr) => fr.spectra);
    const gains = frames.map((fr) => fr.gains);
    for (let f = 0; f < count; f++) doa.addFrame(spectra, f * 2 * bins, gains, f * bins);
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

// The FFT: RealFft (fft.js complex N/2 + split step) against fft.js's own realTransform(N), 512 points.
const FftJs = FFTJs as unknown as new (size: number) => { realTransform(out: Float64Array, data: Float64Array): void };
const fftInput = mono.slice(0, 512);
const fftIn64 = Float64Array.from(fftInput);
const realFft = new RealFft(512);
const fftjs = new FftJs(512);
const fftOut = new Float64Array(1024);
const FFT_REPS = 20_000;
function runFft(): number {
  for (let i = 0; i < FFT_REPS; i++) realFft.forward(fftIn64, fftOut);
  return fftOut[2] as number;
}
function runFftJs(): number {
  for (let i = 0; i < FFT_REPS; i++) fftjs.realTransform(fftOut, fftIn64);
  return fftOut[2] as number;
}
function runIfft(): number {
  for (let i = 0; i < FFT_REPS; i++) realFft.inverse(fftOut, fftIn64);
  return fftIn64[2] as number;
}

const contenders = {
  full: () => runProcessor(params, 'calling'),
  fullPool: () => runProcessor(params, 'pool'),
  fullBatched: () => runProcessor(vadBatched, 'calling'),
  gateOff: () => runProcessor(gateOff, 'calling'),
  dsp: () => runProcessor(params, 'none'),
  vadCalling: () => runVad(vadCalling),
  vadPool: () => runVad(vadPool),
  vadBare: runVadBare,
  eventsCalling: () => runEvents(eventCalling),
  eventsPool: () => runEvents(eventPool),
  eventsBare: () => runEvents(eventBare),
  fft: runFft,
  fftjs: runFftJs,
  ifft: runIfft,
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
await runProcessor(params, 'calling'); // counts of the gated run
const gated = counts;
await runProcessor(gateOff, 'calling');
const ungated = counts;
await vadPool.close();
await eventPool.close();
await vadCalling.close();
await eventCalling.close();
await vadBare.release();
await eventBare.release();
const load1 = loadavg()[0] ?? 0;

const audioMs = (n / FS) * 1000;
const windows = Math.floor(n / VAD_WINDOW_SAMPLES);
const rt = (ms: number): number => Math.round((audioMs / ms) * 10) / 10;
const perChunk = (ms: number): number => Math.round((ms / chunks.length) * 1000) / 1000;
const perRun = (ms: number, runs: number): number => (ms / Math.max(1, runs)) * 1000;
const vadUsPerWindow = { calling: perRun(cpu.vadCalling, windows), pool: perRun(cpu.vadPool, windows), bare: perRun(cpu.vadBare, windows) };
const eventUsPerPatch = {
  calling: perRun(cpu.eventsCalling, ungated.patches),
  pool: perRun(cpu.eventsPool, ungated.patches),
  bare: perRun(cpu.eventsBare, ungated.patches),
};
const fftUs = { realFft: perRun(cpu.fft, FFT_REPS), fftJsRealTransform: perRun(cpu.fftjs, FFT_REPS), realFftInverse: perRun(cpu.ifft, FFT_REPS) };
// the default runs the models on the calling thread
const modelStages = {
  vad: (gated.vadRun * vadUsPerWindow.calling) / 1000,
  classifier: (gated.patchesRun * eventUsPerPatch.calling) / 1000,
};
const round2 = (x: number): number => Math.round(x * 100) / 100;
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
  vadCpuPerWindowUs: { calling: Math.round(vadUsPerWindow.calling), pool: Math.round(vadUsPerWindow.pool), bare: Math.round(vadUsPerWindow.bare) },
  classifierCpuPerPatchUs: { calling: Math.round(eventUsPerPatch.calling), pool: Math.round(eventUsPerPatch.pool), bare: Math.round(eventUsPerPatch.bare) },
  fftCpuPerTransformUs: { realFft: round2(fftUs.realFft), fftJsRealTransform: round2(fftUs.fftJsRealTransform), realFftInverse: round2(fftUs.realFftInverse) },
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

${(audioMs / 1000).toFixed(1)} s of the simulator's default scene (${result.scene}): ${String(CHANNELS)} channels, ${String(FS)} Hz, ${String(chunks.length)} s16le chunks of ${String(result.chunkMs)} ms, through \`AudioProcessor\` with DOA, log-mel, Silero VAD v4 and the sound-event classifier, both models on the calling thread (\`openSileroRunner({ thread: 'calling' })\`, the audio worker's default) or each in its own \`InferencePool\` worker thread; one intra-op thread. Minimum of ${String(repeats)} interleaved runs; Node ${process.version}, ${result.cpu}, 1-min load average ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end (shared 2-core machine: wall times swing with the load; the CPU column — process.cpuUsage over all threads, i.e. the cost if everything ran on one core — is the steadier figure).

| run | wall (ms) | × real time (wall) | CPU, all threads (ms) | × real time per CPU core |
|---|---:|---:|---:|---:|
${row('**everything** (DSP + DOA + log-mel + VAD + classifier, models on the calling thread, activity gate on: the default)', 'full')}
${row('everything, models in InferencePool worker threads', 'fullPool')}
${row('everything, VAD windows held and run in 400 ms groups (vadBatchUs 400 000: speech results up to 0.4 s later)', 'fullBatched')}
${row('everything, activity gate off (every VAD window and patch through the models: sound all the time)', 'gateOff')}
${row('DSP + DOA + log-mel, no models', 'dsp')}
${row('Silero VAD alone (SileroVad), calling thread, all windows', 'vadCalling')}
${row('Silero VAD alone (SileroVad) through its pool, all windows', 'vadPool')}
${row('baseline: bare onnxruntime-node Silero loop, same windows, calling thread', 'vadBare')}
${row('classifier alone, calling thread, all patches', 'eventsCalling')}
${row('classifier alone through its pool, all patches', 'eventsPool')}
${row('baseline: bare onnxruntime-node classifier, same patches, calling thread', 'eventsBare')}

Activity gate (default on): of ${String(gated.vadWindows)} VAD windows ${String(gated.vadRun)} ran (${pct(result.gate.vadRunFraction)}), of ${String(gated.patches)} classifier patches ${String(gated.patchesRun)} ran (${pct(result.gate.patchRunFraction)}); the rest were noise at the tracked floor (probability 0 / background without running the model).

Model CPU per run: Silero ${String(result.vadCpuPerWindowUs.calling)} µs per 32 ms window on the calling thread, ${String(result.vadCpuPerWindowUs.pool)} µs through the pool, ${String(result.vadCpuPerWindowUs.bare)} µs in the bare loop; classifier ${String(result.classifierCpuPerPatchUs.calling)} µs per 0.48 s patch (one every 160 ms) on the calling thread, ${String(result.classifierCpuPerPatchUs.pool)} µs through the pool, ${String(result.classifierCpuPerPatchUs.bare)} µs bare.

FFT, 512 real points (CPU per transform, ${String(FFT_REPS)} in a row): \`RealFft.forward\` (fft.js complex 256-point transform + split step) ${result.fftCpuPerTransformUs.realFft.toFixed(2)} µs, fft.js's own \`realTransform(512)\` ${result.fftCpuPerTransformUs.fftJsRealTransform.toFixed(2)} µs; \`RealFft.inverse\` ${result.fftCpuPerTransformUs.realFftInverse.toFixed(2)} µs.

Stage breakdown of the default run (CPU; DSP stages driven one by one with a timer around each, model stages = windows or patches run × their CPU per run on the calling thread):

| stage | CPU (ms) | per chunk (ms) | share | × real time |
|---|---:|---:|---:|---:|
${stageRows}

Command: \`npm run bench -w @sensorfuse/audio\` (or \`nice -n 10 node --conditions=source --import tsx bench/audio/index.ts\`; BENCH_AUDIO_SECONDS, BENCH_AUDIO_REPEATS).
`;
writeFileSync(path.join(resultsDir, 'audio.md'), md);
console.log(md);
