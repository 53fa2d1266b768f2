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
  for (const size of [4, 8, 64, 512, 1024]) {
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
      for (let k = 0; k <= size / 2; k++) expect(power[k]).toBeCloseTo((ref.re[k] as number) ** 2 + (ref.im[k] as number) ** 2, 9);
      const back = fft.inverse(spec);
      for (let i = 0; i < size; i++) expect(back[i]).toBeCloseTo(x[i] as number, 12);
    });
  }

  it('inverse of a half spectrum is the real part of the complex inverse of its Hermitian completion (imaginary parts of bins 0 and N/2 ignored)', () => {
    const size = 64;
    const fft = new RealFft(size);
    const half = noise(size + 2, 7);
    // known answer: x[n] = (1/N) Σ_k Re(X[k] e^{2πikn/N}) over the completed spectrum, summed directly
    const expected = new Float64Array(size);
    for (let n = 0; n < size; n++) {
      let acc = 0;
      for (let k = 0; k < size; k++) {
        const kk = k <= size / 2 ? k : size - k;
        const re = half[2 * kk] as number;
        const im = k === 0 || k === size / 2 ? 0 : k <= size / 2 ? (half[2 * kk + 1] as number) : -(half[2 * kk + 1] as number);
        const a = (2 * Math.PI * k * n) / size;
        acc += re * Math.cos(a) - im * Math.sin(a);
      }
      expected[n] = acc / size;
    }
    const padded = new Float64Array(10 + size + 2);
    padded.set(half, 10);
    const back = fft.inverse(padded, new Float64Array(size), 10);
    for (let n = 0; n < size; n++) expect(back[n]).toBeCloseTo(expected[n] as number, 12);
  });

  it('writes the spectrum at an offset', () => {
    const x = noise(16, 3);
    const fft = new RealFft(16);
    const at = fft.forward(x, new Float64Array(40), 6);
    const ref = fft.forward(x);
    for (let k = 0; k < 18; k++) expect(at[6 + k]).toBe(ref[k]);
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => new RealFft(500)).toThrow(/power of two/);
  });
});
