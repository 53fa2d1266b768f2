/**
 * Audio worker core throughput: a 4-channel 16 kHz stream in 100 ms s16le chunks through
 * AudioProcessor (decode → high-pass → MCRA/Wiener denoise → SNR → GCC-PHAT DOA → log-mel →
 * Silero VAD in an InferencePool worker), as a multiple of real time, with a per-stage breakdown.
 * Baseline in the same run: a bare onnxruntime-node loop (session on the calling thread, state
 * carried) over the same 512-sample VAD windows, i.e. what the worker-thread pool costs on top.
 * Results: bench/results/audio.json and audio.md.
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
  encodeS16le,
  GccPhatDoa,
  highPassCoefficients,
  LogMelExtractor,
  openSileroPool,
  OverlapAddSynthesizer,
  sileroModelPath,
  SileroVad,
  SpectralDenoiser,
  VAD_WINDOW_SAMPLES,
  type AudioChunkLike,
  type Vec3,
} from '@sensorfuse/audio';
import { openBareSession } from '@sensorfuse/inference';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../results');
const durationS = Number(process.env.BENCH_AUDIO_SECONDS ?? 20);
const repeats = Number(process.env.BENCH_AUDIO_REPEATS ?? 5);
const FS = 16000;
const CHANNELS = 4;
const CHUNK = FS / 10;
const C = 343;
const MICS: Vec3[] = [
  { x: 0.15, y: 0.15, z: 0 },
  { x: 0.15, y: -0.15, z: 0 },
  { x: -0.15, y: -0.15, z: 0 },
  { x: -0.15, y: 0.15, z: 0 },
];

// Scene: a broadband source at 40° switching on and off every second, plus independent mic noise.
function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
const n = durationS * FS;
const src = new Float32Array(n);
const g = gaussian(1);
for (let i = 0; i < n; i++) src[i] = Math.floor(i / FS) % 2 === 0 ? 0.1 * g() : 0;
const channels = MICS.map((p, c) => {
  const u = { x: Math.cos((40 * Math.PI) / 180), y: Math.sin((40 * Math.PI) / 180) };
  const shift = Math.round((-(p.x * u.x + p.y * u.y) / C) * FS);
  const noise = gaussian(100 + c);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (src[i - shift] ?? 0) + 0.02 * noise();
  return x;
});
const chunks: AudioChunkLike[] = [];
for (let i = 0; i + CHUNK <= n; i += CHUNK) {
  chunks.push({
    sensorId: 'mic_array',
    captureTimeUs: 1_700_000_000_000_000 + i * 62.5,
    sampleFormat: 's16le',
    channels: CHANNELS,
    sampleRateHz: FS,
    frames: CHUNK,
    data: encodeS16le(channels.map((c) => c.subarray(i, i + CHUNK))),
  });
}
const mono = new Float32Array(n);
for (const c of channels) for (let i = 0; i < n; i++) mono[i] = (mono[i] as number) + (c[i] as number) / CHANNELS;

const pool = await openSileroPool({ workers: 1, intraOpThreads: 1 });
const bare = await openBareSession(sileroModelPath(), { intraOpThreads: 1 });
const array = { positions: MICS, speedOfSoundMps: C };
const params = defaultAudioProcessorParams(FS, CHANNELS);

async function runFull(): Promise<number> {
  const proc = new AudioProcessor(params, { vadRunner: pool, array });
  let sink = 0;
  for (const c of chunks) sink += (await proc.process(c)).doa.length;
  return sink;
}
async function runDspOnly(): Promise<number> {
  const proc = new AudioProcessor(params, { array });
  let sink = 0;
  for (const c of chunks) sink += (await proc.process(c)).doa.length;
  return sink;
}
async function runVadPool(): Promise<number> {
  const vad = new SileroVad(pool);
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
    const out = await bare.run({
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

/** Process CPU time in ms (the stage loop is single-threaded, so this is its own CPU time). */
function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

// Per-stage breakdown: the processor's stages driven one by one with a timer around each.
const stageMs = { decode: 0, highPass: 0, denoise: 0, doa: 0, logMel: 0 }; // denoise = 4-channel analysis + mix synthesis
function runStages(): number {
  const hp = MICS.map(() => new Biquad(highPassCoefficients(FS, params.highPassHz)));
  const dn = MICS.map(() => new SpectralDenoiser({ ...params.denoise, sampleRateHz: FS }));
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
/** Wall time of one run; its process CPU time (all threads, the pool's worker included) goes to lastCpuMs. */
async function time(fn: () => Promise<number> | number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  lastCpuMs = (c.user + c.system) / 1000;
  return wall;
}

// warm-up, then interleaved repeats; the minimum is the intrinsic cost on a shared machine
await runFull();
await runVadBare();
runStages();
const best = { full: Infinity, dsp: Infinity, vadPool: Infinity, vadBare: Infinity };
const cpu = { full: Infinity, dsp: Infinity, vadPool: Infinity, vadBare: Infinity };
for (let r = 0; r < repeats; r++) {
  for (const [key, fn] of [
    ['full', runFull],
    ['dsp', runDspOnly],
    ['vadPool', runVadPool],
    ['vadBare', runVadBare],
  ] as const) {
    best[key] = Math.min(best[key], await time(fn));
    cpu[key] = Math.min(cpu[key], lastCpuMs);
  }
  runStages();
}
await pool.close();
await bare.release();

const audioMs = durationS * 1000;
const windows = Math.floor(n / VAD_WINDOW_SAMPLES);
const rt = (ms: number): number => Math.round((audioMs / ms) * 10) / 10;
const perChunk = (ms: number): number => Math.round((ms / chunks.length) * 1000) / 1000;
const result = {
  name: 'audio',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage1m: loadavg()[0],
  audioSeconds: durationS,
  channels: CHANNELS,
  sampleRateHz: FS,
  chunkMs: 100,
  chunks: chunks.length,
  vadWindows: windows,
  repeats,
  ms: best,
  cpuMs: cpu,
  stageMs,
  timesRealTime: { full: rt(best.full), dspOnly: rt(best.dsp), vadPool: rt(best.vadPool), vadBareBaseline: rt(best.vadBare) },
  timesRealTimePerCpu: { full: rt(cpu.full), dspOnly: rt(cpu.dsp), vadPool: rt(cpu.vadPool), vadBareBaseline: rt(cpu.vadBare) },
  perChunkMs: { full: perChunk(best.full), dspOnly: perChunk(best.dsp), vadPool: perChunk(best.vadPool), vadBareBaseline: perChunk(best.vadBare) },
  vadCpuPerWindowUs: {
    pool: Math.round((cpu.vadPool / windows) * 1000),
    bare: Math.round((cpu.vadBare / windows) * 1000),
  },
  poolOverBareCpu: Math.round((cpu.vadPool / cpu.vadBare) * 100) / 100,
  poolOverBareWall: Math.round((best.vadPool / best.vadBare) * 100) / 100,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'audio.json'), `${JSON.stringify(result, null, 2)}\n`);
const stageRows = (Object.keys(stageMs) as (keyof typeof stageMs)[])
  .map((k) => `| ${k} | ${stageMs[k].toFixed(1)} | ${perChunk(stageMs[k]).toFixed(3)} | ${rt(stageMs[k])} |`)
  .join('\n');
const md = `# bench/audio

${String(durationS)} s of a ${String(CHANNELS)}-channel 16 kHz stream (s16le, ${String(chunks.length)} chunks of 100 ms, a broadband source at 40° on/off every second plus mic noise), minimum of ${String(repeats)} interleaved runs, Node ${process.version}, ${result.cpu}, 1-min load average ${(result.loadAverage1m ?? 0).toFixed(1)} (shared machine). VAD: Silero v4 (${String(windows)} windows of 512 samples), one worker thread, one intra-op thread.

| run | wall (ms) | per 100 ms chunk (ms) | × real time (wall) | CPU, all threads (ms) | × real time per CPU |
|---|---:|---:|---:|---:|---:|
| AudioProcessor.process, everything (DSP + DOA + log-mel + VAD through InferencePool) | ${best.full.toFixed(1)} | ${perChunk(best.full).toFixed(3)} | ${String(rt(best.full))} | ${cpu.full.toFixed(0)} | ${String(rt(cpu.full))} |
| AudioProcessor.process without VAD | ${best.dsp.toFixed(1)} | ${perChunk(best.dsp).toFixed(3)} | ${String(rt(best.dsp))} | ${cpu.dsp.toFixed(0)} | ${String(rt(cpu.dsp))} |
| SileroVad through InferencePool (worker thread) | ${best.vadPool.toFixed(1)} | ${perChunk(best.vadPool).toFixed(3)} | ${String(rt(best.vadPool))} | ${cpu.vadPool.toFixed(0)} | ${String(rt(cpu.vadPool))} |
| baseline: bare onnxruntime-node loop, same windows, calling thread | ${best.vadBare.toFixed(1)} | ${perChunk(best.vadBare).toFixed(3)} | ${String(rt(best.vadBare))} | ${cpu.vadBare.toFixed(0)} | ${String(rt(cpu.vadBare))} |

Wall time overlaps the VAD (pool thread) with DOA and log-mel (calling thread); the CPU column adds both threads, i.e. the cost if everything ran on one core.

VAD CPU per 32 ms window: ${String(result.vadCpuPerWindowUs.pool)} µs through the pool, ${String(result.vadCpuPerWindowUs.bare)} µs bare (pool / bare: ${String(result.poolOverBareCpu)} in CPU, ${String(result.poolOverBareWall)} in wall time; the pool adds a postMessage round trip per window and keeps the event loop free while the model runs).

Stage breakdown (the processor's stages driven one by one, 4 channels, CPU time):

| stage | CPU (ms) | per chunk (ms) | × real time |
|---|---:|---:|---:|
${stageRows}

Command: \`npm run bench -w @sensorfuse/audio\` (or \`node --conditions=source --import tsx bench/audio/index.ts\`; BENCH_AUDIO_SECONDS, BENCH_AUDIO_REPEATS).
`;
writeFileSync(path.join(resultsDir, 'audio.md'), md);
console.log(md);
