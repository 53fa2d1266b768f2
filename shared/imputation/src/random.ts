/** A uniform [0, 1) source; inject a seeded one for reproducible draws. */
export type RandomSource = () => number;

/** mulberry32: a tiny seeded PRNG, good enough for imputation draws and synthetic tests. */
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

/** A standard normal draw (Box–Muller, one of the pair). */
export function gaussian(random: RandomSource): number {
  let u = random();
  while (u <= Number.EPSILON) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A chi-square draw with `dof` degrees of freedom (sum of squares; dof is small here or capped by the caller). */
export function chiSquareDraw(random: RandomSource, dof: number): number {
  if (dof > 60) {
    // Wilson–Hilferty: accurate for large dof and O(1).
    const z = gaussian(random);
    const c = 2 / (9 * dof);
    const cube = 1 - c + z * Math.sqrt(c);
    return dof * cube * cube * cube;
  }
  let sum = 0;
  for (let i = 0; i < dof; i++) {
    const z = gaussian(random);
    sum += z * z;
  }
  return sum;
}
