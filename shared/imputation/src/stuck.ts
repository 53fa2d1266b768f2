/**
 * Stuck-sensor detector: a signal whose readings stay within `tolerance` of the first reading of
 * the current run for at least `windowUs` is reported stuck (frozen ADC, dead element, a device
 * repeating its last value). The verdict is reached at the first reading at or after windowUs.
 */
export class StuckDetector {
  #anchor = Number.NaN;
  #runStartUs = 0;

  constructor(
    readonly windowUs: number,
    readonly tolerance: number,
  ) {}

  /** Adds a reading; true while the sensor is stuck. */
  update(timeUs: number, value: number): boolean {
    if (!(Math.abs(value - this.#anchor) <= this.tolerance)) {
      this.#anchor = value;
      this.#runStartUs = timeUs;
      return false;
    }
    return timeUs - this.#runStartUs >= this.windowUs;
  }

  /** How long the current run of unchanged readings has lasted at `timeUs`. */
  runUs(timeUs: number): number {
    return Number.isNaN(this.#anchor) ? 0 : timeUs - this.#runStartUs;
  }

  reset(): void {
    this.#anchor = Number.NaN;
  }
}
