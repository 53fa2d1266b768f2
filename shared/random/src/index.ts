/** A uniform [0, 1) source; inject a seeded one for reproducible draws. */
export type RandomSource = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a tiny seeded PRNG, good enough for imputation
 * draws, RANSAC sampling and synthetic test data; not for anything that must be unpredictable.
 * The seed is taken modulo 2^32 (`seed >>> 0`: -1 and 2^32 - 1 give the same stream). Outputs are
 * multiples of 2^-32 in [0, 1).
 */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard normal draw (Box–Muller, the cosine of the pair) from two uniforms; a first uniform
 * of 0 is redrawn, since log 0 is -∞.
 */
export function gaussian(random: RandomSource): number {
  let u = random();
  while (u <= Number.EPSILON) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
