import avro from 'avsc';
import { SchemaMismatchError } from './errors.js';
import { compileBoundsCheck, type BoundsCheck } from './bounds.js';
import { bytesHook, type BytesMode } from './bytes-type.js';
import { schemaFingerprint } from './fingerprint.js';

/** One parsed writer schema with what decoding it needs, kept per fingerprint. */
export interface RegisteredSchema {
  readonly fingerprint: string;
  readonly type: avro.Type;
  readonly checkBounds: BoundsCheck;
}

/**
 * Writer schemas by CRC-64-AVRO fingerprint. A reader registers every schema version it accepts
 * (its own and older or newer writers' versions); bytes whose fingerprint is not here are bad
 * input. Registering is idempotent.
 */
export class SchemaRegistry {
  readonly #byFingerprint = new Map<string, RegisteredSchema>();

  /** Parses and registers a schema (object or JSON text); returns its fingerprint, 16 hex digits. */
  register(schema: object | string): string {
    return this.entry(schema).fingerprint;
  }

  has(fp: string): boolean {
    return this.#byFingerprint.has(fp);
  }

  get(fp: string): avro.Type | undefined {
    return this.#byFingerprint.get(fp)?.type;
  }

  /** Fingerprints of every registered schema. */
  fingerprints(): string[] {
    return [...this.#byFingerprint.keys()];
  }

  /** @internal the codec's view: the parsed type plus its compiled bounds check. */
  lookup(fp: string): RegisteredSchema | undefined {
    return this.#byFingerprint.get(fp);
  }

  /** @internal registers and returns the full entry. */
  entry(schema: object | string): RegisteredSchema {
    const type = parseSchema(schema);
    const fingerprint = schemaFingerprint(type);
    const existing = this.#byFingerprint.get(fingerprint);
    if (existing) return existing;
    const entry: RegisteredSchema = { fingerprint, type, checkBounds: compileBoundsCheck(type) };
    this.#byFingerprint.set(fingerprint, entry);
    return entry;
  }
}

/** avsc options used for every schema, so writers and readers agree on union and long handling. */
export const TYPE_OPTIONS = { wrapUnions: 'auto' } as const;

export function parseSchema(schema: object | string, bytes: BytesMode = 'copy'): avro.Type {
  let parsed: unknown = schema;
  if (typeof schema === 'string') {
    const text = schema.trim();
    // A bare primitive name ("long") is a schema too; anything else must be JSON.
    if (text.startsWith('{') || text.startsWith('[') || text.startsWith('"')) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch (cause) {
        throw new SchemaMismatchError(`schema is not valid JSON: ${(cause as Error).message}`, { cause });
      }
    }
  }
  try {
    // avsc adds its registry to the options: a fresh one per schema
    return avro.Type.forSchema(parsed as Parameters<typeof avro.Type.forSchema>[0], {
      ...TYPE_OPTIONS,
      typeHook: bytesHook(bytes),
    });
  } catch (cause) {
    throw new SchemaMismatchError(`not a valid Avro schema: ${(cause as Error).message}`, { cause });
  }
}
