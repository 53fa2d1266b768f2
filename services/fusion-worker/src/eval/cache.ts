/**
 * On-disk cache of generated scenes (services/fusion-worker/.cache/eval, ignored by git): one gzipped
 * JSON file per (preset, seed, duration, scene format). Fusion strategies and parameters can then be
 * compared and tuned in seconds; `--fresh` regenerates.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SCENE_FORMAT, sceneName, type Scene, type SceneKey } from './scene-types.js';

export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../.cache/eval', import.meta.url));

export function scenePath(key: SceneKey, dir = DEFAULT_CACHE_DIR): string {
  return path.join(dir, `${sceneName(key)}-v${String(SCENE_FORMAT)}.json.gz`);
}

export function loadCachedScene(key: SceneKey, dir = DEFAULT_CACHE_DIR): Scene | undefined {
  const file = scenePath(key, dir);
  if (!existsSync(file)) return undefined;
  const scene = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Scene;
  return scene.format === SCENE_FORMAT ? scene : undefined;
}

export function saveScene(scene: Scene, dir = DEFAULT_CACHE_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = scenePath(scene, dir);
  const tmp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(tmp, gzipSync(JSON.stringify(scene), { level: 3 }));
  renameSync(tmp, file);
  return file;
}
