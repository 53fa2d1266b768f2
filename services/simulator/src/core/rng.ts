/**
 * Seeded pseudo-random numbers (sfc32, seeded through splitmix32). Every random choice in the
 * simulator goes through one of these, so the same seed and scenario give byte-identical streams.
 * Each sensor and each world component forks its own stream, so adding a draw in one sensor does
 * not shift the numbers another sensor sees.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareGaussian: number | undefined;

  constructor(seed: number, stream = 0) {
    let s = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca6b)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent generator derived from this seed and a name (e.g. a sensor id). */
  static forName(seed: number, name: string): Rng {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new Rng(seed, h >>> 0);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Standard normal (Marsaglia polar method). */
  gaussian(): number {
    if (this.spareGaussian !== undefined) {
      const g = this.spareGaussian;
      this.spareGaussian = undefined;
      return g;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareGaussian = v * m;
    return u * m;
  }

  normal(mean: number, sigma: number): number {
    return sigma === 0 ? mean : mean + sigma * this.gaussian();
  }
}

/** A table of standard-normal draws, for per-pixel noise where one draw per pixel is too slow. */
export function gaussianTable(rng: Rng, size: number): Float32Array {
  const t = new Float32Array(size);
  for (let i = 0; i < size; i++) t[i] = rng.gaussian();
  return t;
}
