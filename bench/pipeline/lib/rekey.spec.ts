import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioChunkSchema, type AudioChunk } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { readLong, rekey, writeLong } from './rekey.js';

describe('Avro zigzag varints', () => {
  it('match the Avro specification examples', () => {
    // Avro spec: 0 → 00, -1 → 01, 1 → 02, -2 → 03, 2 → 04, -64 → 7f, 64 → 80 01.
    const cases: [number, number[]][] = [[0, [0x00]], [-1, [0x01]], [1, [0x02]], [-2, [0x03]], [2, [0x04]], [-64, [0x7f]], [64, [0x80, 0x01]]];
    for (const [n, bytes] of cases) {
      expect([...writeLong(n)]).toEqual(bytes);
      expect(readLong(Uint8Array.from(bytes), 0)).toEqual({ value: n, end: bytes.length });
    }
    // A microsecond timestamp (2026) round-trips exactly.
    expect(readLong(writeLong(1_767_225_600_123_456), 0).value).toBe(1_767_225_600_123_456);
  });
});

describe('rekey', () => {
  it('gives a record the reference codec decodes with the new rig id, the offset seq and every other field unchanged', () => {
    const codec = createCodec<AudioChunk>(new SchemaRegistry(), audioChunkSchema);
    const sample: AudioChunk = {
      rigId: 'sim-rig-1',
      sensorId: 'mic_array',
      seq: 41,
      captureTimeUs: 1_767_225_600_000_000,
      publishTimeUs: 1_767_225_600_000_500,
      frameId: 'base_link',
      sampleFormat: 's16le',
      channels: 2,
      sampleRateHz: 16_000,
      frames: 2,
      data: Buffer.from([1, 0, 2, 0, 3, 0, 4, 0]),
    };
    const original = codec.encode(sample);
    const out = rekey(original, 'bench-rig-12', 1000);
    expect(out.sensorId).toBe('mic_array');
    expect(out.seq).toBe(41);
    expect(codec.decode(out.value)).toEqual({ ...codec.decode(original), rigId: 'bench-rig-12', seq: 1041 });
  });
});
