import { SensorfuseError, TransientError } from '@sensorfuse/errors';

/** A record larger than the topic's max.message.bytes: fix the producer or the topic, never retried. */
export class RecordTooLargeError extends SensorfuseError {
  readonly retriable = false;
}

/** createTopics found the topic with a different partition count than requested. */
export class TopicMismatchError extends SensorfuseError {
  readonly retriable = false;
}

/** Publishing to or subscribing to a topic that was never created (topics are pre-created, never auto). */
export class UnknownTopicError extends SensorfuseError {
  readonly retriable = false;
}

/**
 * A commit refused because this member no longer owns the partition (rebalance) or has left the
 * group. The record is redelivered to the partition's new owner; not worth retrying here.
 */
export class CommitRejectedError extends SensorfuseError {
  readonly retriable = false;
}

/** Using a transaction after commit/abort, or a bus after close. */
export class TransportStateError extends SensorfuseError {
  readonly retriable = false;
}

/** The broker is unreachable or busy (kafkajs gave up on a retriable error): retry later. */
export class BrokerUnavailableError extends TransientError {}

/** Any other failure reported by the broker or the client, not worth retrying as is. */
export class BrokerError extends SensorfuseError {
  readonly retriable = false;
}
