import { PoisonRecordError } from '@sensorfuse/errors';

/** The byte buffer is shorter than the descriptor says (count × stride), or ends inside a point. */
export class TruncatedPointBufferError extends PoisonRecordError {}

/** The point stride does not divide the byte length, or is smaller than the fields it must hold. */
export class BadPointStrideError extends PoisonRecordError {}

/** Field descriptors that disagree with the bytes: missing x/y/z, overlapping or out-of-stride fields, count ≠ bytes. */
export class PointDescriptorMismatchError extends PoisonRecordError {}

/** A sweep with more points than the configured cap (protects memory and latency). */
export class PointCountOverCapError extends PoisonRecordError {}

/** A PCD file whose header or body cannot be read. */
export class PcdFormatError extends PoisonRecordError {}

/** Parameters that cannot produce a meaningful result (negative leaf, zero radius…). */
export class InvalidPointCloudParamsError extends PoisonRecordError {}
