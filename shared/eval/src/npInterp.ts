/**
 * Piecewise-linear interpolation with numpy.interp's exact semantics, because the nuScenes devkit
 * builds its 101-point curves with it: `xp` non-decreasing (repeats allowed), x below the range →
 * `left` (default fp[0]), above → `right` (default fp[last]), x equal to the last xp → fp[last], and
 * for repeated xp values the last one not greater than x is used.
 */
export function npInterp(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
  options: { left?: number; right?: number } = {},
): Float64Array {
  const n = xp.length;
  const out = new Float64Array(x.length);
  if (n === 0) {
    out.fill(Number.NaN);
    return out;
  }
  const first = xp[0] ?? 0;
  const last = xp[n - 1] ?? 0;
  const left = options.left ?? fp[0] ?? Number.NaN;
  const right = options.right ?? fp[n - 1] ?? Number.NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] ?? Number.NaN;
    if (v < first) {
      out[i] = left;
    } else if (v > last) {
      out[i] = right;
    } else if (v === last) {
      out[i] = fp[n - 1] ?? Number.NaN;
    } else {
      // Largest j with xp[j] <= v; here j < n - 1 because v < xp[n-1].
      let lo = 0;
      let hi = n - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if ((xp[mid] ?? 0) <= v) lo = mid;
        else hi = mid;
      }
      const x0 = xp[lo] ?? 0;
      const x1 = xp[lo + 1] ?? 0;
      const y0 = fp[lo] ?? 0;
      const y1 = fp[lo + 1] ?? 0;
      const slope = (y1 - y0) / (x1 - x0);
      let r = slope * (v - x0) + y0;
      if (Number.isNaN(r)) {
        r = slope * (v - x1) + y1;
        if (Number.isNaN(r) && y0 === y1) r = y0;
      }
      out[i] = r;
    }
  }
  return out;
}
