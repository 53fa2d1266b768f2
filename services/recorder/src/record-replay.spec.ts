import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { lidarScanSchema } from '@sensorfuse/schemas';
import { MemoryBus, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './record.js';
import { Recording } from './reader.js';
import { replay } from './replay.js';
import { calibrationCodec, cameraCodec, drive, lidarCodec, T0_US, type Published } from './samples.spec-helper.js';

const TOPICS = ['raw.camera', 'raw.lidar', 'calibration.rig', 'sim.truth'];
const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'recorder-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function newBus(): Promise<MemoryBus> {
  const bus = new MemoryBus();
  await bus.admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 1 })));
  return bus;
}

async function publishAll(bus: Bus, events: readonly Published[]): Promise<void> {
  for (const e of events) await bus.publish(e.topic, [e.record]);
}

/** Reads `count` records from the start of the topics. */
async function collect(bus: Bus, count: number, topics = TOPICS): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    const sub = bus.subscribe({ groupId: `check-${String(Math.random())}`, topics, fromBeginning: true, highWaterMark: Infinity }).subscribe({
      next: (r) => {
        out.push(r);
        if (out.length === count) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
    if (count === 0) resolve();
  });
  return out;
}

function byTopic<T extends { topic: string }>(xs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(x.topic, [...(m.get(x.topic) ?? []), x]);
  return m;
}

function asBuffer(v: string | Buffer | null): Buffer | null {
  return v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
}

async function recordDrive(events: readonly Published[], file: string, extra: Partial<Parameters<typeof record>[0]> = {}): Promise<string[]> {
  const bus = await newBus();
  const recorder = await record({ bus, topics: TOPICS, path: file, chunkBytes: 64 * 1024, ...extra });
  await publishAll(bus, events);
  await recorder.whenReceived(events.length);
  const stats = await recorder.stop();
  await bus.close();
  return [...stats.files];
}

describe('record → replay round trip (MemoryBus)', () => {
  it('replays every record with byte-identical key, value and headers, in order per topic', async () => {
    const events = drive(3);
    const file = path.join(tmp(), 'drive.mcap');
    const files = await recordDrive(events, file);
    expect(files).toEqual([file]);

    const target = await newBus();
    const stats = await replay({ bus: target, files, rate: 'max' }).done;
    expect(stats.published + stats.staticPublished).toBe(events.length);
    const got = byTopic(await collect(target, events.length));
    const sent = byTopic(events);
    for (const topic of TOPICS) {
      const a = sent.get(topic) ?? [];
      const b = got.get(topic) ?? [];
      expect(b.length, topic).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        const s = a[i];
        const r = b[i];
        if (!s || !r) throw new Error('missing');
        expect(r.rawKey, `${topic}[${i}] key`).toEqual(asBuffer(s.record.key));
        expect(r.value.equals(s.record.value), `${topic}[${i}] value`).toBe(true);
        const sentHeaders = Object.fromEntries(Object.entries(s.record.headers ?? {}).map(([k, v]) => [k, asBuffer(v)]));
        expect(r.headers, `${topic}[${i}] headers`).toEqual(sentHeaders);
      }
    }
    await target.close();
  });

  it('writes an indexed MCAP with the Avro writer schema per channel and zstd chunks', async () => {
    const events = drive(2);
    const [file] = await recordDrive(events, path.join(tmp(), 'drive.mcap'));
    if (!file) throw new Error('no file');
    const handle = await fs.promises.open(file, 'r');
    const size = BigInt((await handle.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: { size: () => Promise.resolve(size), read: async (o, l) => { const b = Buffer.alloc(Number(l)); await handle.read(b, 0, b.length, Number(o)); return b; } },
      decompressHandlers: await loadDecompressHandlers(),
    });
    const lidarChannel = [...reader.channelsById.values()].find((c) => c.topic === 'raw.lidar');
    expect(lidarChannel?.messageEncoding).toBe('sensorfuse-envelope+avro-single-object');
    const schema = reader.schemasById.get(lidarChannel?.schemaId ?? -1);
    expect(schema?.encoding).toBe('avro');
    expect(JSON.parse(Buffer.from(schema?.data ?? []).toString('utf8'))).toEqual(lidarScanSchema);
    const truth = [...reader.channelsById.values()].find((c) => c.topic === 'sim.truth');
    expect(truth?.schemaId).toBe(0);
    expect(reader.chunkIndexes.length).toBeGreaterThan(1);
    expect(reader.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);
    expect(reader.statistics?.messageCount).toBe(BigInt(events.length));
    // the data section CRC in DataEnd matches the bytes before it (the summary CRC is checked by Initialize)
    const bytes = fs.readFileSync(file);
    expect(reader.dataSectionCrc).toBe(zlib.crc32(bytes.subarray(0, Number(reader.dataEndOffset))));
    // log time = capture time: the first LIDAR sweep of rig-a was captured at T0
    let first: bigint | undefined;
    for await (const m of reader.readMessages({ topics: ['raw.lidar'] })) { first = m.logTime; break; }
    expect(first).toBe(BigInt(T0_US));
    await handle.close();
  });

  it('rotates files by size and replays the set as one recording', async () => {
    const events = drive(4);
    const files = await recordDrive(events, path.join(tmp(), 'drive.mcap'), { splitBytes: 40 * 1024, chunkBytes: 16 * 1024, compression: 'none' });
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect(path.basename(f)).toMatch(/^drive_\d{4}\.mcap$/);
    const rec = await Recording.open(files);
    let n = 0;
    let last = -Infinity;
    for await (const m of rec.messages()) {
      expect(m.logTimeUs).toBeGreaterThanOrEqual(last);
      last = m.logTimeUs;
      n++;
    }
    await rec.close();
    expect(n).toBe(events.length);
  });

  it('re-times every topic by one shift and re-publishes calibration on every loop and seek', async () => {
    const events = drive(1);
    const files = await recordDrive(events, path.join(tmp(), 'drive.mcap'));
    const target = await newBus();
    const wallUs = 1_800_000_000_000_000;
    const stats = await replay({ bus: target, files, rate: 'max', loop: 2, retime: 'now', wallClockUs: () => wallUs, includeTopics: ['raw.camera', 'raw.lidar', 'calibration.rig'] }).done;
    const perLoop = events.filter((e) => e.topic !== 'sim.truth').length;
    expect(stats.loops).toBe(2);
    expect(stats.staticPublished).toBe(4); // two rigs, two loops
    const got = await collect(target, perLoop * 2, ['raw.camera', 'raw.lidar', 'calibration.rig']);
    const shift = wallUs - T0_US; // the first data record (LIDAR of rig-a) was captured at T0
    const cams = got.filter((r) => r.topic === 'raw.camera').map((r) => cameraCodec.decode(r.value));
    const scans = got.filter((r) => r.topic === 'raw.lidar').map((r) => lidarCodec.decode(r.value));
    const cals = got.filter((r) => r.topic === 'calibration.rig').map((r) => calibrationCodec.decode(r.value));
    expect(scans[0]?.captureTimeUs).toBe(T0_US + shift);
    expect(scans[0]?.publishTimeUs).toBe(T0_US + 3_000 + shift);
    expect(cams[0]?.captureTimeUs).toBe(T0_US + 1 + shift);
    expect(cals.map((c) => c.validFromUs)).toEqual([T0_US - 1 + shift, T0_US - 1 + shift, T0_US - 1 + shift, T0_US - 1 + shift]);
    // payloads other than the times are untouched
    const original = lidarCodec.decode(events.find((e) => e.topic === 'raw.lidar')?.record.value ?? Buffer.alloc(0));
    expect(scans[0]?.data.equals(original.data)).toBe(true);
    await target.close();
  });

  it('is reproducible: two deterministic replays publish the same bytes in the same order', async () => {
    const files = await recordDrive(drive(2), path.join(tmp(), 'drive.mcap'));
    const runs: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const bus = await newBus();
      const order: string[] = [];
      const spy: Bus = { admin: bus.admin, subscribe: (o) => bus.subscribe(o), transaction: () => bus.transaction(), close: () => bus.close(),
        publish: (topic, records) => { for (const r of records) order.push(`${topic}:${r.value.toString('hex').slice(0, 64)}:${r.value.length}`); return bus.publish(topic, records); } };
      await replay({ bus: spy, files, rate: 'max' }).done;
      runs.push(order);
    }
    expect(runs[0]?.length).toBeGreaterThan(50);
    expect(runs[1]).toEqual(runs[0]);
  });
});
