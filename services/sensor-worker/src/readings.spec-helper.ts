import type { SensorMetadata, SensorReading, SensorType } from '@sensorfuse/schemas';

export const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

export function reading(
  sensorId: string,
  seq: number,
  timeUs: number,
  values: number[],
  unit: string,
  sensorType: SensorType = 'temperature',
  extra: Partial<SensorReading> = {},
): SensorReading {
  return {
    rigId: 'rig-1',
    sensorId,
    seq,
    captureTimeUs: timeUs,
    publishTimeUs: timeUs + 1000,
    frameId: 'base_link',
    sensorType,
    values,
    unit,
    quality: 'good',
    metadata: null,
    ...extra,
  };
}

export function metadata(unit: string, minValue: number, maxValue: number, expectedRateHz: number, resolution = 0, noiseStd: number | null = null): SensorMetadata {
  return { unit, minValue, maxValue, resolution, expectedRateHz, noiseStd };
}
