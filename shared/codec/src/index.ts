export { SchemaRegistry } from './registry.js';
export { createCodec, readFingerprint, SINGLE_OBJECT_MARKER, HEADER_BYTES } from './codec.js';
export type { Codec, CodecOptions } from './codec.js';
export type { BytesMode } from './bytes-type.js';
export { crc64Avro, parsingCanonicalForm, schemaFingerprint } from './fingerprint.js';
export {
  CodecError,
  TruncatedRecordError,
  NotSingleObjectError,
  UnknownFingerprintError,
  SchemaMismatchError,
  CorruptRecordError,
  InvalidRecordError,
} from './errors.js';
export { validateCommonFields } from './validate.js';
export type { CommonFields } from './validate.js';
