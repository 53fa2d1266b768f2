import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCloud } from './cloud.js';
import { readPcd, writePcd } from './pcd.js';
import { readKittiBin, readNuscenesBin } from './readers.js';
import { hasKitti, hasPclTool, kittiFile, nuscenesDir, runPcl, savePcd, scratchDir } from './pcl-peer.testutil.js';
import { existsSync, readdirSync } from 'node:fs';

describe('PCD reader and writer', () => {
  it('writes ascii that reads back to the same float32 values, NaN included', () => {
    const c = createCloud(3);
    c.x.set([1.5, -0.1, Number.NaN]);
    c.y.set([2, 1e-7, 3]);
    c.z.set([-3.25, 123456.789, 0]);
    c.intensity.set([0.5, 0, 255]);
    const back = readPcd(writePcd(c, 'ascii'));
    expect(back.header.data).toBe('ascii');
    expect(Array.from(back.cloud.x)).toEqual(Array.from(c.x));
    expect(Array.from(back.cloud.z)).toEqual(Array.from(c.z));
    expect(Array.from(back.cloud.intensity)).toEqual([0.5, 0, 255]);
  });

  it('reads the ascii, binary and binary_compressed (LZF) files PCL converts ours into', () => {
    if (!hasKitti) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    if (!hasPclTool('pcl_convert_pcd_ascii_binary')) {
      console.warn('skipped: pcl_convert_pcd_ascii_binary (Debian pcl-tools) not installed');
      return;
    }
    const { dir, cleanup } = scratchDir();
    try {
      const cloud = readKittiBin(readFileSync(kittiFile('velodyne', '000000')));
      savePcd(dir, 'ours.pcd', cloud, 'binary');
      const formats = ['ascii', 'binary', 'binary_compressed'] as const;
      formats.forEach((format, code) => {
        runPcl('pcl_convert_pcd_ascii_binary', ['ours.pcd', `${format}.pcd`, String(code), '9'], dir);
        const back = readPcd(readFileSync(path.join(dir, `${format}.pcd`)));
        expect(back.header.data).toBe(format);
        expect(back.cloud.length).toBe(cloud.length);
        for (const i of [0, 1, 4242, cloud.length - 1]) {
          expect(back.cloud.x[i]).toBe(cloud.x[i]);
          expect(back.cloud.y[i]).toBe(cloud.y[i]);
          expect(back.cloud.z[i]).toBe(cloud.z[i]);
          expect(back.cloud.intensity[i]).toBe(cloud.intensity[i]);
        }
      });
    } finally {
      cleanup();
    }
  });

  it('reads the nuScenes LIDAR_TOP sweep with its 34,688 points and rings 0–31', () => {
    const sweep = existsSync(nuscenesDir) ? readdirSync(nuscenesDir).find((f) => f.endsWith('.pcd.bin')) : undefined;
    if (sweep === undefined) {
      console.warn('skipped: ../shared/data/nuscenes-sample absent');
      return;
    }
    const bytes = readFileSync(path.join(nuscenesDir, sweep));
    const cloud = readNuscenesBin(bytes);
    // The count the data README states; intensities on nuScenes' 0–255 scale.
    expect(cloud.length).toBe(34_688);
    let maxI = 0;
    for (let i = 0; i < cloud.length; i++) maxI = Math.max(maxI, cloud.intensity[i] ?? 0);
    expect(maxI).toBeGreaterThan(1);
    expect(maxI).toBeLessThanOrEqual(255);
  });
});
