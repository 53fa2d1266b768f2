import type { InputRecord, SensorRecord } from './types.js';

/** Test and bench helpers (no test-framework imports, so it is harmless in the build). */
const seqBySensor = new Map<string, number>();

/** A record of `input` captured at `captureTimeUs`; seq increases per sensor unless given. */
export function recordAt(
  input: string,
  captureTimeUs: number,
  options: { sensorId?: string; seq?: number; byteLength?: number; durationUs?: number } = {},
): InputRecord<string> {
  const sensorId = options.sensorId ?? input;
  const seq = options.seq ?? (seqBySensor.get(sensorId) ?? 0) + 1;
  seqBySensor.set(sensorId, Math.max(seq, seqBySensor.get(sensorId) ?? 0));
  const record: SensorRecord<string> = {
    sensorId,
    seq,
    captureTimeUs,
    payload: `${input}@${captureTimeUs}`,
    ...(options.byteLength === undefined ? {} : { byteLength: options.byteLength }),
    ...(options.durationUs === undefined ? {} : { durationUs: options.durationUs }),
  };
  return { input, record };
}

/** Builds records with per-sensor sequence numbers starting at 1, independent of other calls. */
export function recordFactory(): typeof recordAt {
  const seqs = new Map<string, number>();
  return (input, captureTimeUs, options) => {
    const sensorId = options?.sensorId ?? input;
    const seq = options?.seq ?? (seqs.get(sensorId) ?? 0) + 1;
    seqs.set(sensorId, Math.max(seq, seqs.get(sensorId) ?? 0));
    return recordAt(input, captureTimeUs, { ...(options ?? {}), sensorId, seq });
  };
}
