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
  // White noise of sigma adds (1+1+1+1+16) sigma² to the Laplacian's variance: without removing it, a
  // noisy night frame reads as sharper than a clean day frame.
  const structure = Math.max(0, lapVar - 20 * noiseSigma * noiseSigma);
  const blur = options.blurReferenceVariance / (options.blurReferenceVariance + structure);
  let under = 0;
  let over = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const v = gray[i] ?? 0;
    if (v <= options.underExposedLevel) under++;
    else if (v >= options.overExposedLevel) over++;
  }
  const underExposedFraction = under / n;
  const overExposedFraction = over / n;
  const exposure = overExposedFraction - underExposedFraction;
  const blockage = blockageFraction(gray, width, height, options.blockageGrid, options.blockageStdThreshold);
  const ref2 = options.noiseReferenceSigma * options.noiseReferenceSigma;
  const noiseFactor = ref2 / (ref2 + noiseSigma * noiseSigma);
  const reliability = Math.min(1, Math.max(0, (1 - blur) * (1 - Math.abs(exposure)) * (1 - blockage) * noiseFactor));
  return { laplacianVariance: lapVar, blur, underExposedFraction, overExposedFraction, exposure, blockage, noiseSigma, reliability };
}
