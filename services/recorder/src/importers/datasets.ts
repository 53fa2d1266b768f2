import { RecorderUsageError } from '../errors.js';
import type { ImportedRecord } from './common.js';
import { kittiRecords } from './kitti.js';
import { nuscenesRecords } from './nuscenes.js';
import { ousterRecords } from './ouster.js';
import { px4Records } from './px4.js';

/** Dataset kinds `datasetRecords` (and `sensorfuse import`) understands. */
export const DATASET_KINDS = ['kitti', 'nuscenes', 'px4', 'ouster'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export interface DatasetImportOptions {
  /** kitti, nuscenes: the dataset folder; px4: the .ulg file; ouster: the .pcap file. */
  readonly path: string;
  readonly rigId?: string;
  /** ouster: the sensor metadata JSON (default: the only *.json next to the pcap). */
  readonly metadata?: string;
}

export function isDatasetKind(kind: string): kind is DatasetKind {
  return (DATASET_KINDS as readonly string[]).includes(kind);
}

/**
 * One entry point for every importer: the records of a dataset in capture order, for
 * `writeImported` (→ MCAP) or `publishImported` (→ Bus). An unknown kind is a RecorderUsageError.
 */
export async function* datasetRecords(kind: string, options: DatasetImportOptions): AsyncGenerator<ImportedRecord> {
  const rig = options.rigId !== undefined ? { rigId: options.rigId } : {};
  switch (kind) {
    case 'kitti':
      yield* kittiRecords({ dir: options.path, ...rig });
      return;
    case 'nuscenes':
      yield* nuscenesRecords({ dir: options.path, ...rig });
      return;
    case 'px4':
      yield* await px4Records({ file: options.path, ...rig });
      return;
    case 'ouster':
      yield* ousterRecords({ pcap: options.path, ...rig, ...(options.metadata !== undefined ? { metadata: options.metadata } : {}) });
      return;
    default:
      throw new RecorderUsageError(`unknown dataset kind "${kind}" (expected one of ${DATASET_KINDS.join(', ')})`, { context: { kind } });
  }
}
