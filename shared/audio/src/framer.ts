/**
 * Cuts a stream into frames of `frameLength` every `hop` samples, across chunk borders: samples
 * left over from one push are kept for the next, so frame k always covers samples
 * [k·hop − prefill, k·hop − prefill + frameLength) of the stream whatever the chunking.
 */
export class Framer {
  private buffer: Float32Array;
  private filled: number;

  /** `prefill` zeros are placed before the first sample (used by overlap-add for a causal start). */
  constructor(
    readonly frameLength: number,
    readonly hop: number,
    private readonly prefill = 0,
  ) {
    if (hop < 1 || hop > frameLength) throw new RangeError(`hop must be in 1…${String(frameLength)}, found ${String(hop)}`);
    this.buffer = new Float32Array(frameLength * 4);
    this.filled = prefill;
  }

  /** Append samples and call `onFrame` for each complete frame (the view is only valid during the call). */
  push(samples: Float32Array, onFrame: (frame: Float32Array) => void): number {
    const need = this.filled + samples.length;
    if (need > this.buffer.length) {
      const grown = new Float32Array(Math.max(need, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.filled));
      this.buffer = grown;
    }
    this.buffer.set(samples, this.filled);
    this.filled = need;
    let start = 0;
    let count = 0;
    while (start + this.frameLength <= this.filled) {
      onFrame(this.buffer.subarray(start, start + this.frameLength));
      start += this.hop;
      count++;
    }
    if (start > 0) {
      this.buffer.copyWithin(0, start, this.filled);
      this.filled -= start;
    }
    return count;
  }

  reset(): void {
    this.buffer.fill(0);
    this.filled = this.prefill;
  }
}
