import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import { ReadAheadReader } from './read-ahead.js';
import { Recording, type RecordedMessage } from './reader.js';
import { RecordingWriter } from './writer.js';

/** What a replay sends of a message: topic, key, headers, value, times. */
const view = (m: RecordedMessage) => ({
  topic: m.topic, key: m.key?.toString('hex') ?? null, headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('hex')])),
  value: m.value.toString('hex'), logTimeUs: m.logTimeUs, publishTimeUs: m.publishTimeUs, static: m.static,
});

async function collect(it: AsyncGenerator<RecordedMessage[]>, limit = Infinity): Promise<ReturnType<typeof view>[]> {
  const out: ReturnType<typeof view>[] = [];
  for await (const batch of it) {
    for (const m of batch) out.push(view(m));
    if (out.length >= limit) break;
  }
  return out;
}

describe('ReadAheadReader (reading and decompression in a thread)', () => {
  it('gives the same messages, bytes and order as the inline reader, per range, also after an abandoned range', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-ahead-'));
    const file = path.join(dir, 'r.mcap');
    const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 8192 });
    for (let i = 0; i < 2000; i++) {
      const topic = ['raw.a', 'raw.b'][i % 2] ?? 'raw.a';
      await writer.add({ topic, key: Buffer.from('rig'), headers: { h: Buffer.from([i & 255]) }, value: Buffer.alloc(100 + (i % 7), i & 255), timestampUs: 1_000_000 + i * 1_000 });
    }
    await writer.close();
    const rec = await Recording.open(file);
    const reader = await ReadAheadReader.open([file]);
    try {
      const whole = await collect(rec.batches({}));
      expect(whole).toHaveLength(2000);
      expect(await collect(reader.batches({}))).toEqual(whole);
      // a range abandoned early (a seek), then another range (the new position) and a topic filter
      await collect(reader.batches({ startTimeUs: 1_100_000 }), 10);
      const range = { startTimeUs: 1_500_000, endTimeUs: 1_700_000, topics: ['raw.b'] };
      const expected = await collect(rec.batches(range));
      expect(expected.length).toBe(100);
      expect(await collect(reader.batches(range))).toEqual(expected);
    } finally {
      await reader.close();
      await rec.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
