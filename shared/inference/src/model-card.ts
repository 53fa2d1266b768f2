import { readFile } from 'node:fs/promises';
import { ModelCardError, ModelNotFoundError } from './errors.js';
import { arrayMatchesType, elementCount, type TensorElementType, type TensorMap } from './tensor.js';

const ELEMENT_TYPES: readonly TensorElementType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool'];

/** One input or output of a model: a fixed dim is a number, a free dim (batch, length) is its name. */
export interface TensorSpec {
  readonly name: string;
  readonly type: TensorElementType;
  readonly shape: readonly (number | string)[];
  /** Free-text meaning of the axes or values (e.g. "[1, 4+C, N] cx,cy,w,h + class scores"). */
  readonly layout?: string;
}

/**
 * What the pipeline needs to know about a model, kept in a JSON file next to the .onnx
 * (`model.onnx` → `model.card.json`): its tensors, the class names, and where it came from.
 */
export interface ModelCard {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly classes?: readonly string[];
  /** Anything else the card holds (source, licence, training data, measured accuracy). */
  readonly [extra: string]: unknown;
}

/** The default card path for a model: `dir/name.onnx` → `dir/name.card.json`. */
export function defaultCardPath(modelPath: string): string {
  return modelPath.endsWith('.onnx') ? `${modelPath.slice(0, -'.onnx'.length)}.card.json` : `${modelPath}.card.json`;
}

function fail(message: string, cardPath: string): never {
  throw new ModelCardError(`model card ${cardPath}: ${message}`, { path: cardPath });
}

function parseSpec(value: unknown, where: string, cardPath: string): TensorSpec {
  if (typeof value !== 'object' || value === null) fail(`${where} must be an object`, cardPath);
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name === '') fail(`${where}.name must be a non-empty string`, cardPath);
  if (typeof v.type !== 'string' || !ELEMENT_TYPES.includes(v.type as TensorElementType)) {
    fail(`${where}.type must be one of ${ELEMENT_TYPES.join(', ')}, found ${JSON.stringify(v.type)}`, cardPath);
  }
  if (!Array.isArray(v.shape)) fail(`${where}.shape must be an array`, cardPath);
  const shape = (v.shape as unknown[]).map((d, i) => {
    if ((typeof d === 'number' && Number.isInteger(d) && d > 0) || (typeof d === 'string' && d !== '')) return d;
    return fail(`${where}.shape[${String(i)}] must be a positive integer or a dim name, found ${JSON.stringify(d)}`, cardPath);
  });
  const spec: TensorSpec = { name: v.name, type: v.type as TensorElementType, shape };
  return typeof v.layout === 'string' ? { ...spec, layout: v.layout } : spec;
}

/** Validate a parsed card object. */
export function parseModelCard(value: unknown, cardPath = '<inline card>'): ModelCard {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('must be a JSON object', cardPath);
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name === '') fail('name must be a non-empty string', cardPath);
  if (!Array.isArray(v.inputs) || v.inputs.length === 0) fail('inputs must be a non-empty array', cardPath);
  if (!Array.isArray(v.outputs) || v.outputs.length === 0) fail('outputs must be a non-empty array', cardPath);
  if (v.classes !== undefined && (!Array.isArray(v.classes) || !v.classes.every((c) => typeof c === 'string'))) {
    fail('classes must be an array of strings', cardPath);
  }
  const inputs = (v.inputs as unknown[]).map((s, i) => parseSpec(s, `inputs[${String(i)}]`, cardPath));
  const outputs = (v.outputs as unknown[]).map((s, i) => parseSpec(s, `outputs[${String(i)}]`, cardPath));
  return Object.freeze({ ...v, name: v.name, inputs, outputs });
}

/** Read and validate the card file; a missing file is a ModelNotFoundError naming the path. */
export async function loadModelCard(cardPath: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch (error) {
    throw new ModelNotFoundError(cardPath, 'model card', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelCardError(`model card ${cardPath} is not valid JSON`, { path: cardPath }, error);
  }
  return parseModelCard(json, cardPath);
}

/** The metadata onnxruntime reports for a loaded model (free dims as strings). */
export interface SessionTensorInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

function describe(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Check the card against what the model really declares; a mismatch is a start-up error naming both. */
export function checkCardAgainstModel(
  card: ModelCard,
  modelPath: string,
  actual: { readonly inputs: readonly SessionTensorInfo[]; readonly outputs: readonly SessionTensorInfo[] },
): void {
  const check = (kind: 'input' | 'output', specs: readonly TensorSpec[], infos: readonly SessionTensorInfo[]): void => {
    for (const spec of specs) {
      const info = infos.find((i) => i.name === spec.name);
      if (info === undefined) {
        throw new ModelCardError(
          `model ${modelPath} has no ${kind} named "${spec.name}" (card ${card.name}); the model's ${kind}s are ${infos.map((i) => i.name).join(', ')}`,
          { path: modelPath, tensor: spec.name },
        );
      }
      const mismatch =
        info.type !== spec.type ||
        info.shape.length !== spec.shape.length ||
        spec.shape.some((d, k) => typeof d === 'number' && typeof info.shape[k] === 'number' && info.shape[k] !== d);
      if (mismatch) {
        throw new ModelCardError(
          `model ${modelPath} ${kind} "${spec.name}" is ${info.type} ${describe(info.shape)}, the card ${card.name} expects ${spec.type} ${describe(spec.shape)}`,
          { path: modelPath, tensor: spec.name },
        );
      }
    }
    if (kind === 'input') {
      const extra = infos.filter((i) => !specs.some((s) => s.name === i.name));
      if (extra.length > 0) {
        throw new ModelCardError(
          `model ${modelPath} needs inputs the card ${card.name} does not describe: ${extra.map((i) => i.name).join(', ')}`,
          { path: modelPath },
        );
      }
    }
  };
  check('input', card.inputs, actual.inputs);
  check('output', card.outputs, actual.outputs);
}

/** Validate request tensors against the card: every input present, right type, rank, fixed dims and length. */
export function validateFeeds(card: ModelCard, feeds: TensorMap): string | undefined {
  for (const spec of card.inputs) {
    const t = feeds[spec.name];
    if (t === undefined) return `input "${spec.name}" is missing (model ${card.name} needs ${card.inputs.map((s) => s.name).join(', ')})`;
    if (t.type !== spec.type || !arrayMatchesType(t.type, t.data)) {
      return `input "${spec.name}" must be ${spec.type}, found ${t.type} in a ${t.data.constructor.name}`;
    }
    const badDim = spec.shape.some((d, k) => {
      const got = t.dims[k];
      return got === undefined || !Number.isInteger(got) || got <= 0 || (typeof d === 'number' && got !== d);
    });
    if (t.dims.length !== spec.shape.length || badDim) {
      return `input "${spec.name}" of ${card.name} must have shape ${describe(spec.shape)}, found ${describe(t.dims)}`;
    }
    const n = elementCount(t.dims);
    if (t.data.length !== n) {
      return `input "${spec.name}" has shape ${describe(t.dims)} (${String(n)} elements) but ${String(t.data.length)} values`;
    }
  }
  for (const name of Object.keys(feeds)) {
    if (!card.inputs.some((s) => s.name === name)) return `input "${name}" is not an input of ${card.name}`;
  }
  return undefined;
}
