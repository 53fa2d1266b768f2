/**
 * Child process for the SIGKILL test: records camera frames (seq 0, 1, 2…) forever and prints
 * `flushed <n>` each time a chunk reaches the file, until the parent kills it.
 *   node --conditions=source --import tsx crash-child.spec-helper.ts <out.mcap>
 */
import { SchemaCatalog } from './catalog.js';
import { RecordingWriter } from './writer.js';
import { camera, cameraCodec, T0_US } from './samples.spec-helper.js';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: crash-child <out.mcap>');
const writer = new RecordingWriter({ path: out, catalog: new SchemaCatalog(), chunkBytes: 8 * 1024 });
let reported = 0;
for (let seq = 0; ; seq++) {
  await writer.add({
    topic: 'raw.camera',
    key: Buffer.from('rig-a'),
    headers: { traceparent: Buffer.from(`t-${String(seq)}`) },
    value: cameraCodec.encode(camera('rig-a', seq, T0_US + seq * 33_000)),
    timestampUs: T0_US + seq * 33_000,
  });
  if (writer.flushedMessages !== reported) {
    reported = writer.flushedMessages;
    process.stdout.write(`flushed ${String(reported)}\n`);
  }
  if (seq % 20 === 0) await new Promise((r) => setTimeout(r, 1));
}
