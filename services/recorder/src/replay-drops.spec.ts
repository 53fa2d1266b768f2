import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, type ConsumedRecord } from '@sensorfuse/transport';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import type { PacingMode } from './pacer.js';
import { replay } from './replay.js';
import { RecordingWriter } from './writer.js';

const TOPICS = ['raw.lidar', 'raw.camera', 'raw.motion'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-drops-'));
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Sent { readonly topic: string; readonly value: Buffer; readonly t: number }

/**
 * 1.5 s of a rig: LIDAR 10 Hz (200 KB), camera 30 Hz (1 KB), IMU 200 Hz (100 B). Raw values carry
 * their own index, so order and completeness are checked byte for byte.
 */
async function recording(): Promise<{ files: readonly string[]; sent: Sent[] }> {
  const sent: Sent[] = [];
  const add = (topic: string, periodUs: number, bytes: number, offsetUs: number): void => {
    for (let t = offsetUs, i = 0; t < 1_500_000; t += periodUs, i++) {
      const value = Buffer.alloc(bytes, i & 255);
      value.write(`${topic}#${String(i)}`);
      sent.push({ topic, value, t });
    }
  };
  add('raw.lidar', 100_000, 200_000, 0);
  add('raw.camera', 33_333, 1_000, 500);
  add('raw.motion', 5_000, 100, 250);
  sent.sort((a, b) => a.t - b.t);
  const writer = new RecordingWriter({ path: path.join(dir, 'rig.mcap'), catalog: new SchemaCatalog(), chunkBytes: 256 * 1024 });
  for (const s of sent) await writer.add({ topic: s.topic, key: Buffer.from('rig'), headers: {}, value: s.value, timestampUs: 1_800_000_000_000_000 + s.t });
  return { files: (await writer.close()).files, sent };
}

async function replayed(files: readonly string[], rate: number | 'max', expected: number, pacing?: PacingMode): Promise<{ got: ConsumedRecord[]; published: number }> {
  const bus = new MemoryBus();
  await bus.admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 1 })));
  const got: ConsumedRecord[] = [];
  const sub = bus.subscribe({ groupId: 'observer', topics: TOPICS, highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => got.push(r));
  await new Promise((r) => setTimeout(r, 20));
  const stats = await replay({ bus, files, rate, pacing }).done;
  // the subscriber is fed from the bus asynchronously: wait until it has everything the replay sent
  while (got.length < stats.published) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await bus.close();
  expect(stats.published).toBe(expected);
  return { got, published: stats.published };
}

describe('replay delivers every record in order at every rate (system clock)', () => {
  for (const [rate, pacing] of [[1, 'precise'], [1, 'low-cpu'], [10, undefined], ['max', undefined]] as const) {
    it(`rate ${String(rate)}${pacing === undefined ? '' : `, ${pacing} pacing`}: no drop, no duplicate, per-topic order as recorded`, async () => {
      const { files, sent } = await recording();
      const { got } = await replayed(files, rate, sent.length, pacing);
      expect(got).toHaveLength(sent.length);
      for (const topic of TOPICS) {
        const want = sent.filter((s) => s.topic === topic).map((s) => s.value.toString('latin1', 0, 24));
        const have = got.filter((r) => r.topic === topic).map((r) => r.value.toString('latin1', 0, 24));
        expect(have, topic).toEqual(want);
      }
      // every value byte for byte (order across topics may interleave differently on delivery)
      const bytes = (xs: readonly Buffer[]): string[] => xs.map((v) => v.toString('base64')).sort();
      expect(bytes(got.map((r) => r.value))).toEqual(bytes(sent.map((s) => s.value)));
    }, 60_000);
  }
});
