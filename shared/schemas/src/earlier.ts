import { lidarObjectsSchema } from './generated/schemas.js';

/** A record schema without one of its fields: the version written before that field (with its default) was added. */
function before<S extends { readonly fields: readonly { readonly name: string }[] }>(schema: S, field: string): S {
  return { ...schema, fields: schema.fields.filter((f) => f.name !== field) };
}

/**
 * Earlier writer versions of the schemas that readers still accept. Producers and consumers are upgraded one at a
 * time (schemas/README.md, evolution rule 4): a reader registers these with its SchemaRegistry as well as the
 * current schema, so records from a producer not yet upgraded resolve (added fields take their defaults) instead of
 * going to the DLQ as UnknownFingerprintError.
 */
export const EARLIER_SCHEMA_VERSIONS = {
  /** Before `fragments` (LIDAR fragments, default []). */
  LidarObjects: [before(lidarObjectsSchema, 'fragments')],
} as const;

/**
 * Registers every earlier version with a reader's registry (structurally a @sensorfuse/codec SchemaRegistry, which
 * this package does not depend on). Readers call it once, before creating their codecs.
 */
export function registerEarlierSchemaVersions(registry: { register(schema: object): unknown }): void {
  for (const versions of Object.values(EARLIER_SCHEMA_VERSIONS)) for (const schema of versions) registry.register(schema);
}
