import { gaussian, type RandomSource } from '@sensorfuse/random';

// The seeded generator and the normal draw live in @sensorfuse/random; re-exported so this package's API stays the same.
export { gaussian, seededRandom, type RandomSource } from '@sensorfuse/random';

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
