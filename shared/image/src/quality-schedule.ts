import type { ImageQualityReport } from './quality.js';

/** Which frame of a camera a request is: the camera's key and the frame's capture time. */
export interface FrameTag {
  /** One camera (e.g. `rigId/sensorId`): each camera has its own cadence and last report. */
  readonly camera: string;
  /** Capture time, integer microseconds. */
  readonly timeUs: number;
}

/** How often the full-resolution quality is measured; the frames in between reuse the last report. */
export interface QualityCadence {
  /** Measure at least every n-th frame of a camera (1 = every frame). */
  readonly everyFrames: number;
  /** Measure when the last report is this old (capture time) or older, microseconds (0 = every frame). */
  readonly maxAgeUs: number;
}

interface Last {
  readonly report: ImageQualityReport;
  readonly timeUs: number;
  framesSince: number;
}

/**
 * Per-camera cadence of the quality measure: a camera's reliability changes over seconds (dusk, rain,
 * dirt), its frames come at 10–30 Hz, and the full-resolution measure is the largest JavaScript cost
 * of pre-processing. A frame is measured when its camera has no report yet, when capture time went
 * backwards (a replay), or when `everyFrames` frames or `maxAgeUs` have passed since the last measure;
 * otherwise the last report is reused and its age returned. Pure bookkeeping, no clock of its own.
 */
export class QualitySchedule {
  private readonly last = new Map<string, Last>();

  constructor(
    private readonly cadence: QualityCadence,
    /** Cameras remembered (oldest forgotten first). */
    private readonly maxCameras = 1024,
  ) {}

  /** The last report of this frame's camera, if it is still fresh enough to reuse for this frame. */
  reusable(frame: FrameTag): { report: ImageQualityReport; ageUs: number } | undefined {
    const last = this.last.get(frame.camera);
    if (last === undefined) return undefined;
    const ageUs = frame.timeUs - last.timeUs;
    if (ageUs < 0 || this.cadence.everyFrames <= 1 || last.framesSince + 1 >= this.cadence.everyFrames || ageUs >= this.cadence.maxAgeUs) return undefined;
    last.framesSince++;
    return { report: last.report, ageUs };
  }

  /** The report measured on this frame. */
  measured(frame: FrameTag, report: ImageQualityReport): void {
    this.last.delete(frame.camera);
    this.last.set(frame.camera, { report, timeUs: frame.timeUs, framesSince: 0 });
    if (this.last.size > this.maxCameras) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
  }
}
