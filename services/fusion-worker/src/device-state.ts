import type { AlignedFrame, FrameMember, PivotInputConfig, SensorRecord } from '@sensorfuse/align';
import { interpolateSensorState } from '@sensorfuse/imputation';
import type { DeviceState, SensorState } from '@sensorfuse/schemas';
import type { FusionConfig } from './config.js';
import type { FusionPayload } from './core/types.js';

/**
 * Generic device sensors (obs.sensor, SensorState from the sensor worker) ride through the rig's
 * aligner beside the core's inputs, interpolated at each pivot per sensor, and are attached to the
 * FusedDetections record as `deviceState`. The fusion core does not use them (it never sees them).
 */
export interface DevicePayload {
  readonly kind: 'sensor';
  readonly value: SensorState;
}

/** What the worker feeds its aligners: the core's payloads plus device states. */
export type WorkerPayload = FusionPayload | DevicePayload;

/** Aligner input name of obs.sensor records (the core's modality name for device sensors). */
export const DEVICE_INPUT = 'sensor';

function interpolateDevice(before: SensorRecord<WorkerPayload>, after: SensorRecord<WorkerPayload>, fraction: number): WorkerPayload {
  if (before.payload.kind !== 'sensor' || after.payload.kind !== 'sensor') return before.payload;
  return { kind: 'sensor', value: interpolateSensorState(before.payload.value, after.payload.value, fraction) };
}

/**
 * The obs.sensor input of a rig's aligner: one interpolation per sensorId at the pivot, optional
 * (a rig without device sensors never waits for them; once they speak, a frame waits at most
 * `align.timeoutUs` for their bracket, like motion).
 */
export function deviceAlignInput(align: FusionConfig['align']): PivotInputConfig<WorkerPayload> {
  return {
    name: DEVICE_INPUT, select: 'interpolate', groupBy: 'sensor', holdFrames: 'once-seen',
    matchWindowUs: align.sensorWindowUs, maxOutOfOrderUs: align.maxOutOfOrderUs, timeoutUs: align.timeoutUs, idleTimeoutUs: align.idleTimeoutUs,
    interpolate: interpolateDevice,
  };
}

/** The device states of a frame's obs.sensor member, one per sensor (sorted by sensorId). */
export function deviceStatesOf(member: FrameMember<WorkerPayload> | undefined): DeviceState[] {
  if (member?.select !== 'interpolate') return [];
  const out: DeviceState[] = [];
  for (const s of member.sensors ?? []) {
    if (s.value.kind !== 'sensor') continue;
    const v = s.value.value;
    out.push({
      sensorId: s.sensorId,
      sensorType: v.sensorType,
      unit: v.unit,
      values: [...v.values],
      std: [...v.std],
      alignMethod: s.method,
      sampleOffsetsUs: [s.before, s.after].flatMap((x) => (x === undefined ? [] : [x.offsetFromPivotUs])),
      outlier: v.outlier,
      stuck: v.stuck,
      outOfRange: v.outOfRange,
      imputed: v.imputed,
      imputationMethod: v.imputationMethod,
      sinceMeasuredUs: v.sinceMeasuredUs,
    });
  }
  return out;
}

/**
 * The frame as the core takes it: without the obs.sensor input (members, presence, closedBy), so the
 * core's modalities, missing-modality events and outputs are exactly those of a rig without device
 * sensors. Every remaining member came from a core input, so its payloads are FusionPayloads.
 */
export function coreFrameOf(frame: AlignedFrame<WorkerPayload>): AlignedFrame<FusionPayload> {
  const drop = <T>(r: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(r).filter(([k]) => k !== DEVICE_INPUT));
  const presence = drop(frame.presence);
  return {
    ...frame,
    members: drop(frame.members),
    presence,
    closedBy: drop(frame.closedBy),
    complete: Object.values(presence).every((p) => p === 'present'),
  } as AlignedFrame<FusionPayload>;
}
