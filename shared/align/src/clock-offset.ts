/**
 * Tracks the offset between a sensor's capture clock and the receiver's arrival clock from
 * (captureTimeUs, arrivalUs) pairs. The transport delay is always positive, so the smallest
 * arrival − capture in a window is the best estimate of the clock offset plus the minimum delay
 * (the classic one-way minimum filter). A least-squares line through the per-window minima gives
 * the drift between the two clocks in parts per million.
 */
export interface ClockOffsetEstimatorConfig {
  /** Length of one minimum-filter window in capture time. */
  readonly windowUs: number;
  /** Windows kept for the drift fit. */
  readonly windows: number;
}

export interface ClockOffsetEstimate {
  /** arrival − capture at the newest window's time: clock offset plus the minimum transport delay. */
  readonly offsetUs: number;
  /** Drift of the receiver's clock against the sensor's (µs per s = ppm); 0 until two windows exist. */
  readonly driftPpm: number;
  readonly samples: number;
}

interface WindowMin {
  startUs: number;
  minOffsetUs: number;
  atCaptureUs: number;
}

export class ClockOffsetEstimator {
  private readonly windows: WindowMin[] = [];
  private samples = 0;

  constructor(private readonly config: ClockOffsetEstimatorConfig) {}

  add(captureTimeUs: number, arrivalUs: number): ClockOffsetEstimate {
    const offsetUs = arrivalUs - captureTimeUs;
    this.samples += 1;
    const startUs = Math.floor(captureTimeUs / this.config.windowUs) * this.config.windowUs;
    const last = this.windows.at(-1);
    if (last !== undefined && last.startUs === startUs) {
      if (offsetUs < last.minOffsetUs) {
        last.minOffsetUs = offsetUs;
        last.atCaptureUs = captureTimeUs;
      }
    } else if (last === undefined || startUs > last.startUs) {
      this.windows.push({ startUs, minOffsetUs: offsetUs, atCaptureUs: captureTimeUs });
      if (this.windows.length > this.config.windows) this.windows.shift();
    }
    return this.estimate();
  }

  estimate(): ClockOffsetEstimate {
    const w = this.windows;
    const newest = w.at(-1);
    if (newest === undefined) return { offsetUs: 0, driftPpm: 0, samples: 0 };
    // Only closed windows enter the fit: the open one may not have seen its minimum yet.
    const closed = w.length > 2 ? w.slice(0, -1) : w;
    if (closed.length < 2) return { offsetUs: newest.minOffsetUs, driftPpm: 0, samples: this.samples };
    const n = closed.length;
    let sx = 0;
    let sy = 0;
    for (const p of closed) {
      sx += p.atCaptureUs;
      sy += p.minOffsetUs;
    }
    const mx = sx / n;
    const my = sy / n;
    let sxx = 0;
    let sxy = 0;
    for (const p of closed) {
      sxx += (p.atCaptureUs - mx) * (p.atCaptureUs - mx);
      sxy += (p.atCaptureUs - mx) * (p.minOffsetUs - my);
    }
    const slope = sxx === 0 ? 0 : sxy / sxx;
    const lastCapture = closed.at(-1)?.atCaptureUs ?? mx;
    return { offsetUs: Math.round(my + slope * (lastCapture - mx)), driftPpm: slope * 1e6, samples: this.samples };
  }
}
