import type { Scratch } from './scratch.js';

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const DIGIT_MASK = BUCKETS - 1;

/**
 * Indices 0..n-1 ordered by an unsigned 32-bit key, ties by index (a stable LSD radix sort, up to
 * three passes of 11 bits). O(n) with small constant: the chain's sorts (points by grid cell, ground
 * points by sector and range) are 15–30k keys, where a comparator sort costs several times more.
 * One read of the keys builds all three digit histograms; a digit that every key shares (the high
 * digits of small keys) costs no pass. Keys travel with their indices, so a pass reads sequentially.
 * Returns a scratch view: valid until the next call with the same scratch.
 */
export function radixOrder(keys: Uint32Array, n: number, scratch: Scratch): Uint32Array {
  let src = scratch.u32('radix.a', n);
  let dst = scratch.u32('radix.b', n);
  if (n === 0) return src;
  let srcKey = scratch.u32('radix.ka', n);
  let dstKey = scratch.u32('radix.kb', n);
  const hist = scratch.u32('radix.hist', 3 * BUCKETS);
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    const d0 = k & DIGIT_MASK;
    const d1 = BUCKETS + ((k >>> DIGIT_BITS) & DIGIT_MASK);
    const d2 = 2 * BUCKETS + (k >>> (2 * DIGIT_BITS));
    hist[d0] = (hist[d0] as number) + 1;
    hist[d1] = (hist[d1] as number) + 1;
    hist[d2] = (hist[d2] as number) + 1;
  }
  const first = keys[0] as number;
  let sorted = false;
  for (let pass = 0; pass < 3; pass++) {
    const shift = pass * DIGIT_BITS;
    const base = pass * BUCKETS;
    // Every key has the same digit here: this pass would not move anything.
    if ((hist[base + ((first >>> shift) & DIGIT_MASK)] as number) === n) continue;
    let sum = 0;
    for (let d = base; d < base + BUCKETS; d++) {
      const c = hist[d] as number;
      hist[d] = sum;
      sum += c;
    }
    if (!sorted) {
      for (let i = 0; i < n; i++) {
        const k = keys[i] as number;
        const d = base + ((k >>> shift) & DIGIT_MASK);
        const p = hist[d] as number;
        dst[p] = i;
        dstKey[p] = k;
        hist[d] = p + 1;
      }
      sorted = true;
    } else {
      for (let t = 0; t < n; t++) {
        const k = srcKey[t] as number;
        const d = base + ((k >>> shift) & DIGIT_MASK);
        const p = hist[d] as number;
        dst[p] = src[t] as number;
        dstKey[p] = k;
        hist[d] = p + 1;
      }
    }
    const tmp = src;
    src = dst;
    dst = tmp;
    const tmpKey = srcKey;
    srcKey = dstKey;
    dstKey = tmpKey;
  }
  if (!sorted) for (let i = 0; i < n; i++) src[i] = i;
  return src;
}
