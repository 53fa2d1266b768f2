/**
 * The records the aligner consumes. Workers map their observation records onto `SensorRecord`
 * (event time = `captureTimeUs`, integer microseconds since the Unix epoch) and tag each with the
 * name of the input it belongs to (`lidar`, `camera`, `audio`, `motion`, `sensor`, or any other).
 */
export interface SensorRecord<P = unknown> {
  readonly sensorId: string;
  /** Per-sensor increasing sequence number; (sensorId, seq) identifies a record for de-duplication. */
  readonly seq: number;
  /** When the sensor sampled, in the sensor's own clock (the configured clock offset is applied on top). */
  readonly captureTimeUs: number;
  /** Size charged against the per-input byte cap; 0 when absent. */
  readonly byteLength?: number;
  /** Length of the sample (an audio chunk): the record covers [captureTimeUs, captureTimeUs + durationUs]. */
  readonly durationUs?: number;
  readonly payload: P;
}

/** A record tagged with the configured input (modality) it arrived on. */
export interface InputRecord<P = unknown> {
  readonly input: string;
  readonly record: SensorRecord<P>;
}

/** Per-sensor clock offsets: rig time = captureTimeUs + offset. */
export type ClockOffsets = Readonly<Record<string, number>>;

export function rigTimeUs(record: SensorRecord, clockOffsetsUs: ClockOffsets | undefined): number {
  return record.captureTimeUs + (clockOffsetsUs?.[record.sensorId] ?? 0);
}

/** Processing time in integer microseconds, read from the injected scheduler (whose `now()` is in ms). */
export function schedulerNowUs(scheduler: { now(): number }): number {
  return Math.round(scheduler.now() * 1000);
}
