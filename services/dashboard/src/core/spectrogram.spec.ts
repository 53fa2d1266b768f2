import { describe, expect, it } from 'vitest';
import { SpectrogramRing } from './spectrogram.js';

const RATE = 16_000;
const options = { fftSize: 512, bands: 64, columns: 8, floorDb: -100, ceilDb: 0 };

function sine(hz: number, amplitude: number, samples: number, startSample = 0): Float32Array {
  return Float32Array.from({ length: samples }, (_, n) => amplitude * Math.sin((2 * Math.PI * hz * (startSample + n)) / RATE));
}

describe('SpectrogramRing', () => {
  it('puts a 2 kHz tone in band 16 (64 bands of 125 Hz up to 8 kHz) at about its level in dB', () => {
    const ring = new SpectrogramRing(options);
    ring.push(sine(2000, 0.5, 1024), RATE, 1_000_000);
    const view = ring.view();
    expect(view).toMatchObject({ columns: 2, bands: 64, columnUs: 32_000, maxHz: 8000, endTimeUs: 1_064_000 });
    const column = view?.data.subarray(64, 128) ?? new Uint8Array();
    // 2000 Hz / 125 Hz per band = band 16; amplitude 0.5 = −6.0 dB → 255 · (100 − 6.0) / 100 ≈ 240.
    expect(column.indexOf(Math.max(...column))).toBe(16);
    expect(column[16]).toBeGreaterThanOrEqual(236);
    expect(column[16]).toBeLessThanOrEqual(244);
    // Far from the tone the Hann window's leakage is tiny: band 40 (5 kHz) reads near the floor.
    expect(column[40]).toBeLessThan(60);
  });

  it('carries a block across chunks when the capture times are contiguous, and restarts it after a gap', () => {
    const ring = new SpectrogramRing(options);
    // 300 + 300 contiguous samples: one full 512-sample column.
    ring.push(sine(1000, 0.5, 300), RATE, 0);
    ring.push(sine(1000, 0.5, 300, 300), RATE, 18_750);
    expect(ring.view()?.columns).toBe(1);
    // A gap of 1 s: the 88 leftover samples are dropped, the next 500 do not complete a column.
    ring.push(sine(1000, 0.5, 500), RATE, 2_000_000);
    expect(ring.view()?.columns).toBe(1);
  });

  it('keeps the newest `columns` columns, oldest first, and shows silence as the floor', () => {
    const ring = new SpectrogramRing(options);
    ring.push(sine(1000, 0.5, 512 * 6), RATE, 0);
    ring.push(new Float32Array(512 * 4), RATE, 192_000);
    const view = ring.view();
    expect(view?.columns).toBe(8);
    expect(view?.version).toBe(10);
    // Oldest kept = columns 2..5 (tone), then 4 silent ones.
    const band8 = Array.from({ length: 8 }, (_, c) => view?.data[c * 64 + 8] ?? -1);
    expect(band8.slice(0, 4).every((v) => v > 200)).toBe(true);
    expect(band8.slice(4)).toEqual([0, 0, 0, 0]);
  });
});
