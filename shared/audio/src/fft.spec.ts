import { describe, expect, it } from 'vitest';
import { RealFft } from './fft.js';

// Known answer: the DFT X[k] = Σ x[n]·e^{−2πikn/N}, summed directly here.
function dft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      sr += (x[t] as number) * Math.cos(a);
      si += (x[t] as number) * Math.sin(a);
    }
    re[k] = sr;
    im[k] = si;
  }
  return { re, im };
}

function noise(n: number, seed: number): Float64Array {
  let s = seed;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648 - 0.5;
  }
  return x;
}

describe('RealFft', () => {
  for (const size of [8, 64, 512]) {
    it(`matches a directly summed DFT for N = ${String(size)}, and the inverse gives the signal back`, () => {
      const x = noise(size, size);
      const fft = new RealFft(size);
      const spec = fft.forward(x);
      const ref = dft(x);
      for (let k = 0; k <= size / 2; k++) {
        expect(spec[2 * k]).toBeCloseTo(ref.re[k] as number, 9);
        expect(spec[2 * k + 1]).toBeCloseTo(ref.im[k] as number, 9);
      }
      const power = fft.power(x);
      expect(power[3]).toBeCloseTo((ref.re[3] as number) ** 2 + (ref.im[3] as number) ** 2, 9);
      const back = fft.inverse(spec);
      for (let i = 0; i < size; i++) expect(back[i]).toBeCloseTo(x[i] as number, 12);
    });
  }

  it('rejects sizes that are not powers of two', () => {
    expect(() => new RealFft(500)).toThrow(/power of two/);
  });
});
