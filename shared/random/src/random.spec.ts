import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gaussian, seededRandom, type RandomSource } from './index.js';

const PYTHON = '/usr/bin/python3';

/**
 * mulberry32 written out independently in Python with explicit modulo-2^32 arithmetic (Python
 * integers do not wrap). Reads `[[seed, count], ...]` as JSON on stdin, prints the streams as JSON.
 */
const PYTHON_MULBERRY32 = `
import json, sys
M = 2 ** 32
def imul(x, y):
    return (x * y) % M
def mulberry32(seed, n):
    a = seed % M
    out = []
    for _ in range(n):
        a = (a + 0x6D2B79F5) % M
        t = imul(a ^ (a >> 15), a | 1)
        t = ((t + imul(t ^ (t >> 7), t | 61)) % M) ^ t
        out.append((t ^ (t >> 14)) / 2 ** 32)
    return out
print(json.dumps([mulberry32(seed, n) for seed, n in json.load(sys.stdin)]))
`;

const take = (random: RandomSource, n: number): number[] => Array.from({ length: n }, random);

/** A source that replays fixed values, so the Box–Muller arithmetic can be checked by hand. */
function replay(values: readonly number[]): RandomSource {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('replay source exhausted');
    return v;
  };
}

describe('seededRandom (mulberry32)', () => {
  it('gives the reference values for seeds 42, 0 and -1', () => {
    // From the Python reference above (PYTHON_MULBERRY32), run once by hand:
    //   print(mulberry32(42, 5)); print(mulberry32(0, 3)); print(mulberry32(-1, 3))
    expect(take(seededRandom(42), 5)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423]);
    expect(take(seededRandom(0), 3)).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
    expect(take(seededRandom(-1), 3)).toEqual([0.8964226141106337, 0.189478256739676, 0.7156526781618595]);
  });

  it('matches the Python reference over long streams, including seeds outside [0, 2^32)', () => {
    if (!existsSync(PYTHON)) {
      console.warn(`skipped: ${PYTHON} absent (the pasted reference values above still ran)`);
      return;
    }
    const seeds = [1, 7, 0x5eed, 2 ** 31, 2 ** 32 - 1, 2 ** 32 + 9, -5, 123_456_789];
    const run = spawnSync(PYTHON, ['-c', PYTHON_MULBERRY32], { input: JSON.stringify(seeds.map((s) => [s, 2000])), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as number[][];
    seeds.forEach((seed, i) => {
      expect(take(seededRandom(seed), 2000), `seed ${seed}`).toEqual(expected[i]);
    });
  });

  it('takes the seed modulo 2^32 and gives different streams for neighbouring seeds', () => {
    expect(take(seededRandom(7 + 2 ** 32), 10)).toEqual(take(seededRandom(7), 10));
    expect(take(seededRandom(8), 10)).not.toEqual(take(seededRandom(7), 10));
  });
});

describe('gaussian (Box–Muller)', () => {
  it('is sqrt(-2 ln u) cos(2 pi v): u = 1/4, v = 0 gives sqrt(4 ln 2)', () => {
    // -2 ln(1/4) = 4 ln 2 = 2.772588722239781, its square root 1.6651092223153954.
    expect(gaussian(replay([0.25, 0]))).toBeCloseTo(1.6651092223153954, 14);
    // cos(2 pi * 1/2) = -1
    expect(gaussian(replay([0.25, 0.5]))).toBeCloseTo(-1.6651092223153954, 14);
  });

  it('redraws a first uniform of 0 instead of returning infinity', () => {
    expect(gaussian(replay([0, 0.25, 0.5]))).toBeCloseTo(-1.6651092223153954, 14);
  });

  it('has mean 0 and variance 1 over 20 000 seeded draws', () => {
    const random = seededRandom(1);
    const z = Array.from({ length: 20_000 }, () => gaussian(random));
    const mean = z.reduce((s, x) => s + x, 0) / z.length;
    const variance = z.reduce((s, x) => s + (x - mean) ** 2, 0) / (z.length - 1);
    // Standard errors: 1/sqrt(20 000) = 0.007 for the mean, sqrt(2/20 000) = 0.01 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
  });
});
