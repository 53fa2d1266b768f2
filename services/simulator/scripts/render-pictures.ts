/**
 * Renders the README pictures into ../docs: a camera frame (day and night-rain), a bird's-eye view
 * of one LIDAR sweep with the truth boxes, and a spectrogram of the microphone audio.
 * Run: npm run pictures -w @sensorfuse/simulator
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { AudioRecord, LidarRecord, Scenario, TruthRecord } from '../src/index.js';
import { CoreSimulation, boxCorners, presetScenario } from '../src/index.js';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs');
mkdirSync(docs, { recursive: true });
const SEED = 7;

async function cameraFrame(preset: string, atS: number, file: string): Promise<void> {
  const sc = presetScenario(preset);
  const core = new CoreSimulation({ ...sc, durationS: atS + 0.2 }, { seed: SEED, sensors: ['camera'], truth: 'omit' });
  let last: Uint8Array | undefined;
  let w = 0;
  let h = 0;
  for (const r of core.records()) {
    if (r.kind === 'camera') {
      last = r.data;
      w = r.width;
      h = r.height;
    }
  }
  if (!last) throw new Error('no camera frame');
  await sharp(last, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(path.join(docs, file));
  console.log(`wrote ${file}`);
}

async function lidarBev(sc: Scenario, atS: number, file: string): Promise<void> {
  const core = new CoreSimulation({ ...sc, durationS: atS + 0.15 }, { seed: SEED, sensors: ['lidar'] });
  let sweep: LidarRecord | undefined;
  let truth: TruthRecord | undefined;
  for (const r of core.records()) {
    if (r.kind === 'lidar') sweep = r;
    if (r.kind === 'truth' && r.forSensorId === sc.sensors.lidar.sensorId) truth = r;
  }
  if (!sweep || !truth) throw new Error('no sweep');
  const size = 900;
  const rangeM = 45; // half-width of the view
  const scale = size / (2 * rangeM);
  const img = new Uint8Array(size * size * 3).fill(12);
  const pts = new Float32Array(sweep.data.buffer, sweep.data.byteOffset, sweep.pointCount * 5);
  const mount = sc.sensors.lidar.mountPositionM;
  // Ego frame, x forward drawn up, y left drawn left.
  const toPx = (x: number, y: number): [number, number] => [Math.round(size / 2 - y * scale), Math.round(size / 2 - x * scale)];
  for (let i = 0; i < sweep.pointCount; i++) {
    const x = (pts[i * 5] ?? 0) + mount[0];
    const y = (pts[i * 5 + 1] ?? 0) + mount[1];
    const z = (pts[i * 5 + 2] ?? 0) + mount[2];
    const inten = pts[i * 5 + 3] ?? 0;
    const [u, v] = toPx(x, y);
    if (u < 0 || v < 0 || u >= size || v >= size) continue;
    const o = (v * size + u) * 3;
    const hgt = Math.min(1, Math.max(0, z / 3));
    img[o] = 60 + 195 * hgt;
    img[o + 1] = 90 + 165 * Math.min(1, inten * 2);
    img[o + 2] = 255 - 180 * hgt;
  }
  const line = (x0: number, y0: number, x1: number, y1: number, c: readonly [number, number, number]): void => {
    const [u0, v0] = toPx(x0, y0);
    const [u1, v1] = toPx(x1, y1);
    const n = Math.max(Math.abs(u1 - u0), Math.abs(v1 - v0), 1);
    for (let k = 0; k <= n; k++) {
      const u = Math.round(u0 + ((u1 - u0) * k) / n);
      const v = Math.round(v0 + ((v1 - v0) * k) / n);
      if (u < 0 || v < 0 || u >= size || v >= size) continue;
      const o = (v * size + u) * 3;
      img[o] = c[0];
      img[o + 1] = c[1];
      img[o + 2] = c[2];
    }
  };
  const colors: Record<string, readonly [number, number, number]> = {
    car: [255, 80, 80], truck: [255, 160, 0], pedestrian: [80, 255, 80], cyclist: [255, 255, 0], animal: [255, 0, 255],
  };
  for (const o of truth.objects) {
    if ((o.lidar?.points ?? 0) === 0) continue;
    const b = o.boxEgo;
    const c = boxCorners({ center: b.centerM, length: b.lengthM, width: b.widthM, height: b.heightM, yaw: b.yawRad });
    for (let k = 0; k < 4; k++) {
      const a = c[k];
      const d = c[(k + 1) % 4];
      if (a && d) line(a[0], a[1], d[0], d[1], colors[o.objectClass] ?? [255, 255, 255]);
    }
    const f0 = c[0];
    const f3 = c[3];
    if (f0 && f3) line(b.centerM[0], b.centerM[1], (f0[0] + f3[0]) / 2, (f0[1] + f3[1]) / 2, colors[o.objectClass] ?? [255, 255, 255]);
  }
  // Ego footprint.
  line(-1, 0.9, 3.5, 0.9, [255, 255, 255]);
  line(3.5, 0.9, 3.5, -0.9, [255, 255, 255]);
  line(3.5, -0.9, -1, -0.9, [255, 255, 255]);
  line(-1, -0.9, -1, 0.9, [255, 255, 255]);
  await sharp(img, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path.join(docs, file));
  console.log(`wrote ${file}: ${sweep.pointCount} points, ${truth.objects.filter((o) => (o.lidar?.points ?? 0) > 0).length} objects hit`);
}

/** In-place radix-2 FFT on interleaved re/im. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] ?? 0, re[i] ?? 0];
      [im[i], im[j]] = [im[j] ?? 0, im[i] ?? 0];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = (re[b] ?? 0) * wr - (im[b] ?? 0) * wi;
        const xi = (re[b] ?? 0) * wi + (im[b] ?? 0) * wr;
        re[b] = (re[a] ?? 0) - xr;
        im[b] = (im[a] ?? 0) - xi;
        re[a] = (re[a] ?? 0) + xr;
        im[a] = (im[a] ?? 0) + xi;
      }
    }
  }
}

async function spectrogram(fromS: number, toS: number, file: string): Promise<void> {
  const sc = presetScenario('urban-day');
  const core = new CoreSimulation({ ...sc, durationS: toS }, { seed: SEED, sensors: ['audio'] });
  const chunks: AudioRecord[] = [];
  const kinds = new Set<string>();
  for (const r of core.records()) {
    if (r.kind === 'audio' && r.trueCaptureTimeUs >= core.startTimeUs + fromS * 1e6) chunks.push(r);
    if (r.kind === 'truth' && r.trueCaptureTimeUs >= core.startTimeUs + fromS * 1e6) for (const s of r.sounds) kinds.add(s.kind);
  }
  const channels = sc.sensors.audio.micPositionsM.length;
  const mono: number[] = [];
  for (const c of chunks) {
    const s = new Int16Array(c.data.buffer, c.data.byteOffset, c.sampleCount * channels);
    for (let i = 0; i < c.sampleCount; i++) mono.push((s[i * channels] ?? 0) / 32768);
  }
  const nfft = 512;
  const hop = 64;
  const frames = Math.floor((mono.length - nfft) / hop);
  const bins = nfft / 2;
  const width = frames;
  const height = bins;
  const img = new Uint8Array(width * height * 3);
  const win = Float64Array.from({ length: nfft }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nfft));
  const db = new Float64Array(frames * bins);
  let maxDb = -Infinity;
  for (let f = 0; f < frames; f++) {
    const re = new Float64Array(nfft);
    const im = new Float64Array(nfft);
    for (let i = 0; i < nfft; i++) re[i] = (mono[f * hop + i] ?? 0) * (win[i] ?? 0);
    fft(re, im);
    for (let b = 0; b < bins; b++) {
      const v = 10 * Math.log10((re[b] ?? 0) ** 2 + (im[b] ?? 0) ** 2 + 1e-12);
      db[f * bins + b] = v;
      maxDb = Math.max(maxDb, v);
    }
  }
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < bins; b++) {
      const x = Math.min(1, Math.max(0, ((db[f * bins + b] ?? 0) - (maxDb - 80)) / 80));
      const o = ((height - 1 - b) * width + f) * 3;
      // "inferno"-like ramp: black -> purple -> orange -> yellow.
      img[o] = Math.min(255, 255 * Math.min(1, x * 1.6));
      img[o + 1] = Math.min(255, 255 * Math.max(0, x * 1.4 - 0.45));
      img[o + 2] = Math.min(255, 255 * (x < 0.5 ? x * 1.2 : Math.max(0, 1.2 - x * 1.4)));
    }
  }
  await sharp(img, { raw: { width, height, channels: 3 } }).resize(1000, 320, { fit: 'fill' }).png().toFile(path.join(docs, file));
  console.log(`wrote ${file}: ${fromS}-${toS} s, 0-8 kHz, sounds: ${[...kinds].join(', ')}`);
}

await cameraFrame('urban-day', 6.4, 'camera-urban-day.jpg');
await cameraFrame('night-rain', 6.4, 'camera-night-rain.jpg');
await cameraFrame('crowded', 8, 'camera-crowded.jpg');
await lidarBev(presetScenario('urban-day'), 6.4, 'lidar-bev-urban-day.png');
await spectrogram(1, 11, 'audio-spectrogram-urban-day.png');
