/* eslint-disable @typescript-eslint/no-non-null-assertion -- typed-array reads in per-sample loops; indices are in range by construction */
import type { Vec3 } from './geometry.js';
import { invertTransform, transformPoint } from './geometry.js';
import { Rng, gaussianTable } from './rng.js';
import type { AudioConfig, ObjectClass, Scenario, SoundKind } from './scenario.js';
import { SOUND_KINDS } from './scenario.js';
import { worldFromPose } from './sensor-pose.js';
import type { World } from './world.js';

export const SPEED_OF_SOUND_MPS = 343;
/** A source of RMS 1 at 1 m maps to this fraction of s16 full scale. */
export const FULL_SCALE_PER_UNIT = 0.25;
const OVERSAMPLE = 2;

/** A sound event as emitted at its source (times are source emission times, seconds from scenario start). */
export interface SoundEvent {
  readonly eventId: number;
  readonly kind: SoundKind;
  readonly objectIndex: number;
  readonly onsetS: number;
  readonly offsetS: number;
  readonly gain: number;
}

export interface ActiveSound {
  readonly eventId: number;
  readonly kind: SoundKind;
  readonly objectIndex: number;
  /** Direction of the source from the array centre in the ego frame (degrees, 0 = ahead, 90 = left). */
  readonly azimuthDeg: number;
  readonly distanceM: number;
}

export interface AudioChunk {
  readonly samples: Int16Array;
  readonly active: readonly ActiveSound[];
}

const PLAUSIBLE: Readonly<Record<SoundKind, readonly ObjectClass[]>> = {
  siren: ['car', 'truck'],
  horn: ['car', 'truck'],
  speech: ['pedestrian', 'cyclist'],
  bark: ['animal'],
  impact: ['pedestrian', 'cyclist', 'car', 'truck', 'animal'],
};

/** Resolve the scenario's sound events to concrete sources, plus random ones at the configured rate. */
export function planSoundEvents(world: World, seed: number): SoundEvent[] {
  const sc: Scenario = world.scenario;
  const rng = Rng.forName(seed, 'sound-plan');
  const objs = world.objects;
  if (objs.length === 0) return [];
  const pickFor = (kind: SoundKind): number => {
    const ok = objs.map((o, i) => (PLAUSIBLE[kind].includes(o.objectClass) ? i : -1)).filter((i) => i >= 0);
    return ok.length > 0 ? rng.pick(ok) : rng.int(0, objs.length - 1);
  };
  const events: SoundEvent[] = [];
  for (const e of sc.sounds.events) {
    if (e.onsetS >= sc.durationS) continue;
    const objectIndex = e.objectIndex >= 0 ? e.objectIndex % objs.length : pickFor(e.kind);
    events.push({ eventId: 0, kind: e.kind, objectIndex, onsetS: e.onsetS, offsetS: Math.min(sc.durationS, e.onsetS + e.durationS), gain: 10 ** (e.levelDb / 20) });
  }
  const rate = sc.sounds.randomEventsPerMinute / 60;
  let t = rate > 0 ? -Math.log(1 - rng.next()) / rate : Infinity;
  while (t < sc.durationS) {
    const kind = rng.pick(SOUND_KINDS);
    const dur = kind === 'impact' ? 0.3 : kind === 'siren' ? rng.uniform(3, 6) : rng.uniform(0.8, 2.5);
    events.push({ eventId: 0, kind, objectIndex: pickFor(kind), onsetS: t, offsetS: Math.min(sc.durationS, t + dur), gain: 10 ** (rng.uniform(-8, 0) / 20) });
    t += -Math.log(1 - rng.next()) / rate;
  }
  events.sort((a, b) => a.onsetS - b.onsetS || a.objectIndex - b.objectIndex);
  return events.map((e, i) => ({ ...e, eventId: i + 1 }));
}

/** Render one event's source signal at OVERSAMPLE × fs, normalised to RMS 1 × gain. */
export function renderSource(e: SoundEvent, fs: number, seed: number): Float32Array {
  const rate = fs * OVERSAMPLE;
  const n = Math.max(1, Math.round((e.offsetS - e.onsetS) * rate));
  const out = new Float32Array(n);
  const rng = Rng.forName(seed, `sound-${e.eventId}`);
  const dur = n / rate;
  const fade = (t: number, f: number): number => Math.min(1, t / f, (dur - t) / f);
  const TWO_PI = 2 * Math.PI;
  switch (e.kind) {
    case 'siren': {
      const period = rng.uniform(1.6, 2.4);
      const base = rng.uniform(850, 1000);
      const depth = rng.uniform(300, 450);
      for (let i = 0; i < n; i++) {
        const t = i / rate;
        const phi = TWO_PI * (base * t - ((depth * period) / TWO_PI) * (Math.cos((TWO_PI * t) / period) - 1));
        out[i] = (Math.sin(phi) + 0.35 * Math.sin(2 * phi) + 0.2 * Math.sin(3 * phi)) * fade(t, 0.02);
      }
      break;
    }
    case 'horn': {
      const f1 = rng.uniform(390, 430);
      const f2 = f1 * 1.26;
      for (let i = 0; i < n; i++) {
        const t = i / rate;
        let v = 0;
        for (let h = 1; h <= 5; h++) v += (Math.sin(TWO_PI * h * f1 * t) + Math.sin(TWO_PI * h * f2 * t)) / h;
        out[i] = v * fade(t, 0.015);
      }
      break;
    }
    case 'speech': {
      const vowels: readonly (readonly [number, number, number])[] = [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410]];
      const f0Base = rng.uniform(100, 210);
      let t0 = 0;
      let phase = 0;
      while (t0 < dur) {
        const syl = rng.uniform(0.12, 0.3);
        const v = rng.pick(vowels);
        const f0 = f0Base * rng.uniform(0.9, 1.15);
        const harmonics: number[] = [];
        for (let h = 1; h * f0 < 3800; h++) {
          const f = h * f0;
          let a = 0;
          v.forEach((F, j) => { a += (1 / (j + 1)) / (1 + ((f - F) / (80 + 40 * j)) ** 2); });
          harmonics.push(a);
        }
        const i0 = Math.round(t0 * rate);
        const i1 = Math.min(n, Math.round((t0 + syl) * rate));
        for (let i = i0; i < i1; i++) {
          const tl = (i - i0) / rate;
          const env = Math.sin((Math.PI * tl) / syl) ** 2;
          phase += (TWO_PI * f0 * (1 - 0.1 * (tl / syl))) / rate;
          let s = 0;
          for (let h = 0; h < harmonics.length; h++) s += harmonics[h]! * Math.sin((h + 1) * phase);
          out[i] = s * env;
        }
        t0 += syl + rng.uniform(0.04, 0.15);
      }
      break;
    }
    case 'bark': {
      let t0 = 0;
      while (t0 < dur) {
        const len = rng.uniform(0.12, 0.2);
        const fStart = rng.uniform(450, 650);
        const i0 = Math.round(t0 * rate);
        const i1 = Math.min(n, Math.round((t0 + len) * rate));
        let phase = 0;
        for (let i = i0; i < i1; i++) {
          const tl = (i - i0) / rate;
          const f = fStart * Math.exp(-tl * 2.5);
          phase += (TWO_PI * f) / rate;
          let s = 0;
          for (let h = 1; h <= 6; h++) s += Math.sin(h * phase) / h;
          s += 0.6 * rng.gaussian();
          out[i] = s * (tl / 0.01) * Math.exp(1 - tl / 0.01 / 4) * 0.25;
        }
        t0 += len + rng.uniform(0.15, 0.45);
      }
      break;
    }
    case 'impact': {
      for (let i = 0; i < n; i++) {
        const t = i / rate;
        out[i] = rng.gaussian() * Math.exp(-t / 0.03) + 1.5 * Math.sin(TWO_PI * 70 * t) * Math.exp(-t / 0.08);
      }
      break;
    }
  }
  // Normalise the RMS over the sounding part (|x| above a small floor) to the event gain.
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    if (Math.abs(v) > 1e-3) {
      sum += v * v;
      count++;
    }
  }
  const scale = count > 0 ? e.gain / Math.sqrt(sum / count) : 0;
  for (let i = 0; i < n; i++) out[i] = out[i]! * scale;
  return out;
}

/**
 * A microphone array: every active source is delayed by distance / speed of sound and attenuated
 * by 1/r to each microphone separately (so inter-microphone delays follow the bearing), then wind
 * (low-passed, mostly uncorrelated between microphones) and engine harmonics are added at the
 * configured SNR. Output is interleaved s16le.
 */
export class AudioModel {
  readonly events: readonly SoundEvent[];
  private readonly cfg: AudioConfig;
  private readonly world: World;
  private readonly seed: number;
  private readonly rng: Rng;
  private readonly buffers = new Map<number, Float32Array>();
  private readonly windState: Float64Array;
  private readonly gauss: Float32Array;
  private windCommon = 0;
  private enginePhase = 0;

  constructor(cfg: AudioConfig, world: World, events: readonly SoundEvent[], seed: number) {
    this.cfg = cfg;
    this.world = world;
    this.events = events;
    this.seed = seed;
    this.rng = Rng.forName(seed, `audio-noise-${cfg.sensorId}`);
    this.windState = new Float64Array(cfg.micPositionsM.length);
    this.gauss = gaussianTable(Rng.forName(seed, 'audio-noise-table'), 1 << 17);
  }

  /** The chunk of `sampleCount` frames whose first sample is at t0S (true time, seconds from start). */
  chunk(t0S: number, sampleCount: number): AudioChunk {
    const cfg = this.cfg;
    const fs = cfg.sampleRateHz;
    const mics = cfg.micPositionsM.length;
    const out = new Float64Array(sampleCount * mics);
    const t1S = t0S + sampleCount / fs;
    const poseA = worldFromPose(this.world.egoPose(t0S));
    const poseB = worldFromPose(this.world.egoPose(t1S));
    const micA = cfg.micPositionsM.map((m) => transformPoint(poseA, m));
    const micB = cfg.micPositionsM.map((m) => transformPoint(poseB, m));
    const active: ActiveSound[] = [];
    const maxDelay = 300 / SPEED_OF_SOUND_MPS;
    for (const e of this.events) {
      if (e.onsetS > t1S || e.offsetS + maxDelay < t0S) continue;
      const obj = this.world.objects[e.objectIndex];
      if (!obj) continue;
      const sa = this.world.objectState(obj, t0S).box.center;
      const sb = this.world.objectState(obj, t1S).box.center;
      let buf = this.buffers.get(e.eventId);
      if (!buf) {
        buf = renderSource(e, fs, this.seed);
        this.buffers.set(e.eventId, buf);
      }
      const rate = fs * OVERSAMPLE;
      let any = false;
      for (let m = 0; m < mics; m++) {
        const ra = dist(sa, micA[m]!);
        const rb = dist(sb, micB[m]!);
        for (let i = 0; i < sampleCount; i++) {
          const alpha = i / sampleCount;
          const r = ra + (rb - ra) * alpha;
          const te = t0S + i / fs - r / SPEED_OF_SOUND_MPS - e.onsetS;
          if (te < 0) continue;
          const x = te * rate;
          const j = Math.floor(x);
          if (j + 1 >= buf.length) continue;
          const f = x - j;
          const s = buf[j]! * (1 - f) + buf[j + 1]! * f;
          out[i * mics + m] = out[i * mics + m]! + s / Math.max(r, 1);
          any = true;
        }
      }
      if (any) {
        const mid = 0.5;
        const centre = cfg.micPositionsM.reduce<[number, number, number]>((acc, p) => [acc[0] + p[0] / mics, acc[1] + p[1] / mics, acc[2] + p[2] / mics], [0, 0, 0]);
        const egoFromWorld = invertTransform(worldFromPose(this.world.egoPose(t0S + (mid * sampleCount) / fs)));
        const src = transformPoint(egoFromWorld, [(sa[0] + sb[0]) / 2, (sa[1] + sb[1]) / 2, (sa[2] + sb[2]) / 2]);
        const rel: Vec3 = [src[0] - centre[0], src[1] - centre[1], src[2] - centre[2]];
        active.push({ eventId: e.eventId, kind: e.kind, objectIndex: e.objectIndex, azimuthDeg: (Math.atan2(rel[1], rel[0]) * 180) / Math.PI, distanceM: Math.hypot(rel[0], rel[1], rel[2]) });
      }
    }
    // Free rendered sources once their last sound has reached the array.
    for (const id of [...this.buffers.keys()]) {
      const e = this.events[id - 1];
      if (e && e.offsetS + maxDelay < t0S) this.buffers.delete(id);
    }
    this.addNoise(out, t0S, sampleCount);
    const samples = new Int16Array(sampleCount * mics);
    const k = FULL_SCALE_PER_UNIT * 32767;
    for (let i = 0; i < out.length; i++) samples[i] = Math.max(-32768, Math.min(32767, Math.round(out[i]! * k)));
    return { samples, active };
  }

  private addNoise(out: Float64Array, t0S: number, n: number): void {
    const cfg = this.cfg;
    const fs = cfg.sampleRateHz;
    const mics = cfg.micPositionsM.length;
    // Noise RMS so that a unit source at 10 m (RMS 0.1) sits snrDb above it.
    const target = 0.1 / 10 ** (cfg.snrDb / 20);
    const total = cfg.windLevel + cfg.engineLevel;
    if (total <= 0) return;
    const windRms = (target * Math.sqrt(cfg.windLevel / total));
    const engineRms = (target * Math.sqrt(cfg.engineLevel / total));
    // One-pole low-pass at ~150 Hz; its output variance for unit white input is (1-a)/(1+a).
    const a = Math.exp((-2 * Math.PI * 150) / fs);
    const windScale = windRms / Math.sqrt((1 - a) / (1 + a));
    const speed = this.world.egoSpeed(t0S);
    const fEngine = 22 + 3.2 * speed;
    // Harmonics 1..4 with amplitudes 1, .6, .4, .25 -> RMS sqrt(sum a^2 / 2).
    const amps = [1, 0.6, 0.4, 0.25];
    const engineScale = engineRms / Math.sqrt(amps.reduce((s, x) => s + x * x, 0) / 2);
    // White noise from a pre-drawn gaussian table, a fresh random start and odd stride per chunk.
    const rng = this.rng;
    const table = this.gauss;
    const gMask = table.length - 1;
    let gi = rng.int(0, gMask);
    const gStep = 1 + 2 * rng.int(0, 8191);
    for (let i = 0; i < n; i++) {
      gi = (gi + gStep) & gMask;
      this.windCommon = a * this.windCommon + (1 - a) * table[gi]!;
      this.enginePhase += (2 * Math.PI * fEngine) / fs;
      let eng = 0;
      for (let h = 0; h < 4; h++) eng += amps[h]! * Math.sin((h + 1) * this.enginePhase + h);
      eng *= engineScale;
      for (let m = 0; m < mics; m++) {
        gi = (gi + gStep) & gMask;
        const w = a * this.windState[m]! + (1 - a) * table[gi]!;
        this.windState[m] = w;
        out[i * mics + m] = out[i * mics + m]! + windScale * (0.8 * w + 0.6 * this.windCommon) + eng;
      }
    }
    if (this.enginePhase > 1e6) this.enginePhase %= 2 * Math.PI;
  }
}

function dist(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
