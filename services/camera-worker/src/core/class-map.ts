import type { ObjectClass } from '@sensorfuse/schemas';

const OBJECT_CLASSES: readonly ObjectClass[] = ['unknown', 'car', 'truck', 'bus', 'pedestrian', 'cyclist', 'motorcyclist', 'animal', 'other'];

/** COCO names (the label set of stock YOLO exports) in the shared taxonomy. */
const COCO: Readonly<Record<string, ObjectClass>> = {
  person: 'pedestrian',
  bicycle: 'cyclist',
  motorcycle: 'motorcyclist',
  car: 'car',
  bus: 'bus',
  truck: 'truck',
  bird: 'animal',
  cat: 'animal',
  dog: 'animal',
  horse: 'animal',
  sheep: 'animal',
  cow: 'animal',
  elephant: 'animal',
  bear: 'animal',
  zebra: 'animal',
  giraffe: 'animal',
};

/**
 * Map each of the model's labels to the shared taxonomy: an explicit override first, then a
 * label that already is a taxonomy symbol, then the COCO names, else "other".
 */
export function buildClassMap(labels: readonly string[], overrides: Readonly<Record<string, string>> = {}): ObjectClass[] {
  return labels.map((label) => {
    const o = overrides[label];
    if (o !== undefined && (OBJECT_CLASSES as readonly string[]).includes(o)) return o as ObjectClass;
    if ((OBJECT_CLASSES as readonly string[]).includes(label)) return label as ObjectClass;
    return COCO[label] ?? 'other';
  });
}
