// Test support (not part of the package build): locating the shared data and running PCL's tools.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PointCloud } from './cloud.js';
import { readPcd, writePcd } from './pcd.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const kittiDir = path.resolve(repoRoot, '../shared/data/kitti');
export const nuscenesDir = path.resolve(repoRoot, '../shared/data/nuscenes-sample');
export const hasKitti = existsSync(path.join(kittiDir, 'velodyne', '000000.bin'));
export const KITTI_FRAMES = ['000000', '000001'] as const;

export function hasPclTool(tool: string): boolean {
  const r = spawnSync(tool, ['-h'], { encoding: 'utf8' });
  return r.error === undefined;
}

export const hasPcl = hasPclTool('pcl_voxel_grid');

export function kittiFile(kind: 'velodyne' | 'calib' | 'label_2', frame: string): string {
  return path.join(kittiDir, kind, `${frame}.${kind === 'velodyne' ? 'bin' : 'txt'}`);
}

export interface PclRun {
  readonly output: string;
  /** The tool's own time for its main step (the second "[done, X ms" it prints; the first is loading). */
  readonly computeMs: number;
}

export function runPcl(tool: string, args: readonly string[], cwd: string): PclRun {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`${tool} exited with ${String(r.status)}: ${output}`);
  const times = [...output.matchAll(/\[done, ([\d.]+) ms/g)].map((m) => Number(m[1]));
  return { output, computeMs: times[1] ?? Number.NaN };
}

/** A scratch directory removed by the returned cleanup. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sensorfuse-pcl-'));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function savePcd(dir: string, name: string, cloud: PointCloud, format: 'ascii' | 'binary' = 'binary'): string {
  const file = path.join(dir, name);
  writeFileSync(file, writePcd(cloud, format));
  return file;
}

export function loadPcd(file: string): PointCloud {
  return readPcd(readFileSync(file)).cloud;
}
