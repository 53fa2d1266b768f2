import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packBatch } from './pack-batch.js';
import type { RecordedMessage } from './reader.js';

const message = (value: Buffer, key: Buffer | null, headers: Record<string, Buffer>): RecordedMessage => ({
  topic: 'raw.x', key, headers, value, logTimeUs: 1, publishTimeUs: 2, static: false, schemaJson: undefined,
});

describe('packBatch (what the reader thread transfers instead of cloning)', () => {
  it('copies each distinct view once into one buffer of exactly those bytes, and the originals stay intact after the transfer', () => {
    // two "chunk buffers" the views point into, as the chunk reader leaves them
    const chunkA = Buffer.alloc(1000, 0xaa);
    const chunkB = Buffer.alloc(500, 0xbb);
    chunkA.write('rig', 0);
    const key = chunkA.subarray(0, 3); // one key view shared by every message of the channel
    const h1 = chunkA.subarray(3, 4);
    const batch = [
      message(chunkA.subarray(100, 110), key, { h: h1 }),
      message(chunkA.subarray(200, 220), key, { h: h1 }),
      message(chunkB.subarray(0, 30), key, { h: chunkB.subarray(40, 42) }),
      message(chunkB.subarray(100, 100), null, {}),
    ];
    const { messages, buffer } = packBatch(batch);
    // key 3 + first header 1 + values 10 + 20 + 30 + 0 + second header 2 = 66 bytes, not 1 500
    expect(buffer.byteLength).toBe(66);
    expect(messages.map((m) => m.value.buffer)).toEqual([buffer, buffer, buffer, buffer]);
    expect(messages[0]?.key?.byteOffset).toBe(messages[2]?.key?.byteOffset);
    for (const [i, m] of messages.entries()) {
      const original = batch[i];
      expect(m.value.equals(original?.value ?? Buffer.alloc(1))).toBe(true);
      expect(m.key === null ? null : m.key.toString()).toBe(original?.key === null ? null : 'rig');
      expect(Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('hex')]))).toEqual(
        Object.fromEntries(Object.entries(original?.headers ?? {}).map(([k, v]) => [k, v.toString('hex')])),
      );
      expect({ ...m, key: null, value: null, headers: null }).toEqual({ ...original, key: null, value: null, headers: null });
    }
    // transferring the packed buffer detaches it here, not the chunk buffers the reader still holds
    const { port1, port2 } = new MessageChannel();
    port1.postMessage({ messages }, [buffer]);
    const received = receiveMessageOnPort(port2)?.message as { messages: { value: Uint8Array }[] } | undefined;
    port1.close();
    expect(buffer.byteLength).toBe(0);
    expect(Buffer.from(received?.messages[1]?.value ?? new Uint8Array()).equals(Buffer.alloc(20, 0xaa))).toBe(true);
    expect(chunkA.subarray(0, 3).toString()).toBe('rig');
    expect(chunkB[0]).toBe(0xbb);
  });
});
