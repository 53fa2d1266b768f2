import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RigCalibration } from '@sensorfuse/schemas';
import { MemoryBus, type Bus, type OutgoingRecord } from '@sensorfuse/transport';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import { REPLAY_EPOCH_HEADER, replay } from './replay.js';
import { T0_US, drive } from './samples.spec-helper.js';
import { RecordingWriter } from './writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-epochs-'));
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

async function recording(): Promise<string[]> {
  const writer = new RecordingWriter({ path: path.join(dir, `d${String(Math.random()).slice(2)}.mcap`), catalog: new SchemaCatalog() });
  for (const e of drive(1)) {
    const headers = Object.fromEntries(Object.entries(e.record.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    await writer.add({ topic: e.topic, key: e.record.key === null ? null : Buffer.from(e.record.key), headers, value: e.record.value, timestampUs: e.captureTimeUs });
  }
  return [...(await writer.close()).files];
}

/** A MemoryBus that also lists what is published, per topic, in order. */
async function spyBus(): Promise<{ bus: Bus; sent: { topic: string; record: OutgoingRecord }[] }> {
  const inner = new MemoryBus();
  await inner.admin.createTopics(['raw.camera', 'raw.lidar', 'calibration.rig', 'sim.truth'].map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 << 20 })));
  const sent: { topic: string; record: OutgoingRecord }[] = [];
  const bus: Bus = {
    admin: inner.admin, subscribe: (o) => inner.subscribe(o), transaction: () => inner.transaction(), close: () => inner.close(),
    publish: (topic, records) => { for (const record of records) sent.push({ topic, record }); return inner.publish(topic, records); },
  };
  return { bus, sent };
}

const epochOf = (r: OutgoingRecord): string | undefined => r.headers?.[REPLAY_EPOCH_HEADER]?.toString();

describe('replay epochs and the calibration sink', () => {
  it('a looped replay marks every record <replayId>:<loop>; a single play adds no header', async () => {
    const files = await recording();
    const looped = await spyBus();
    const stats = await replay({ bus: looped.bus, files, rate: 'max', loop: 2, replayId: 'r1' }).done;
    const perLoop = stats.published / 2;
    expect(looped.sent.every((s) => epochOf(s.record) !== undefined)).toBe(true);
    const data = looped.sent.filter((s) => s.topic !== 'calibration.rig');
    expect(data.slice(0, perLoop).every((s) => epochOf(s.record) === 'r1:0')).toBe(true);
    expect(data.slice(perLoop).every((s) => epochOf(s.record) === 'r1:1')).toBe(true);
    // the recorded headers are still there
    expect(data.find((s) => s.topic === 'raw.lidar')?.record.headers?.traceparent).toBeDefined();
    const single = await spyBus();
    await replay({ bus: single.bus, files, rate: 'max' }).done;
    expect(single.sent.some((s) => epochOf(s.record) !== undefined)).toBe(false);
  });

  it('hands each calibration it re-publishes to the sink once, before the data, decoded', async () => {
    const files = await recording();
    const { bus, sent } = await spyBus();
    const handed: { calibration: RigCalibration; sentBefore: number }[] = [];
    const stats = await replay({
      bus, files, rate: 'max', loop: 2,
      calibration: { publish: (calibration) => { handed.push({ calibration, sentBefore: sent.filter((s) => s.topic !== 'calibration.rig').length }); return Promise.resolve(); } },
    }).done;
    // two rigs, each calibration (version 1, valid from T0 − 1) once although it goes out at both loops
    expect(handed.map((h) => [h.calibration.rigId, h.calibration.version, h.calibration.validFromUs])).toEqual([['rig-a', 1, T0_US - 1], ['rig-b', 1, T0_US - 1]]);
    expect(handed.every((h) => h.sentBefore === 0)).toBe(true);
    expect(stats.calibrationsHandedOver).toBe(2);
    expect(stats.staticPublished).toBe(4);
  });
});
