/**
 * Image-quality measures on 8-bit grey: sharpness (variance of the Laplacian, OpenCV's
 * `cv2.Laplacian(img, cv2.CV_64F).var()` with its default 3x3 4-neighbour kernel and
 * BORDER_REFLECT_101), exposure (fractions of crushed and clipped pixels), lens blockage
 * (fraction of tiles with no texture) and the noise level (Immerkær 1996).
 */

/** Population variance of the 4-neighbour Laplacian, borders reflected without repeating the edge (REFLECT_101). */
export function laplacianVariance(gray: Uint8Array, width: number, height: number): number {
  if (width < 2 || height < 2) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < height; y++) {
    const up = (y === 0 ? 1 : y - 1) * width;
    const row = y * width;
    const down = (y === height - 1 ? height - 2 : y + 1) * width;
    for (let x = 0; x < width; x++) {
      const left = x === 0 ? 1 : x - 1;
      const right = x === width - 1 ? width - 2 : x + 1;
      const v =
        (gray[up + x] ?? 0) + (gray[down + x] ?? 0) + (gray[row + left] ?? 0) + (gray[row + right] ?? 0) - 4 * (gray[row + x] ?? 0);
      sum += v;
      sumSq += v * v;
    }
  }
  const n = width * height;
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/**
 * Noise standard deviation in grey levels by Immerkær's fast estimator: the mask
 * [1 -2 1; -2 4 -2; 1 -2 1] cancels image structure up to second order, leaving the noise;
 * sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N| over the interior.
 */
export function estimateNoiseSigma(gray: Uint8Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let total = 0;
  for (let y = 1; y < height - 1; y++) {
    const a = (y - 1) * width;
    const b = y * width;
    const c = (y + 1) * width;
    for (let x = 1; x < width - 1; x++) {
      const v =
        (gray[a + x - 1] ?? 0) - 2 * (gray[a + x] ?? 0) + (gray[a + x + 1] ?? 0) -
        2 * (gray[b + x - 1] ?? 0) + 4 * (gray[b + x] ?? 0) - 2 * (gray[b + x + 1] ?? 0) +
        (gray[c + x - 1] ?? 0) - 2 * (gray[c + x] ?? 0) + (gray[c + x + 1] ?? 0);
      total += Math.abs(v);
    }
  }
  return (Math.sqrt(Math.PI / 2) * total) / (6 * (width - 2) * (height - 2));
}

export interface QualityOptions {
  /** Laplacian variance at which blur = 0.5 (blur = ref / (ref + variance)); ~100 is the usual "blurry" line. */
  readonly blurReferenceVariance: number;
  /** Noise sigma (grey levels) at which the noise factor of the reliability is 0.5: factor = ref² / (ref² + sigma²). */
  readonly noiseReferenceSigma: number;
  /** Grey level at or below which a pixel counts as crushed black. */
  readonly underExposedLevel: number;
  /** Grey level at or above which a pixel counts as clipped white. */
  readonly overExposedLevel: number;
  /** Tiles per side for the blockage map. */
  readonly blockageGrid: number;
  /** A tile whose grey standard deviation is below this (grey levels) has no texture: blocked. */
  readonly blockageStdThreshold: number;
  /** preprocessFrame only: estimate on every n-th row (measureQualitySampled); absent or 1 = every row. */
  readonly sampleRowStep?: number;
  /** preprocessFrame with a frame tag only: measure at least every n-th frame of a camera, reuse the last report in between (absent or 1 = every frame). */
  readonly everyFrames?: number;
  /** preprocessFrame with a frame tag only: measure when the last report is this old (capture time) or older, µs (absent or 0 = every frame). */
  readonly maxAgeUs?: number;
}

export interface ImageQualityReport {
  readonly laplacianVariance: number;
  /** [0, 1]: 0 sharp, 1 fully blurred; from the Laplacian variance less the noise's share (20 sigma²). */
  readonly blur: number;
  readonly underExposedFraction: number;
  readonly overExposedFraction: number;
  /** [-1, 1]: over − under fraction; -1 black, 0 balanced, 1 saturated. */
  readonly exposure: number;
  /** [0, 1]: fraction of tiles with no texture (covered lens, dirt, glare). */
  readonly blockage: number;
  /** Noise standard deviation, grey levels. */
  readonly noiseSigma: number;
  /** [0, 1]: (1 − blur)(1 − |exposure|)(1 − blockage) × noise factor, the camera's reliability for fusion. */
  readonly reliability: number;
}

function blockageFraction(gray: Uint8Array, width: number, height: number, grid: number, stdThreshold: number): number {
  const gx = Math.min(grid, width);
  const gy = Math.min(grid, height);
  let blocked = 0;
  for (let ty = 0; ty < gy; ty++) {
    const y0 = Math.floor((ty * height) / gy);
    const y1 = Math.floor(((ty + 1) * height) / gy);
    for (let tx = 0; tx < gx; tx++) {
      const x0 = Math.floor((tx * width) / gx);
      const x1 = Math.floor(((tx + 1) * width) / gx);
      let s = 0;
      let s2 = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const v = gray[y * width + x] ?? 0;
          s += v;
          s2 += v * v;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const variance = s2 / n - (s / n) ** 2;
      if (Math.sqrt(Math.max(0, variance)) < stdThreshold) blocked++;
    }
  }
  return blocked / (gx * gy);
}

/** All quality measures of one grey image. */
export function measureQuality(gray: Uint8Array, width: number, height: number, options: QualityOptions): ImageQualityReport {
  const lapVar = laplacianVariance(gray, width, height);
  const noiseSigma = estimateNoiseSigma(gray, width, height);
  let under = 0;
  let over = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const v = gray[i] ?? 0;
    if (v <= options.underExposedLevel) under++;
    else if (v >= options.overExposedLevel) over++;
  }
  const blockage = blockageFraction(gray, width, height, options.blockageGrid, options.blockageStdThreshold);
  return qualityReport(lapVar, noiseSigma, under / n, over / n, blockage, options);
}

function qualityReport(
  lapVar: number,
  noiseSigma: number,
  underExposedFraction: number,
  overExposedFraction: number,
  blockage: number,
  options: QualityOptions,
): ImageQualityReport {
  // White noise of sigma adds (1+1+1+1+16) sigma² to the Laplacian's variance: without removing it, a
  // noisy night frame reads as sharper than a clean day frame.
  const structure = Math.max(0, lapVar - 20 * noiseSigma * noiseSigma);
  const blur = options.blurReferenceVariance / (options.blurReferenceVariance + structure);
  const exposure = overExposedFraction - underExposedFraction;
  const ref2 = options.noiseReferenceSigma * options.noiseReferenceSigma;
  const noiseFactor = ref2 / (ref2 + noiseSigma * noiseSigma);
  const reliability = Math.min(1, Math.max(0, (1 - blur) * (1 - Math.abs(exposure)) * (1 - blockage) * noiseFactor));
  return { laplacianVariance: lapVar, blur, underExposedFraction, overExposedFraction, exposure, blockage, noiseSigma, reliability };
}

/** Reusable per-thread scratch for measureQualityRgb (grey rows and tile sums), grown on demand. */
let greyScratch = new Uint8Array(0);

/**
 * measureQuality(toGray(image)) in one pass over packed RGB, without the intermediate checks:
 * the same integer sums (Laplacian, Immerkær, crushed/clipped counts, tile moments), so the same
 * report to the last bit, at a fraction of the cost (the pre-processing thread's hot path).
 */
export function measureQualityRgb(data: Uint8Array, width: number, height: number, options: QualityOptions): ImageQualityReport {
  const n = width * height;
  if (width < 3 || height < 3) {
    const grey = new Uint8Array(n);
    for (let i = 0, s = 0; i < n; i++, s += 3) grey[i] = (4899 * (data[s] as number) + 9617 * (data[s + 1] as number) + 1868 * (data[s + 2] as number) + 8192) >> 14;
    return measureQuality(grey, width, height, options);
  }
  if (greyScratch.length < n) greyScratch = new Uint8Array(n);
  const g = greyScratch;
  const under = options.underExposedLevel;
  const over = options.overExposedLevel;
  let nUnder = 0;
  let nOver = 0;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    const v = (4899 * (data[s] as number) + 9617 * (data[s + 1] as number) + 1868 * (data[s + 2] as number) + 8192) >> 14;
    g[i] = v;
    if (v <= under) nUnder++;
    else if (v >= over) nOver++;
  }
  const gx = Math.min(options.blockageGrid, width);
  const gy = Math.min(options.blockageGrid, height);
  const tileOfX = new Int32Array(width);
  for (let t = 0; t < gx; t++) for (let x = Math.floor((t * width) / gx); x < Math.floor(((t + 1) * width) / gx); x++) tileOfX[x] = t;
  const tileSum = new Float64Array(gx * gy);
  const tileSq = new Float64Array(gx * gy);
  let lapSum = 0;
  let lapSq = 0;
  let immer = 0;
  let ty = 0;
  for (let y = 0; y < height; y++) {
    while (ty < gy - 1 && y >= Math.floor(((ty + 1) * height) / gy)) ty++;
    const tileRow = ty * gx;
    const row = y * width;
    const up = (y === 0 ? 1 : y - 1) * width;
    const down = (y === height - 1 ? height - 2 : y + 1) * width;
    const interiorRow = y > 0 && y < height - 1;
    // x = 0 and x = width - 1: reflected neighbours (REFLECT_101).
    for (const x of [0, width - 1]) {
      const l = x === 0 ? 1 : x - 1;
      const r = x === width - 1 ? width - 2 : x + 1;
      const c = g[row + x] as number;
      const v = (g[up + x] as number) + (g[down + x] as number) + (g[row + l] as number) + (g[row + r] as number) - 4 * c;
      lapSum += v;
      lapSq += v * v;
      const t = tileRow + (tileOfX[x] as number);
      tileSum[t] = (tileSum[t] as number) + c;
      tileSq[t] = (tileSq[t] as number) + c * c;
    }
    let ts = 0;
    let ts2 = 0;
    let tile = tileOfX[1] as number;
    for (let x = 1; x < width - 1; x++) {
      const tx = tileOfX[x] as number;
      if (tx !== tile) {
        tileSum[tileRow + tile] = (tileSum[tileRow + tile] as number) + ts;
        tileSq[tileRow + tile] = (tileSq[tileRow + tile] as number) + ts2;
        ts = 0;
        ts2 = 0;
        tile = tx;
      }
      const c = g[row + x] as number;
      const uc = g[up + x] as number;
      const dc = g[down + x] as number;
      const lc = g[row + x - 1] as number;
      const rc = g[row + x + 1] as number;
      const v = uc + dc + lc + rc - 4 * c;
      lapSum += v;
      lapSq += v * v;
      ts += c;
      ts2 += c * c;
      if (interiorRow) {
        // Immerkær's mask = corners − 2·edges + 4·centre.
        const m =
          (g[up + x - 1] as number) + (g[up + x + 1] as number) + (g[down + x - 1] as number) + (g[down + x + 1] as number) -
          2 * (uc + dc + lc + rc) + 4 * c;
        immer += m < 0 ? -m : m;
      }
    }
    tileSum[tileRow + tile] = (tileSum[tileRow + tile] as number) + ts;
    tileSq[tileRow + tile] = (tileSq[tileRow + tile] as number) + ts2;
  }
  const lapMean = lapSum / n;
  const lapVar = lapSq / n - lapMean * lapMean;
  const noiseSigma = (Math.sqrt(Math.PI / 2) * immer) / (6 * (width - 2) * (height - 2));
  let blocked = 0;
  for (let ty2 = 0; ty2 < gy; ty2++) {
    const rows = Math.floor(((ty2 + 1) * height) / gy) - Math.floor((ty2 * height) / gy);
    for (let tx = 0; tx < gx; tx++) {
      const cnt = rows * (Math.floor(((tx + 1) * width) / gx) - Math.floor((tx * width) / gx));
      const s = tileSum[ty2 * gx + tx] as number;
      const variance = (tileSq[ty2 * gx + tx] as number) / cnt - (s / cnt) ** 2;
      if (Math.sqrt(Math.max(0, variance)) < options.blockageStdThreshold) blocked++;
    }
  }
  return qualityReport(lapVar, noiseSigma, nUnder / n, nOver / n, blocked / (gx * gy), options);
}

/** Reusable grey rows for the sampled estimator. */
let rowScratch = new Uint8Array(0);

/**
 * The same measures as measureQualityRgb, estimated on every `rowStep`-th row (rows 1, 1 + step, …,
 * each with its two neighbours for the 3x3 masks): Laplacian variance, Immerkær's noise sigma, the
 * crushed/clipped fractions and each tile's grey std are means over pixels, so a regular subset of
 * rows estimates the same full-resolution quantities (unbiased, from 1/step of the pixels) at about
 * 1/step of the cost. Falls back to every row when the image or its tiles are too short for the step.
 */
export function measureQualitySampled(data: Uint8Array, width: number, height: number, options: QualityOptions, rowStep: number): ImageQualityReport {
  const gx = Math.min(options.blockageGrid, width);
  const gy = Math.min(options.blockageGrid, height);
  const step = Math.floor(rowStep);
  if (step <= 1 || width < 3 || Math.floor(height / gy) < step + 2) return measureQualityRgb(data, width, height, options);
  if (rowScratch.length < 3 * width) rowScratch = new Uint8Array(3 * width);
  const g = rowScratch;
  const tileX0 = Int32Array.from({ length: gx + 1 }, (_, t) => Math.floor((t * width) / gx));
  const tileSum = new Float64Array(gx * gy);
  const tileSq = new Float64Array(gx * gy);
  const tileRows = new Float64Array(gy);
  const under = options.underExposedLevel;
  const over = options.overExposedLevel;
  const w1 = width - 1;
  let nUnder = 0;
  let nOver = 0;
  let lapSum = 0;
  let lapSq = 0;
  let immer = 0;
  let rows = 0;
  let ty = 0;
  for (let y = 1; y < height - 1; y += step) {
    // Grey (OpenCV's fixed-point BT.601) of rows y-1, y, y+1 only.
    for (let d = 0, s = (y - 1) * width * 3, end = 3 * width; d < end; d++, s += 3) {
      g[d] = (4899 * (data[s] as number) + 9617 * (data[s + 1] as number) + 1868 * (data[s + 2] as number) + 8192) >> 14;
    }
    while (ty < gy - 1 && y >= Math.floor(((ty + 1) * height) / gy)) ty++;
    rows++;
    tileRows[ty] = (tileRows[ty] as number) + 1;
    // Laplacian at the two border columns (REFLECT_101), then the interior with Immerkær's mask.
    for (const [x, l, r] of [
      [0, 1, 1],
      [w1, w1 - 1, w1 - 1],
    ] as const) {
      const v = (g[x] as number) + (g[2 * width + x] as number) + (g[width + l] as number) + (g[width + r] as number) - 4 * (g[width + x] as number);
      lapSum += v;
      lapSq += v * v;
    }
    for (let u = 1, c = width + 1, d = 2 * width + 1; u < w1; u++, c++, d++) {
      const centre = g[c] as number;
      const e = (g[u] as number) + (g[d] as number) + (g[c - 1] as number) + (g[c + 1] as number);
      const v = e - 4 * centre;
      lapSum += v;
      lapSq += v * v;
      const m = (g[u - 1] as number) + (g[u + 1] as number) + (g[d - 1] as number) + (g[d + 1] as number) - 2 * e + 4 * centre;
      immer += m < 0 ? -m : m;
    }
    // Exposure counts and tile moments of the centre row.
    for (let tx = 0; tx < gx; tx++) {
      let ts = 0;
      let ts2 = 0;
      for (let x = tileX0[tx] as number, end = tileX0[tx + 1] as number; x < end; x++) {
        const c = g[width + x] as number;
        ts += c;
        ts2 += c * c;
        if (c <= under) nUnder++;
        else if (c >= over) nOver++;
      }
      const t = ty * gx + tx;
      tileSum[t] = (tileSum[t] as number) + ts;
      tileSq[t] = (tileSq[t] as number) + ts2;
    }
  }
  const n = rows * width;
  const lapMean = lapSum / n;
  const lapVar = lapSq / n - lapMean * lapMean;
  const noiseSigma = (Math.sqrt(Math.PI / 2) * immer) / (6 * (width - 2) * rows);
  let blocked = 0;
  for (let t = 0; t < gx * gy; t++) {
    const cnt = (tileRows[Math.floor(t / gx)] as number) * ((tileX0[(t % gx) + 1] as number) - (tileX0[t % gx] as number));
    const s = tileSum[t] as number;
    const variance = (tileSq[t] as number) / cnt - (s / cnt) ** 2;
    if (Math.sqrt(Math.max(0, variance)) < options.blockageStdThreshold) blocked++;
  }
  return qualityReport(lapVar, noiseSigma, nUnder / n, nOver / n, blocked / (gx * gy), options);
}
