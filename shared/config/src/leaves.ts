import { z } from 'zod';
import { ConfigSchemaError } from './errors.js';

/** The kind of a leaf value, as the environment coercion and the docs see it. */
export type LeafType = 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'array';

/** One configurable value of a schema: where it lives, what it is, its default and range. */
export interface ConfigLeaf {
  readonly path: readonly string[];
  /** Dotted path, `voxel.leafX`. */
  readonly key: string;
  readonly type: LeafType;
  /** Element type of an array leaf (`number[]`), otherwise undefined. */
  readonly itemType: LeafType | undefined;
  readonly defaultValue: unknown;
  readonly hasDefault: boolean;
  readonly description: string | undefined;
  /** Human range (`[0.01, 10]`, `length 1..64`, `one of: a, b`), undefined when the schema gives none. */
  readonly range: string | undefined;
  readonly enumValues: readonly unknown[] | undefined;
}

/** The subset of JSON Schema that z.toJSONSchema emits for the leaves we support. */
interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/** Any zod object schema; services pass `z.strictObject({...})`. */
export type ConfigSchema = z.ZodObject;

export function toJsonSchema(schema: ConfigSchema): JsonSchemaNode {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
}

function numberRange(node: JsonSchemaNode): { text: string | undefined; bounded: boolean } {
  const low =
    node.minimum !== undefined ? `[${node.minimum}` : node.exclusiveMinimum !== undefined ? `(${node.exclusiveMinimum}` : undefined;
  const high =
    node.maximum !== undefined ? `${node.maximum}]` : node.exclusiveMaximum !== undefined ? `${node.exclusiveMaximum})` : undefined;
  if (low !== undefined && high !== undefined) return { text: `${low}, ${high}`, bounded: true };
  if (low !== undefined) return { text: `${low.startsWith('[') ? '≥' : '>'} ${low.slice(1)}`, bounded: false };
  if (high !== undefined) return { text: `${high.endsWith(']') ? '≤' : '<'} ${high.slice(0, -1)}`, bounded: false };
  return { text: undefined, bounded: false };
}

function lengthRange(min: number | undefined, max: number | undefined, unit: string): { text: string | undefined; bounded: boolean } {
  if (min === undefined && max === undefined) return { text: undefined, bounded: false };
  return { text: `${min ?? 0}..${max ?? '∞'} ${unit}`, bounded: max !== undefined };
}

function leafType(node: JsonSchemaNode): LeafType | undefined {
  if (node.enum !== undefined || node.const !== undefined) return 'enum';
  switch (node.type) {
    case 'number':
    case 'integer':
    case 'boolean':
    case 'string':
    case 'array':
      return node.type;
    default:
      return undefined;
  }
}

function rangeOf(type: LeafType, node: JsonSchemaNode): { text: string | undefined; bounded: boolean } {
  switch (type) {
    case 'number':
    case 'integer':
      return numberRange(node);
    case 'string':
      return lengthRange(node.minLength, node.maxLength, 'chars');
    case 'enum':
      return { text: `one of: ${(node.enum ?? [node.const]).map((v) => JSON.stringify(v)).join(', ')}`, bounded: true };
    case 'boolean':
      return { text: 'true, false', bounded: true };
    case 'array': {
      const items = lengthRange(node.minItems, node.maxItems, 'items');
      const item = node.items === undefined ? undefined : leafType(node.items);
      const itemRange = item === undefined || node.items === undefined ? undefined : rangeOf(item, node.items).text;
      const text = [items.text, itemRange === undefined ? undefined : `each ${itemRange}`]
        .filter((t): t is string => t !== undefined)
        .join('; ');
      return { text: text === '' ? undefined : text, bounded: items.bounded };
    }
  }
}

interface Walk {
  readonly leaves: ConfigLeaf[];
  readonly problems: string[];
}

function walk(node: JsonSchemaNode, path: string[], out: Walk): void {
  const key = path.join('.');
  if (node.type === 'object' || node.properties !== undefined) {
    if (node.additionalProperties !== false) {
      out.problems.push(`${key === '' ? '(root)' : key}: objects must be strict (z.strictObject) so unknown keys are rejected`);
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, [...path, name], out);
    return;
  }
  const type = leafType(node);
  if (type === undefined) {
    out.problems.push(`${key}: unsupported leaf type ${JSON.stringify(node.type ?? 'unknown')} (use number, boolean, string, enum or array)`);
    return;
  }
  const itemType = type === 'array' && node.items !== undefined ? leafType(node.items) : undefined;
  if (type === 'array' && (itemType === undefined || itemType === 'array')) {
    out.problems.push(`${key}: arrays must hold numbers, booleans, strings or enums`);
  }
  const range = rangeOf(type, node);
  const leaf: ConfigLeaf = {
    path,
    key,
    type,
    itemType,
    defaultValue: node.default,
    hasDefault: 'default' in node,
    description: node.description,
    range: range.text,
    enumValues: node.enum ?? (node.const === undefined ? undefined : [node.const]),
  };
  if (leaf.description === undefined || leaf.description.trim() === '') out.problems.push(`${key}: no description (.describe())`);
  if (!leaf.hasDefault) out.problems.push(`${key}: no default (.default()); defaults live in the schema only`);
  if (!range.bounded) out.problems.push(`${key}: no complete range (.min() and .max())`);
  out.leaves.push(leaf);
}

/**
 * The leaves of a config schema in declaration order, after checking the schema follows the rules
 * (strict objects; every leaf has a description, a default and a range).
 * @throws ConfigSchemaError listing every rule the schema breaks.
 */
export function configLeaves(schema: ConfigSchema): readonly ConfigLeaf[] {
  const out: Walk = { leaves: [], problems: [] };
  walk(toJsonSchema(schema), [], out);
  if (out.problems.length > 0) throw new ConfigSchemaError(out.problems);
  return out.leaves;
}
