export type {
  Bus,
  BusAdmin,
  ConsumedRecord,
  IncomingHeaders,
  Isolation,
  OutgoingHeaders,
  OutgoingRecord,
  RecordPosition,
  SubscribeOptions,
  TopicPartition,
  TopicSpec,
  Transaction,
} from './types.js';
export { DEAD_LETTER_SUFFIX, DEFAULT_MAX_MESSAGE_BYTES, REPLAY_EPOCH_HEADER, deadLetterTopic, headerText } from './types.js';
export {
  BrokerError,
  BrokerUnavailableError,
  CommitRejectedError,
  RecordTooLargeError,
  TopicMismatchError,
  TransportStateError,
  UnknownTopicError,
} from './errors.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { assignCoPartitioned, type AssignmentMember } from './assignment.js';
export { MemoryBus, type MemoryBusOptions, type MemoryBusStats } from './memory-bus.js';
export { PipelinedPublisher, type PipelinedPublisherOptions } from './pipelined-publisher.js';
export { KafkaBus, type KafkaBusOptions, type TransportLogLevel } from './kafka-bus.js';
export type { TransportLogger } from './logger.js';
export {
  consumeDecoded,
  deadLetterRecord,
  decodeOrDeadLetter,
  DEAD_LETTER_HEADERS,
  type DeadLetterEvent,
  type DecodedRecord,
  type DecodeOrDeadLetterOptions,
} from './dead-letter.js';
