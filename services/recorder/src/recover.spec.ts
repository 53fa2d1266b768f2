import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapStreamReader, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import { Recording } from './reader.js';
import { recover } from './recover.js';
import { RecordingWriter } from './writer.js';
import { camera, cameraCodec, lidar, lidarCodec, T0_US } from './samples.spec-helper.js';
import { RecordingFormatError } from './errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function readAll(file: string): Promise<{ topic: string; seq: number; traceparent: string | undefined }[]> {
  const rec = await Recording.open(file);
  const out: { topic: string; seq: number; traceparent: string | undefined }[] = [];
  for await (const m of rec.messages()) {
    const seq = m.topic === 'raw.camera' ? cameraCodec.decode(m.value).seq : lidarCodec.decode(m.value).seq;
    out.push({ topic: m.topic, seq, traceparent: m.headers.traceparent?.toString() });
  }
  await rec.close();
  return out;
}

describe('recover', () => {
  it('turns a file whose writer was SIGKILLed mid-write into an indexed file with every message of the finished chunks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-'));
    const file = path.join(dir, 'crash.mcap');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(here, 'crash-child.spec-helper.ts'), file], {
      cwd: path.resolve(here, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let flushed = 0;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => { resolve(signal); }));
    await new Promise<void>((resolve) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        for (const m of text.matchAll(/flushed (\d+)\n/g)) flushed = Math.max(flushed, Number(m[1]));
        if (flushed >= 300 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');
    // a killed writer leaves no footer: the indexed reader refuses the file
    await expect(Recording.open(file)).rejects.toBeInstanceOf(RecordingFormatError);

    const stats = await recover({ input: file });
    expect(stats.stoppedBy).not.toBe('footer');
    const msgs = await readAll(stats.output);
    // at least everything the child saw reach the disk before the kill, as an unbroken prefix
    expect(msgs.length).toBeGreaterThanOrEqual(flushed);
    msgs.forEach((m, i) => {
      expect(m.seq).toBe(i);
      expect(m.traceparent).toBe(`t-${String(i)}`);
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('recovers every message of the chunks before the cut, at 60 cut offsets', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cut-'));
    const file = path.join(dir, 'full.mcap');
    const w = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 6 * 1024 });
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) await w.add({ topic: 'raw.lidar', key: Buffer.from('r'), headers: {}, value: lidarCodec.encode(lidar('r', i, T0_US + i * 10_000, 40)), timestampUs: 0 });
      else await w.add({ topic: 'raw.camera', key: Buffer.from('r'), headers: {}, value: cameraCodec.encode(camera('r', i, T0_US + i * 10_000)), timestampUs: 0 });
    }
    await w.close();
    const full = fs.readFileSync(file);
    // Independent oracle: the MCAP library's own stream reader gives each chunk's end offset and message count.
    const chunkEnds: { end: number; messages: number }[] = [];
    {
      const reader = new McapStreamReader({ includeChunks: true, decompressHandlers: await loadDecompressHandlers() });
      let offset = 0;
      let inChunk = 0;
      let total = 0;
      for (let i = 0; i < full.length; i += 64) {
        reader.append(full.subarray(i, Math.min(full.length, i + 64)));
        for (let r: McapTypes.TypedMcapRecord | undefined; (r = reader.nextRecord()); ) {
          if (r.type === 'Chunk') {
            if (inChunk > 0) chunkEnds.push({ end: offset, messages: total });
            offset = Math.min(full.length, i + 64) - reader.bytesRemaining();
            inChunk = 0;
          }
          if (r.type === 'Message') { inChunk++; total++; }
        }
      }
      chunkEnds.push({ end: offset, messages: total });
    }
    expect(chunkEnds.length).toBeGreaterThan(10);
    let seed = 7;
    for (let k = 0; k < 60; k++) {
      seed = (seed * 16807) % 2147483647;
      const cut = 8 + (seed % (full.length - 8));
      const cutFile = path.join(dir, 'cut.mcap');
      fs.writeFileSync(cutFile, full.subarray(0, cut));
      const stats = await recover({ input: cutFile, output: path.join(dir, 'out.mcap') });
      const expected = chunkEnds.filter((c) => c.end <= cut).at(-1)?.messages ?? 0;
      const msgs = await readAll(stats.output);
      expect(msgs.length, `cut at ${String(cut)} of ${String(full.length)}`).toBe(expected);
      msgs.forEach((m, i) => { expect(m.seq).toBe(i); });
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('closes a chunk once it is maxChunkAgeMs old, so a quiet topic survives a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'age-'));
    const file = path.join(dir, 'quiet.mcap');
    const w = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 1024 * 1024, maxChunkAgeMs: 500 });
    // Taken before the chunk opens (first add), so t0 + 499 ms is younger than 500 ms whatever the adds take
    // (comparing with performance.now() after them failed in CI when a millisecond passed between the two).
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await w.add({ topic: 'raw.camera', key: null, headers: {}, value: cameraCodec.encode(camera('r', i, T0_US + i)), timestampUs: 0 });
    expect(w.flushedMessages).toBe(0); // 3 small records, far below 1 MiB
    w.flushIfStale(t0 + 499);
    expect(w.flushedMessages).toBe(0);
    w.flushIfStale(performance.now() + 600);
    expect(w.flushedMessages).toBe(3);
    // the file now holds them without close(): recover finds all three
    const stats = await recover({ input: file });
    expect((await readAll(stats.output)).map((m) => m.seq)).toEqual([0, 1, 2]);
    await w.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('rewrites a complete file unchanged in content', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whole-'));
    const file = path.join(dir, 'full.mcap');
    const w = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 4 * 1024 });
    for (let i = 0; i < 50; i++) await w.add({ topic: 'raw.camera', key: null, headers: { traceparent: Buffer.from(`t-${String(i)}`) }, value: cameraCodec.encode(camera('r', i, T0_US + i)), timestampUs: 0 });
    await w.close();
    const stats = await recover({ input: file });
    expect(stats.stoppedBy).toBe('footer');
    expect(await readAll(stats.output)).toEqual(await readAll(file));
    fs.rmSync(dir, { recursive: true });
  });
});
