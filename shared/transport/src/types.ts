import type { Observable } from 'rxjs';

/** Header values as published. Consumers get every value back as bytes, untouched. */
export type OutgoingHeaders = Readonly<Record<string, string | Buffer>>;
export type IncomingHeaders = Readonly<Record<string, Buffer>>;

/** One record to publish. `key` is the rig id: one key always lands on one partition. */
export interface OutgoingRecord {
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  readonly headers?: OutgoingHeaders;
}

/** Where a consumed record sits in the log. Offsets are Kafka int64 values as decimal strings. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ConsumedRecord extends RecordPosition {
  /** The key as UTF-8 text (the rig id), or null when the record had none. */
  readonly key: string | null;
  /** The key exactly as stored, for forwarding (dead letters keep it byte for byte). */
  readonly rawKey: Buffer | null;
  readonly value: Buffer;
  readonly headers: IncomingHeaders;
  /** Broker (log-append or create) time of the record, integer microseconds since the epoch. */
  readonly timestampUs: number;
  /**
   * Commit this record: the group's committed offset of this partition becomes `offset + 1`.
   * Cumulative like Kafka (every earlier record of the partition counts as committed too) and
   * ordered: a commit never moves the group backwards. Resolves once the commit is durable;
   * rejects with a typed error (e.g. CommitRejectedError after the partition was revoked).
   */
  commit(): Promise<void>;
}

export type Isolation = 'read_committed' | 'read_uncommitted';

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without a committed offset starts: the oldest record (true) or new records only. */
  readonly fromBeginning?: boolean;
  /** Default 'read_committed': records of open or aborted transactions are never delivered. */
  readonly isolation?: Isolation;
  /**
   * Backpressure: consumption pauses when this many delivered records are not yet committed
   * (default 1000) or their values exceed highWaterMarkBytes (default 64 MiB), and resumes when
   * both fall below the low-water marks (default: half). A reader that never commits sets Infinity.
   */
  readonly highWaterMark?: number;
  readonly lowWaterMark?: number;
  readonly highWaterMarkBytes?: number;
  readonly lowWaterMarkBytes?: number;
  /**
   * Called with every partition this member owns, each time the group (re)assigns them, before any
   * record of the new assignment is delivered. Records delivered earlier from a partition no longer in
   * the list belong to its new owner (their commits are rejected or, in a transaction, unsafe).
   */
  readonly onAssignment?: (partitions: readonly TopicPartition[]) => void;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Largest record the topic accepts, bytes. Default DEFAULT_MAX_MESSAGE_BYTES (10 MiB). */
  readonly maxMessageBytes?: number;
  /** Also create `<topic>.dlq` with the same partitions and size (default 'create'). */
  readonly deadLetterTopic?: 'create' | 'none';
}

export interface BusAdmin {
  /**
   * Create topics (and their `.dlq` topics). Idempotent: an existing topic with the same partition
   * count is left as is; a different partition count fails with TopicMismatchError.
   */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Partition count of a topic, or undefined when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /**
   * The group's committed offsets of a topic (partition → next offset to read, int64 as decimal
   * string); partitions without a committed offset are absent. Offsets committed in a transaction
   * appear once it commits.
   */
  committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>>;
}

/** A consume-transform-produce transaction: its records and offsets become visible together or never. */
export interface Transaction {
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Commit consumed records (offset + 1 each) for `groupId` as part of this transaction. */
  sendOffsets(groupId: string, records: readonly RecordPosition[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface Bus {
  readonly admin: BusAdmin;
  /**
   * Append records; resolves when they are durable (acks=all), in order per key. Records with the same
   * key go to the same partition (Kafka's murmur2 partitioner on both buses).
   */
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * A cold Observable: each subscription is one member of the consumer group. Unsubscribing leaves
   * the group without committing; uncommitted records are delivered again to the next member.
   */
  subscribe(options: SubscribeOptions): Observable<ConsumedRecord>;
  /** Start a transaction. Transactions of one bus run one after the other. */
  transaction(): Promise<Transaction>;
  /** Stop every subscription and producer; pending commits are flushed first. */
  close(): Promise<void>;
}

/** 8 MiB LIDAR sweeps plus headers and batch overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * Marks the replay epoch of a record (`<replayId>:<n>`, n grows at every loop and seek of a replay).
 * Workers copy it from an input to the outputs it produced, so a consumer downstream (the fusion
 * worker) can reset a rig when a replay starts again instead of dropping the repeat as stale.
 */
export const REPLAY_EPOCH_HEADER = 'x-sensorfuse-replay-epoch';

export function deadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** A header value as text (e.g. `traceparent`), or undefined when absent. */
export function headerText(headers: IncomingHeaders, name: string): string | undefined {
  return headers[name]?.toString('utf8');
}
