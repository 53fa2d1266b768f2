import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import { decodeEnvelope } from './envelope.js';
import { Recording } from './reader.js';
import { RecordingWriter } from './writer.js';

/** Raw (non-Avro) values: the log time is the given broker time, so it can go backwards across topics. */
async function jitteredRecording(file: string, options: { splitBytes?: number }): Promise<readonly string[]> {
  const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 4096, ...options });
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 3000; i++) {
    const topic = ['raw.a', 'raw.b', 'raw.c'][i % 3] ?? 'raw.a';
    // late sensors: up to 50 ms back, with exact ties now and then
    const t = 1_000_000_000 + i * 1_000 - Math.floor(rand() * 50) * 1_000;
    await writer.add({ topic, key: Buffer.from('rig'), headers: {}, value: Buffer.from(`${topic}#${String(i)}`), timestampUs: t });
  }
  return (await writer.close()).files;
}

/** The reference order: @mcap/core's indexed reader per file, files merged by log time then file order. */
async function reference(files: readonly string[], topics?: readonly string[], startTimeUs?: number, endTimeUs?: number): Promise<string[]> {
  const all: { t: number; file: number; n: number; s: string }[] = [];
  for (const [fi, f] of files.entries()) {
    const handle = await fs.promises.open(f, 'r');
    const size = BigInt((await handle.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: { size: () => Promise.resolve(size), read: async (o, l) => { const b = Buffer.alloc(Number(l)); await handle.read(b, 0, b.length, Number(o)); return b; } },
      decompressHandlers: await loadDecompressHandlers(),
    });
    let n = 0;
    for await (const m of reader.readMessages({ ...(topics ? { topics } : {}), ...(startTimeUs !== undefined ? { startTime: BigInt(startTimeUs) } : {}), ...(endTimeUs !== undefined ? { endTime: BigInt(endTimeUs) } : {}) })) {
      all.push({ t: Number(m.logTime), file: fi, n: n++, s: `${String(m.logTime)} ${decodeEnvelope(m.data).value.toString()}` });
    }
    await handle.close();
  }
  return all.sort((a, b) => a.t - b.t || a.file - b.file || a.n - b.n).map((x) => x.s);
}

async function ours(files: readonly string[], topics?: readonly string[], startTimeUs?: number, endTimeUs?: number): Promise<string[]> {
  const rec = await Recording.open(files);
  const out: string[] = [];
  for await (const m of rec.messages({ ...(topics ? { topics } : {}), ...(startTimeUs !== undefined ? { startTimeUs } : {}), ...(endTimeUs !== undefined ? { endTimeUs } : {}) })) {
    out.push(`${String(m.logTimeUs)} ${m.value.toString()}`);
  }
  await rec.close();
  return out;
}

describe('chunk-batched reading', () => {
  it('yields the same messages in the same order as the @mcap/core indexed reader, with overlapping chunks and late records', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batches-'));
    const files = await jitteredRecording(path.join(dir, 'j.mcap'), {});
    expect(files).toHaveLength(1);
    const all = await reference(files);
    expect(all).toHaveLength(3000);
    expect(await ours(files)).toEqual(all);
    expect(await ours(files, ['raw.b'])).toEqual(await reference(files, ['raw.b']));
    expect(await ours(files, ['raw.a', 'raw.c'], 1_001_000_000, 1_002_000_000)).toEqual(await reference(files, ['raw.a', 'raw.c'], 1_001_000_000, 1_002_000_000));
    fs.rmSync(dir, { recursive: true });
  });

  it('merges rotated files by log time, ties in file order', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batches-'));
    const files = await jitteredRecording(path.join(dir, 'r.mcap'), { splitBytes: 20_000 });
    expect(files.length).toBeGreaterThan(2);
    const all = await reference(files);
    expect(all).toHaveLength(3000);
    expect(await ours(files)).toEqual(all);
    fs.rmSync(dir, { recursive: true });
  });
});
