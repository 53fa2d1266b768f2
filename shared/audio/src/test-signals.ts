/** Deterministic test signals for specs and benchmarks (not exported from the package). */

/** xorshift32 uniform in [0, 1). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Gaussian white noise of standard deviation `sigma` (Box-Muller). */
export function whiteNoise(n: number, sigma: number, seed: number): Float32Array {
  const u = uniform(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const a = 2 * Math.PI * u();
    x[i] = sigma * r * Math.cos(a);
    if (i + 1 < n) x[i + 1] = sigma * r * Math.sin(a);
  }
  return x;
}

export function tone(n: number, fs: number, hz: number, amplitude: number, startSample = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = startSample; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / fs);
  return x;
}

export function add(...signals: Float32Array[]): Float32Array {
  const n = signals[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const s of signals) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (s[i] as number);
  return out;
}

export function power(x: Float32Array, from = 0, to = x.length): number {
  let acc = 0;
  for (let i = from; i < to; i++) acc += (x[i] as number) ** 2;
  return acc / Math.max(1, to - from);
}
