import { describe, expect, it } from 'vitest';
import { decodeInterleaved } from './decode.js';
import { AudioFormatError, AudioNonFiniteError } from './errors.js';

describe('decodeInterleaved', () => {
  it('splits interleaved s16le into channels scaled by 1/32768 and counts full-scale samples', () => {
    const bytes = new Uint8Array(Int16Array.of(16384, -32768, 1, 32767, -16384, 0).buffer);
    const out = decodeInterleaved(bytes, { sampleFormat: 's16le', channels: 3, sampleRateHz: 16000, frames: 2 });
    expect(Array.from(out.channels[0] ?? [])).toEqual([0.5, 32767 / 32768]);
    expect(Array.from(out.channels[1] ?? [])).toEqual([-1, -0.5]);
    expect(Array.from(out.channels[2] ?? [])).toEqual([1 / 32768, 0]);
    expect(out.clippedFraction).toBeCloseTo(2 / 6, 12);
  });

  it('reads f32le from an unaligned offset the same as from an aligned one', () => {
    const values = Float32Array.of(0.25, -0.75, 0.125, 0.5);
    const raw = new Uint8Array(values.buffer);
    const shifted = new Uint8Array(raw.length + 1);
    shifted.set(raw, 1);
    const d = { sampleFormat: 'f32le', channels: 2, sampleRateHz: 48000, frames: 2 } as const;
    const a = decodeInterleaved(raw, d);
    const b = decodeInterleaved(shifted.subarray(1), d);
    expect(Array.from(b.channels[0] ?? [])).toEqual([0.25, 0.125]);
    expect(Array.from(b.channels[1] ?? [])).toEqual([-0.75, 0.5]);
    expect(b.channels).toEqual(a.channels);
  });

  it('rejects odd byte counts, frame counts that disagree with the bytes, bad channel counts and NaN', () => {
    const s16 = (n: number): Uint8Array => new Uint8Array(n);
    expect(() => decodeInterleaved(s16(7), { sampleFormat: 's16le', channels: 1, sampleRateHz: 16000, frames: 3 })).toThrow(
      AudioFormatError,
    );
    expect(() => decodeInterleaved(s16(8), { sampleFormat: 's16le', channels: 2, sampleRateHz: 16000, frames: 3 })).toThrow(
      /descriptor says 3 frames of 2 channels, the 8 bytes hold 2/,
    );
    expect(() => decodeInterleaved(s16(12), { sampleFormat: 's16le', channels: 4, sampleRateHz: 16000, frames: 1 })).toThrow(
      /multiple of 8 bytes/,
    );
    expect(() => decodeInterleaved(s16(8), { sampleFormat: 's16le', channels: 0, sampleRateHz: 16000, frames: 4 })).toThrow(
      /channel count/,
    );
    const nan = new Uint8Array(Float32Array.of(0, Number.NaN).buffer);
    expect(() => decodeInterleaved(nan, { sampleFormat: 'f32le', channels: 1, sampleRateHz: 16000, frames: 2 })).toThrow(
      AudioNonFiniteError,
    );
  });
});
