import type { AudioEventClass, ObjectClass } from '@sensorfuse/schemas';

type Family = 'vehicle' | 'two-wheeler' | 'pedestrian' | 'animal' | 'other' | 'any';

const FAMILY: Readonly<Record<ObjectClass, Family>> = {
  car: 'vehicle',
  truck: 'vehicle',
  bus: 'vehicle',
  cyclist: 'two-wheeler',
  motorcyclist: 'two-wheeler',
  pedestrian: 'pedestrian',
  animal: 'animal',
  other: 'other',
  unknown: 'any',
};

/** Whether two classes may be the same object: same family, or unknown, or the cyclist/pedestrian confusion. */
export function classesCompatible(a: ObjectClass, b: ObjectClass): boolean {
  const fa = FAMILY[a];
  const fb = FAMILY[b];
  if (fa === 'any' || fb === 'any' || fa === fb) return true;
  return (fa === 'two-wheeler' && fb === 'pedestrian') || (fa === 'pedestrian' && fb === 'two-wheeler');
}

export function isPedestrianLike(c: ObjectClass): boolean {
  const f = FAMILY[c];
  return f === 'pedestrian' || f === 'animal';
}

/** Typical size (length, width, height in metres) per class: nuScenes/KITTI class means, rounded. */
export const CLASS_SIZE_M: Readonly<Record<ObjectClass, readonly [number, number, number]>> = {
  car: [4.5, 1.9, 1.6],
  truck: [8.0, 2.5, 3.0],
  bus: [11.0, 2.9, 3.4],
  pedestrian: [0.7, 0.7, 1.75],
  cyclist: [1.8, 0.6, 1.7],
  motorcyclist: [2.1, 0.8, 1.5],
  animal: [1.0, 0.5, 0.8],
  other: [1.0, 1.0, 1.0],
  unknown: [1.0, 1.0, 1.5],
};

/** Object classes an audio event is compatible with; empty = any. */
const AUDIO_CLASSES: Readonly<Record<AudioEventClass, readonly ObjectClass[]>> = {
  siren: ['car', 'truck', 'bus'],
  horn: ['car', 'truck', 'bus', 'motorcyclist'],
  engine: ['car', 'truck', 'bus', 'motorcyclist'],
  speech: ['pedestrian', 'cyclist'],
  footsteps: ['pedestrian'],
  alarm: [],
  dog_bark: ['animal'],
  impact: [],
  other: [],
  unknown: [],
};

export function audioCompatible(audio: AudioEventClass, object: ObjectClass): boolean {
  const allowed = AUDIO_CLASSES[audio];
  return allowed.length === 0 || object === 'unknown' || allowed.includes(object);
}

/** The class an audio event suggests for an object of unknown class (first compatible class), or unknown. */
export function audioSuggestedClass(audio: AudioEventClass): ObjectClass {
  return AUDIO_CLASSES[audio][0] ?? 'unknown';
}
