/** The topics of one pipeline. Every topic gets `<topic>.dlq` beside it (created by the Bus admin). */
export const MODALITIES = ['camera', 'lidar', 'audio', 'motion', 'sensor'] as const;
export type Modality = (typeof MODALITIES)[number];

export const RAW_TOPICS = MODALITIES.map((modality) => `raw.${modality}`);
export const OBSERVATION_TOPICS = MODALITIES.map((modality) => `obs.${modality}`);
export const OUTPUT_TOPICS = ['fused.detections', 'sim.truth', 'calibration.rig'] as const;

/** Every topic of a pipeline; all co-partitioned (same partition count) so one fusion instance owns a rig. */
export function pipelineTopics(): string[] {
  return [...RAW_TOPICS, ...OBSERVATION_TOPICS, ...OUTPUT_TOPICS];
}

/** A LIDAR sweep can exceed Kafka's default 1 MiB: topics accept at least 8 MiB. */
export const PIPELINE_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
