export { record, PIPELINE_TOPICS, type RecordOptions, type Recorder } from './record.js';
export {
  replay, terminalProgress, REPLAY_EPOCH_HEADER, PRECISE_UP_TO_RATE, type ReplayOptions, type ReplayController, type ReplayStats, type ReplayProgress, type CalibrationSink,
} from './replay.js';
export { recover, type RecoverOptions, type RecoverStats } from './recover.js';
export { Recording, type RecordedMessage, type ReadOptions, type ChannelInfo } from './reader.js';
export {
  RecordingWriter,
  DEFAULT_STATIC_TOPICS,
  type RecordingWriterOptions,
  type RecordInput,
  type WriterStats,
  type ChunkCompression,
} from './writer.js';
export {
  Pacer, systemMonotonicClock, systemClock, ContentionGovernor, DEFAULT_PACING_MARGIN_US,
  type MonotonicClock, type SystemClock, type PacerParams, type PaceResult, type PacingMode, type SystemClockOptions, type ContentionGovernorOptions,
} from './pacer.js';
export { raiseThreadPriority, raiseThreadToRealtime, type ThreadPriorityApi, type ThreadPriorityChange, type RealtimeApi } from './priority.js';
export { Retimer } from './retime.js';
export { SchemaCatalog, AVRO_SCHEMA_ENCODING, AVRO_MESSAGE_ENCODING, RAW_MESSAGE_ENCODING, type CatalogEntry } from './catalog.js';
export { encodeEnvelope, decodeEnvelope, ENVELOPE_VERSION, type RecordedRecord } from './envelope.js';
export { RecordingFormatError, RecordingIoError, DatasetFormatError, RecorderUsageError } from './errors.js';
export { kittiRecords, kittiRigCalibration, KITTI_DEFAULT_START_US, type KittiImportOptions } from './importers/kitti.js';
export { nuscenesRecords, nuscenesTimeUs, type NuscenesImportOptions } from './importers/nuscenes.js';
export { px4Records, type Px4ImportOptions } from './importers/px4.js';
export { writeImported, publishImported, TRUTH_BOXES_TOPIC, type ImportedRecord } from './importers/common.js';
export { FoxgloveConverter, FOXGLOVE_TOPIC_PREFIX, quaternionOf, type FoxgloveMessage } from './foxglove.js';
export { McapFile, type McapFileOptions, type ChunkCompressor } from './mcap-file.js';
export {
  ousterRecords,
  parseOusterMetadata,
  OusterSweepAssembler,
  OusterXyzLut,
  OUSTER_POINT_STRIDE,
  OUSTER_GEN1_LIDAR_ORIGIN_TO_BEAM_ORIGIN_MM,
  OUSTER_DEFAULT_LIDAR_TO_SENSOR,
  type OusterImportOptions,
  type OusterMetadata,
  type OusterSweep,
} from './importers/ouster.js';
export { readPcapUdp, type UdpDatagram } from './importers/pcap.js';
export { datasetRecords, isDatasetKind, DATASET_KINDS, type DatasetKind, type DatasetImportOptions } from './importers/datasets.js';
