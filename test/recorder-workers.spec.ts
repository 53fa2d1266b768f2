import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCameraConfig, openCameraWorker } from '@sensorfuse/camera-worker';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { createMotionWorker, loadMotionConfig } from '@sensorfuse/motion-worker';
import { datasetRecords, replay, writeImported } from '@sensorfuse/recorder';
import { MemoryBus, type ConsumedRecord } from '@sensorfuse/transport';
import type { Worker } from '@sensorfuse/worker';
import { describe, expect, it } from 'vitest';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data');
const DATASETS = [
  { kind: 'kitti', path: path.join(dataDir, 'kitti') },
  { kind: 'nuscenes', path: path.join(dataDir, 'nuscenes-sample') },
  { kind: 'px4', path: path.join(dataDir, 'px4/sample_log_small.ulg') },
  { kind: 'ouster', path: path.join(dataDir, 'ouster/OS-1-64_1024x10_fw20.pcap') },
] as const;
const SOURCE = ['raw.lidar', 'raw.camera', 'raw.motion', 'calibration.rig', 'truth.boxes'];
const OUTPUT = ['obs.lidar', 'obs.camera', 'obs.motion'];

async function until(condition: () => boolean, what: () => string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('imported datasets replayed through the workers', () => {
  it('KITTI, nuScenes, PX4 and Ouster recordings replay through the lidar, camera and motion workers without a DLQ entry', async () => {
    const present = DATASETS.filter((d) => fs.existsSync(d.path));
    for (const d of DATASETS) if (!present.includes(d)) console.warn(`skipped: ${path.relative(process.cwd(), d.path)} absent`);
    if (present.length === 0) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recorder-workers-'));
    const bus = new MemoryBus();
    await bus.admin.createTopics([...SOURCE, ...OUTPUT].map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 * 1024 * 1024 })));
    const seen: Record<string, ConsumedRecord[]> = {};
    const topics = [...SOURCE, ...OUTPUT, ...SOURCE.map((t) => `${t}.dlq`)];
    const sub = bus.subscribe({ groupId: 'observer', topics, fromBeginning: true, highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => {
      (seen[r.topic] ??= []).push(r);
    });
    const count = (topic: string): number => seen[topic]?.length ?? 0;
    const counts = (): string => JSON.stringify(Object.fromEntries(Object.entries(seen).map(([t, r]) => [t, r.length])));
    const workers: Worker[] = [
      createLidarWorker(bus, { ...loadLidarConfig({}), groupId: 'lidar' }),
      createMotionWorker(bus, { ...loadMotionConfig({}), groupId: 'motion' }),
      // a regression replay wants every frame: no dropping of frames that queued behind the replay
      await openCameraWorker(bus, { ...loadCameraConfig({ SENSORFUSE_CAMERA_CAMERA_MAX_QUEUE_DELAY_US: '0' }), groupId: 'camera' }),
    ];
    const errors: unknown[] = [];
    for (const w of workers) w.start((e) => errors.push(e));
    try {
      for (const d of present) {
        const file = path.join(dir, `${d.kind}.mcap`);
        const written = await writeImported(datasetRecords(d.kind, { path: d.path }), { path: file });
        expect(written.messages, d.kind).toBeGreaterThan(1);
        // deterministic mode with the recorded times (re-timing to now would put the end of an
        // as-fast-as-possible replay in the future, which the workers' capture-time check rejects)
        const stats = await replay({ bus, files: written.files, rate: 'max' }).done;
        expect(stats.published + stats.staticPublished, d.kind).toBeGreaterThanOrEqual(written.messages);
      }
      await until(() => count('obs.lidar') + count('raw.lidar.dlq') >= count('raw.lidar'), () => `every sweep processed: ${counts()}`);
      await until(() => count('obs.camera') + count('raw.camera.dlq') >= count('raw.camera'), () => `every image processed: ${counts()}`);
      // the motion worker emits ego states at its own rate: wait until its output stops growing
      let last = -1;
      await until(() => {
        const n = count('obs.motion') + count('raw.motion.dlq');
        const stable = n === last && n > 0;
        last = n;
        return stable;
      }, () => `motion output: ${counts()}`, 120_000);
      await Promise.all(workers.map((w) => w.drain()));
      const dlq = Object.fromEntries(SOURCE.map((t) => [t, (seen[`${t}.dlq`] ?? []).map((r) => r.headers['x-error-message']?.toString() ?? '?')]));
      expect(dlq).toEqual(Object.fromEntries(SOURCE.map((t) => [t, []])));
      expect(errors).toEqual([]);
      // each sweep and image produced its observation
      expect(count('obs.lidar')).toBe(count('raw.lidar'));
      expect(count('obs.camera')).toBe(count('raw.camera'));
      const expectedSweeps = (present.some((d) => d.kind === 'kitti') ? 2 : 0) + (present.some((d) => d.kind === 'nuscenes') ? 1 : 0) + (present.some((d) => d.kind === 'ouster') ? 1 : 0);
      expect(count('raw.lidar')).toBe(expectedSweeps);
      if (present.some((d) => d.kind === 'px4')) expect(count('obs.motion')).toBeGreaterThan(0);
    } finally {
      sub.unsubscribe();
      await Promise.all(workers.map((w) => w.drain().catch(() => undefined)));
      await bus.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
