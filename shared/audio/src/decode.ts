import { AudioFormatError, AudioNonFiniteError } from './errors.js';

export type SampleFormat = 's16le' | 'f32le';

/** What the descriptor of a raw audio record says about its bytes. */
export interface AudioDescriptor {
  readonly sampleFormat: SampleFormat;
  readonly channels: number;
  readonly sampleRateHz: number;
  /** Frames (samples per channel) the record claims; checked against the byte count. */
  readonly frames: number;
}

/** Planar float samples in [-1, 1) (s16 is scaled by 1/32768), one Float32Array per channel. */
export interface DecodedAudio {
  readonly channels: readonly Float32Array[];
  readonly frames: number;
  /** Fraction of samples at full scale (|s16| ≥ 32767 or |f32| ≥ 1): a clipped microphone. */
  readonly clippedFraction: number;
}

const littleEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Decode interleaved little-endian samples into planar Float32Arrays. Reads through an aligned
 * typed-array view when the bytes allow it (the usual case) and a DataView otherwise.
 */
export function decodeInterleaved(bytes: Uint8Array, descriptor: AudioDescriptor, into?: Float32Array[]): DecodedAudio {
  const { sampleFormat, channels, frames } = descriptor;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new AudioFormatError(`expected a channel count ≥ 1, found ${String(channels)}`);
  }
  if (!Number.isInteger(descriptor.sampleRateHz) || descriptor.sampleRateHz <= 0) {
    throw new AudioFormatError(`expected a positive integer sample rate, found ${String(descriptor.sampleRateHz)}`);
  }
  const bytesPerSample = sampleFormat === 's16le' ? 2 : 4;
  if (bytes.byteLength % (bytesPerSample * channels) !== 0) {
    throw new AudioFormatError(
      `expected a multiple of ${String(bytesPerSample * channels)} bytes (${sampleFormat}, ${String(channels)} channels), found ${String(bytes.byteLength)}`,
    );
  }
  const actualFrames = bytes.byteLength / (bytesPerSample * channels);
  if (actualFrames !== frames) {
    throw new AudioFormatError(
      `descriptor says ${String(frames)} frames of ${String(channels)} channels, the ${String(bytes.byteLength)} bytes hold ${String(actualFrames)}`,
    );
  }
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const reuse = into?.[c];
    out.push(reuse !== undefined && reuse.length === frames ? reuse : new Float32Array(frames));
  }
  let clipped = 0;
  const aligned = littleEndianHost && bytes.byteOffset % bytesPerSample === 0;
  if (sampleFormat === 's16le') {
    const scale = 1 / 32768;
    if (aligned) {
      const view = new Int16Array(bytes.buffer, bytes.byteOffset, frames * channels);
      for (let c = 0; c < channels; c++) {
        const dst = out[c] as Float32Array;
        for (let i = 0, j = c; i < frames; i++, j += channels) {
          const v = view[j] as number;
          if (v >= 32767 || v <= -32767) clipped++;
          dst[i] = v * scale;
        }
      }
    } else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let c = 0; c < channels; c++) {
        const dst = out[c] as Float32Array;
        for (let i = 0, j = c; i < frames; i++, j += channels) {
          const v = dv.getInt16(j * 2, true);
          if (v >= 32767 || v <= -32767) clipped++;
          dst[i] = v * scale;
        }
      }
    }
  } else {
    const view = aligned ? new Float32Array(bytes.buffer, bytes.byteOffset, frames * channels) : undefined;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let c = 0; c < channels; c++) {
      const dst = out[c] as Float32Array;
      for (let i = 0, j = c; i < frames; i++, j += channels) {
        const v = view !== undefined ? (view[j] as number) : dv.getFloat32(j * 4, true);
        if (!Number.isFinite(v)) throw new AudioNonFiniteError(j);
        if (v >= 1 || v <= -1) clipped++;
        dst[i] = v;
      }
    }
  }
  return { channels: out, frames, clippedFraction: frames === 0 ? 0 : clipped / (frames * channels) };
}

/** Encode planar float samples as interleaved s16le (round to nearest, saturate): for tests and tools. */
export function encodeS16le(channels: readonly Float32Array[]): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const out = new Int16Array(n * channels.length);
  for (let c = 0; c < channels.length; c++) {
    const src = channels[c] as Float32Array;
    for (let i = 0; i < n; i++) {
      const v = Math.round((src[i] as number) * 32768);
      out[i * channels.length + c] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Encode planar float samples as interleaved f32le. */
export function encodeF32le(channels: readonly Float32Array[]): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const out = new Float32Array(n * channels.length);
  for (let c = 0; c < channels.length; c++) {
    const src = channels[c] as Float32Array;
    for (let i = 0; i < n; i++) out[i * channels.length + c] = src[i] as number;
  }
  return new Uint8Array(out.buffer);
}
