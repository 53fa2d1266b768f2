import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/**
 * Every error the codec raises. All are poison-record errors: the same bytes will fail the same
 * way again, so the record goes to the dead-letter topic and is never retried.
 */
export abstract class CodecError extends PoisonRecordError {}

/** The input ends before the record does (or a length prefix claims more bytes than remain). */
export class TruncatedRecordError extends CodecError {
  constructor(
    readonly expectedBytes: number,
    readonly foundBytes: number,
    what: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`truncated record: ${what} needs ${expectedBytes} bytes, found ${foundBytes}`, options);
  }
}

/** The input does not start with the single-object marker C3 01. */
export class NotSingleObjectError extends CodecError {
  constructor(found: Uint8Array, options: SensorfuseErrorOptions = {}) {
    super(
      `not an Avro single-object record: expected marker c3 01, found ${hexBytes(found, 2) || 'no bytes'}`,
      options,
    );
  }
}

/** The writer schema's fingerprint is not in the registry. */
export class UnknownFingerprintError extends CodecError {
  constructor(
    readonly fingerprint: string,
    expected: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`unknown writer schema fingerprint ${fingerprint}: expected a registered schema (${expected})`, {
      ...options,
      context: { fingerprint, ...options.context },
    });
  }
}

/** A value does not match its schema on encode, or a writer schema cannot be read as the reader schema. */
export class SchemaMismatchError extends CodecError {}

/** The body does not parse as the writer schema, or bytes follow the record. */
export class CorruptRecordError extends CodecError {}

/** A decoded record has a field value no consumer may accept (NaN time, negative seq, empty id). */
export class InvalidRecordError extends PoisonRecordError {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`invalid record: field ${field} expected ${expected}, found ${found}`, {
      ...options,
      context: { field, ...options.context },
    });
  }
}

export function hexBytes(bytes: Uint8Array, max: number): string {
  return Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
