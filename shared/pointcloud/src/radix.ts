import type { Scratch } from './scratch.js';

/**
 * Indices 0..n-1 ordered by an unsigned 32-bit key, ties by index (a stable LSD radix sort, three
 * passes of 11 bits). O(n) with small constant: the chain's sorts (points by grid cell, ground points
 * by sector and range) are 15–30k keys, where a comparator sort costs several times more.
 * Returns a scratch view: valid until the next call with the same scratch.
 */
export function radixOrder(keys: Uint32Array, n: number, scratch: Scratch): Uint32Array {
  let src = scratch.u32('radix.a', n);
  let dst = scratch.u32('radix.b', n);
  const hist = scratch.u32('radix.hist', 2048);
  for (let i = 0; i < n; i++) src[i] = i;
  for (let shift = 0; shift < 32; shift += 11) {
    hist.fill(0);
    for (let i = 0; i < n; i++) {
      const d = ((keys[i] as number) >>> shift) & 2047;
      hist[d] = (hist[d] as number) + 1;
    }
    // Skip a pass where every key has the same digit (high digits of small keys).
    let nonEmpty = 0;
    for (let d = 0; d < 2048; d++) if ((hist[d] as number) > 0) nonEmpty++;
    if (nonEmpty <= 1) continue;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = hist[d] as number;
      hist[d] = sum;
      sum += c;
    }
    for (let t = 0; t < n; t++) {
      const i = src[t] as number;
      const d = ((keys[i] as number) >>> shift) & 2047;
      const p = hist[d] as number;
      dst[p] = i;
      hist[d] = p + 1;
    }
    const tmp = src;
    src = dst;
    dst = tmp;
  }
  return src;
}
