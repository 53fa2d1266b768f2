import type avro from 'avsc';
import {
  CodecError,
  CorruptRecordError,
  NotSingleObjectError,
  SchemaMismatchError,
  TruncatedRecordError,
  UnknownFingerprintError,
} from './errors.js';
import { fingerprintToWire } from './fingerprint.js';
import type { BytesMode } from './bytes-type.js';
import { parseSchema, type RegisteredSchema, type SchemaRegistry } from './registry.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

/** Avro single-object encoding: marker C3 01, 8-byte little-endian fingerprint, then the body. */
export const SINGLE_OBJECT_MARKER = Uint8Array.of(0xc3, 0x01);
export const HEADER_BYTES = 10;

export interface Codec<T> {
  /** Fingerprint of the reader (and writer) schema, 16 hex digits. */
  readonly fingerprint: string;
  /** Full name of the schema, e.g. "sensorfuse.LidarScan". */
  readonly schemaName: string;
  /** Encodes with the codec's schema as the writer schema. Throws SchemaMismatchError. */
  encode(value: T): Buffer;
  /**
   * Decodes a single-object record written with any registered schema, resolved into the codec's
   * schema. `bytes` fields of the result are copies (one copy each), independent of the input.
   * Throws only CodecError subclasses.
   */
  decode(bytes: Uint8Array): T;
}

/**
 * Reads the writer fingerprint of a single-object record: 16 hex digits of the unsigned 64-bit
 * value. Throws TruncatedRecordError or NotSingleObjectError.
 */
export function readFingerprint(bytes: Uint8Array): string {
  if (bytes.length >= 1 && bytes[0] !== 0xc3) throw new NotSingleObjectError(bytes);
  if (bytes.length >= 2 && bytes[1] !== 0x01) throw new NotSingleObjectError(bytes);
  if (bytes.length < HEADER_BYTES) {
    throw new TruncatedRecordError(HEADER_BYTES, bytes.length, 'single-object header');
  }
  let hex = '';
  for (let i = HEADER_BYTES - 1; i >= 2; i--) hex += (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return hex;
}

/** Encode scratch: small records are encoded here once and copied out; large ones only sized here. */
const scratch = Buffer.allocUnsafe(64 * 1024);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (typeof value === 'object') return Array.isArray(value) ? `array(${value.length})` : 'object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : typeof value;
}

/** The first offending path of an invalid value, for an error message that names the field. */
function mismatchMessage(type: avro.Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], found: unknown, t: avro.Type) => {
      if (problems.length < 3) {
        problems.push(`${path.join('.') || '(root)'}: expected ${t.typeName}${t.name ? ` ${t.name}` : ''}, found ${describe(found)}`);
      }
    },
  });
  return problems.join('; ');
}

export interface CodecOptions {
  /**
   * `copy` (default): decoded `bytes` fields own their memory, one copy of each payload.
   * `view`: decoded `bytes` fields are views into the input, no copy; the record then keeps the
   * input buffer alive and changes with it. For hot paths that consume a record before the next.
   */
  readonly bytes?: BytesMode;
}

export function createCodec<T>(registry: SchemaRegistry, readerSchema: object, options: CodecOptions = {}): Codec<T> {
  const reader: RegisteredSchema = registry.entry(readerSchema);
  const readerType = options.bytes === 'view' ? parseSchema(readerSchema, 'view') : reader.type;
  const header = Buffer.concat([SINGLE_OBJECT_MARKER, fingerprintToWire(reader.fingerprint)]);
  const schemaName = readerType.name ?? readerType.typeName;
  /** Per writer fingerprint: its resolver into the reader schema, or why there is none. */
  const resolvers = new Map<string, { resolver?: Resolver | undefined; error?: SchemaMismatchError }>();

  function resolverFor(writer: RegisteredSchema): Resolver | undefined {
    let cached = resolvers.get(writer.fingerprint);
    if (!cached) {
      try {
        cached = writer.fingerprint === reader.fingerprint ? {} : { resolver: readerType.createResolver(writer.type) };
      } catch (cause) {
        cached = {
          error: new SchemaMismatchError(
            `writer schema ${writer.type.name ?? writer.type.typeName} (${writer.fingerprint}) cannot be read as ${schemaName} (${reader.fingerprint}): ${(cause as Error).message}`,
            { cause, context: { writerFingerprint: writer.fingerprint, readerFingerprint: reader.fingerprint } },
          ),
        };
      }
      resolvers.set(writer.fingerprint, cached);
    }
    if (cached.error) throw cached.error;
    return cached.resolver;
  }

  return {
    fingerprint: reader.fingerprint,
    schemaName,

    encode(value: T): Buffer {
      if (!readerType.isValid(value)) {
        throw new SchemaMismatchError(`value does not match ${schemaName}: ${mismatchMessage(readerType, value)}`, {
          context: { schemaName },
        });
      }
      let end: number;
      try {
        // avsc never writes past the end of the target, it only counts: a negative result is the
        // shortfall, which sizes the one exact allocation for large records (one payload copy).
        end = readerType.encode(value, scratch, HEADER_BYTES);
        if (end >= 0) {
          const out = Buffer.allocUnsafe(end);
          header.copy(out, 0);
          scratch.copy(out, HEADER_BYTES, HEADER_BYTES, end);
          return out;
        }
        const out = Buffer.allocUnsafe(scratch.length - end);
        header.copy(out, 0);
        end = readerType.encode(value, out, HEADER_BYTES);
        if (end !== out.length) throw new Error(`encoded ${end} bytes, sized ${out.length}`);
        return out;
      } catch (cause) {
        throw new SchemaMismatchError(`value does not match ${schemaName}: ${(cause as Error).message}`, {
          cause,
          context: { schemaName },
        });
      }
    },

    decode(bytes: Uint8Array): T {
      const fingerprint = readFingerprint(bytes);
      const writer = registry.lookup(fingerprint);
      if (!writer) {
        throw new UnknownFingerprintError(fingerprint, `${schemaName} ${reader.fingerprint} or a version of it`);
      }
      const resolver = resolverFor(writer);
      const buf = asBuffer(bytes);
      writer.checkBounds(buf, HEADER_BYTES);
      try {
        const decoded = readerType.decode(buf, HEADER_BYTES, resolver);
        const value: unknown = decoded.value;
        const offset = decoded.offset;
        if (offset !== buf.length) {
          throw new CorruptRecordError(`corrupt record: body ends at byte ${offset}, record has ${buf.length} bytes`);
        }
        return value as T;
      } catch (cause) {
        if (cause instanceof CodecError) throw cause;
        throw new CorruptRecordError(`corrupt ${writer.type.name ?? 'record'} body: ${(cause as Error).message}`, {
          cause,
          context: { writerFingerprint: writer.fingerprint },
        });
      }
    },
  };
}
