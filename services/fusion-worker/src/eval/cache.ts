/**
 * On-disk cache of generated scenes (services/fusion-worker/.cache/eval, ignored by git): one gzipped
 * JSON file per (preset, seed, duration, scene format, and what the workers that made its observations ran: models and
 * configurations, see sceneTag), plus a gzipped binary side file with the
 * non-ground LIDAR points of every sweep (early fusion). Fusion strategies and parameters can then be
 * compared and tuned in seconds; `--fresh` regenerates.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { soundEventModelPath } from '@sensorfuse/audio';
import { loadAudioConfig } from '@sensorfuse/audio-worker';
import { loadCameraConfig } from '@sensorfuse/camera-worker';
import { lidarParams, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { loadMotionConfig } from '@sensorfuse/motion-worker';
import { SCENE_FORMAT, sceneName, type Scene, type SceneKey } from './scene-types.js';

export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../.cache/eval', import.meta.url));

let sceneTagMemo: string | undefined;
/**
 * The first 12 hex digits of the SHA-256 of what makes a scene's observations besides its key: the camera worker's
 * default detector model (a retrained model, same name or not, must not reuse the old detections) and the default
 * configuration of every worker the scene runs (camera, LIDAR chain, audio with its sound-event model, motion), so a
 * changed threshold or clusterer does not reuse observations made under the old one.
 */
export function sceneTag(): string {
  if (sceneTagMemo !== undefined) return sceneTagMemo;
  const file = (p: string) => (existsSync(p) ? readFileSync(p) : Buffer.from('nomodel'));
  const camera = loadCameraConfig({});
  const audio = loadAudioConfig({});
  const hash = createHash('sha256').update(file(camera.model.path));
  hash.update(JSON.stringify(lidarParams(loadLidarConfig({}).lidar)));
  hash.update(JSON.stringify(camera.camera));
  hash.update(JSON.stringify(audio.audio));
  hash.update(file(audio.audio.events.modelPath === '' ? soundEventModelPath() : audio.audio.events.modelPath));
  hash.update(JSON.stringify(loadMotionConfig({})));
  sceneTagMemo = hash.digest('hex').slice(0, 12);
  return sceneTagMemo;
}

export function scenePath(key: SceneKey, dir = DEFAULT_CACHE_DIR): string {
  return path.join(dir, `${sceneName(key)}-v${String(SCENE_FORMAT)}-${sceneTag()}.json.gz`);
}

export function pointsPath(key: SceneKey, dir = DEFAULT_CACHE_DIR): string {
  return path.join(dir, `${sceneName(key)}-v${String(SCENE_FORMAT)}-${sceneTag()}.points.bin.gz`);
}

/** "SFPT": the side file's magic. Layout (little endian): magic u32, sweeps u32, then per sweep seq u32, points u32, x y z float32 × points. */
const POINTS_MAGIC = 0x54504653;

/** Serialises per-sweep points (x y z interleaved float32) to the side file's bytes (before gzip). */
export function encodeSweepPoints(points: ReadonlyMap<number, Float32Array>): Buffer {
  let bytes = 8;
  for (const p of points.values()) bytes += 8 + p.byteLength;
  const out = Buffer.alloc(bytes);
  out.writeUInt32LE(POINTS_MAGIC, 0);
  out.writeUInt32LE(points.size, 4);
  let at = 8;
  for (const [seq, p] of points) {
    out.writeUInt32LE(seq, at);
    out.writeUInt32LE(p.length / 3, at + 4);
    at += 8;
    Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(out, at);
    at += p.byteLength;
  }
  return out;
}

/** Parses the side file's bytes; a wrong magic or a truncated file is a RangeError (the scene is then regenerated). */
export function decodeSweepPoints(bytes: Buffer): Map<number, Float32Array> {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== POINTS_MAGIC) throw new RangeError('scene points: expected magic SFPT');
  const sweeps = bytes.readUInt32LE(4);
  const out = new Map<number, Float32Array>();
  let at = 8;
  for (let k = 0; k < sweeps; k++) {
    if (at + 8 > bytes.length) throw new RangeError(`scene points: truncated at sweep ${String(k)} of ${String(sweeps)}`);
    const seq = bytes.readUInt32LE(at);
    const n = bytes.readUInt32LE(at + 4);
    at += 8;
    if (at + 12 * n > bytes.length) throw new RangeError(`scene points: sweep ${String(seq)} needs ${String(12 * n)} bytes, ${String(bytes.length - at)} left`);
    // Copied out: the decompressed buffer's offset need not be 4-byte aligned.
    const p = new Float32Array(3 * n);
    Buffer.from(p.buffer).set(bytes.subarray(at, at + 12 * n));
    out.set(seq, p);
    at += 12 * n;
  }
  return out;
}

export function loadCachedScene(key: SceneKey, dir = DEFAULT_CACHE_DIR): Scene | undefined {
  const file = scenePath(key, dir);
  const pointsFile = pointsPath(key, dir);
  // A scene without its points is incomplete (early fusion needs them): regenerated like a missing one.
  if (!existsSync(file) || !existsSync(pointsFile)) return undefined;
  const scene = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Scene;
  if (scene.format !== SCENE_FORMAT) return undefined;
  try {
    return { ...scene, sweepPoints: decodeSweepPoints(gunzipSync(readFileSync(pointsFile))) };
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, bytes: Buffer): void {
  const tmp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

export function saveScene(scene: Scene, dir = DEFAULT_CACHE_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = scenePath(scene, dir);
  const { sweepPoints, ...json } = scene;
  // Points first: the JSON file's presence is not taken as the scene's until both are written.
  writeAtomically(pointsPath(scene, dir), gzipSync(encodeSweepPoints(sweepPoints ?? new Map()), { level: 1 }));
  writeAtomically(file, gzipSync(JSON.stringify(json), { level: 3 }));
  return file;
}
