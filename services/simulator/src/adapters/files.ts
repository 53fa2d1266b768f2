import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import type { SimRecord } from '../core/records.js';
import type { CoreSimulation } from '../core/simulation-core.js';
import { truthToJson } from './truth-json.js';

export interface FileOutputStats {
  readonly records: number;
  readonly bytes: number;
  readonly files: readonly string[];
}

function write(stream: WriteStream, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(chunk)) resolve();
    else {
      stream.once('drain', resolve);
      stream.once('error', reject);
    }
  });
}

/**
 * Write a simulation to a directory:
 * - `scenario.json`, `calibration.json`, `sound-events.jsonl` (every event: id, kind, object, onset, offset);
 * - `records.jsonl`: one line per delivered sensor record (header fields, descriptor, and for
 *   IMU/GNSS the values) with `payload: { file, offset, length }` into `<sensorId>.bin` for bulk data;
 * - `truth.jsonl`: one line per truth record (objects, visibility per sensor, ego pose, active sounds).
 */
export async function writeSimulationFiles(core: CoreSimulation, records: AsyncIterable<SimRecord> | Iterable<SimRecord>, dir: string): Promise<FileOutputStats> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'scenario.json'), `${JSON.stringify(core.scenario, null, 2)}\n`);
  writeFileSync(path.join(dir, 'calibration.json'), `${JSON.stringify(core.calibration, null, 2)}\n`);
  writeFileSync(path.join(dir, 'sound-events.jsonl'), core.soundEventTruth().map((e) => `${JSON.stringify(e)}\n`).join(''));
  const index = createWriteStream(path.join(dir, 'records.jsonl'));
  const truth = createWriteStream(path.join(dir, 'truth.jsonl'));
  const payloads = new Map<string, { stream: WriteStream; offset: number }>();
  let count = 0;
  let bytes = 0;
  for await (const r of records) {
    count++;
    if (r.kind === 'truth') {
      await write(truth, `${JSON.stringify(truthToJson(r))}\n`);
      continue;
    }
    let line: Record<string, unknown>;
    if (r.kind === 'imu' || r.kind === 'gnss' || r.kind === 'device') line = { ...r };
    else {
      const file = `${r.sensorId}.bin`;
      let p = payloads.get(file);
      if (!p) {
        p = { stream: createWriteStream(path.join(dir, file)), offset: 0 };
        payloads.set(file, p);
      }
      await write(p.stream, r.data);
      const { data, ...rest } = r;
      const meta: Record<string, unknown> = { ...rest };
      delete meta.labels;
      line = { ...meta, payload: { file, offset: p.offset, length: data.byteLength } };
      p.offset += data.byteLength;
      bytes += data.byteLength;
    }
    await write(index, `${JSON.stringify(line)}\n`);
  }
  const streams = [index, truth, ...[...payloads.values()].map((p) => p.stream)];
  await Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          s.end((e?: Error | null) => {
            if (e) reject(e);
            else resolve();
          });
        }),
    ),
  );
  return { records: count, bytes, files: ['scenario.json', 'calibration.json', 'sound-events.jsonl', 'records.jsonl', 'truth.jsonl', ...payloads.keys()] };
}
