import avro from 'avsc';
import { readFingerprint, SchemaRegistry } from '@sensorfuse/codec';
import { schemasByName } from '@sensorfuse/schemas';

/** MCAP schema encoding of Avro writer schemas (custom: the MCAP registry has no Avro entry). */
export const AVRO_SCHEMA_ENCODING = 'avro';
/** MCAP message encoding of channels whose values are Avro single-object records, in the envelope. */
export const AVRO_MESSAGE_ENCODING = 'sensorfuse-envelope+avro-single-object';
/** MCAP message encoding of channels whose values are opaque bytes (JSON ground truth…), in the envelope. */
export const RAW_MESSAGE_ENCODING = 'sensorfuse-envelope+raw';

/** Fields whose value is the record's own time, in order of preference, for the MCAP log time. */
const TIME_FIELDS = ['captureTimeUs', 'validFromUs'] as const;

export interface CatalogEntry {
  readonly fingerprint: string;
  /** Full name, e.g. "sensorfuse.LidarScan". */
  readonly name: string;
  /** The writer schema as JSON text, stored as the MCAP schema data. */
  readonly json: string;
  readonly type: avro.Type;
  /** Reads the record's own time (capture or validity) without decoding the payload, or undefined. */
  readonly timeOf: (value: Buffer) => number | undefined;
}

function timeReader(type: avro.Type, schema: Record<string, unknown>): (value: Buffer) => number | undefined {
  const fields = (schema.fields ?? []) as { name: string }[];
  const field = TIME_FIELDS.find((f) => fields.some((x) => x.name === f));
  if (field === undefined || !(type instanceof avro.types.RecordType)) return () => undefined;
  // A reader schema with the one field: Avro resolution skips every other field (bytes are skipped,
  // not copied), so a 2 MB sweep costs a few varint reads.
  const projection = avro.Type.forSchema({ type: 'record', name: type.name ?? 'R', fields: [{ name: field, type: 'long' }] });
  const resolver = projection.createResolver(type);
  return (value) => {
    try {
      const rec = projection.fromBuffer(value.subarray(10), resolver, true) as Record<string, number>;
      return rec[field];
    } catch {
      return undefined;
    }
  };
}

/**
 * Writer schemas the recorder knows, by fingerprint: every schema in schemas/*.avsc plus any the
 * caller adds. A record with an unknown fingerprint is still recorded, on a raw channel.
 */
export class SchemaCatalog {
  readonly registry = new SchemaRegistry();
  readonly #entries = new Map<string, CatalogEntry>();

  constructor(extra: readonly object[] = []) {
    for (const s of [...Object.values(schemasByName), ...extra]) this.add(s);
  }

  add(schema: object | string): CatalogEntry {
    const json = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const fingerprint = this.registry.register(json);
    const existing = this.#entries.get(fingerprint);
    if (existing) return existing;
    const type = this.registry.get(fingerprint);
    if (!type) throw new Error(`schema ${fingerprint} vanished from the registry`);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    const entry: CatalogEntry = { fingerprint, name: type.name ?? type.typeName, json, type, timeOf: timeReader(type, parsed) };
    this.#entries.set(fingerprint, entry);
    return entry;
  }

  get(fingerprint: string): CatalogEntry | undefined {
    return this.#entries.get(fingerprint);
  }

  /** The catalog entry of a single-object value, or undefined for anything else. */
  lookupValue(value: Uint8Array): CatalogEntry | undefined {
    if (value.length < 10 || value[0] !== 0xc3 || value[1] !== 0x01) return undefined;
    return this.#entries.get(readFingerprint(value));
  }
}
