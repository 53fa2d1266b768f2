import { InferencePool, ModelNotFoundError, float32Tensor, type ModelCard } from '@sensorfuse/inference';
import type { NormaliseOptions } from '@sensorfuse/image';
import type { Detector, DetectorSpec } from './core/camera-core.js';
import { buildClassMap } from './core/class-map.js';
import { checkOutputShape, type DetectorOutputLayout } from './core/decode-detections.js';
import { DetectorOutputShapeError } from './core/errors.js';
import type { CameraModelConfig } from './config.js';

/** An opened detector: the pool adapter for the core, what the core needs to know, and how to close it. */
export interface OpenedDetector {
  readonly detector: Detector;
  readonly spec: DetectorSpec;
  close(): Promise<void>;
}

const LAYOUTS: readonly DetectorOutputLayout[] = ['yolo', 'nms-n6', 'nms-1n7'];

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
function triple(value: unknown, fallback: readonly [number, number, number]): readonly [number, number, number] {
  return Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number') ? (value as [number, number, number]) : fallback;
}

/**
 * What the card says about pre- and post-processing. Optional card fields (YOLO export defaults
 * when absent): `preprocess: { scale, mean, std, channelOrder, padValue }`, `postprocess: { layout }`,
 * `classMap: { label: objectClass }`.
 */
export function detectorSpecFromCard(card: ModelCard, layoutSetting: CameraModelConfig['layout']): DetectorSpec {
  const input = card.inputs[0];
  const output = card.outputs[0];
  const dims = input?.shape ?? [];
  const h = dims[2];
  const w = dims[3];
  if (input === undefined || input.type !== 'float32' || dims.length !== 4 || dims[1] !== 3 || typeof h !== 'number' || typeof w !== 'number') {
    throw new DetectorOutputShapeError(`model ${card.name}: expected one float32 image input [1, 3, H, W] with fixed H and W, the card gives ${input === undefined ? 'none' : `${input.type} [${dims.join(', ')}]`}`, {
      model: card.name,
      shape: `[${dims.join(', ')}]`,
    });
  }
  const labels = card.classes ?? [];
  if (labels.length === 0) throw new DetectorOutputShapeError(`model ${card.name}: the card lists no classes`, { model: card.name });
  const pre = record(card.preprocess);
  const post = record(card.postprocess);
  const cardLayout = LAYOUTS.find((l) => l === post.layout);
  const layout = layoutSetting === 'card' ? (cardLayout ?? 'yolo') : layoutSetting;
  if (output === undefined) throw new DetectorOutputShapeError(`model ${card.name}: the card lists no output`, { model: card.name });
  checkOutputShape(output.shape, layout, labels.length, card.name);
  const normalise: NormaliseOptions = {
    scale: typeof pre.scale === 'number' ? pre.scale : 1 / 255,
    mean: triple(pre.mean, [0, 0, 0]),
    std: triple(pre.std, [1, 1, 1]),
    channelOrder: pre.channelOrder === 'bgr' ? 'bgr' : 'rgb',
  };
  const overrides = Object.fromEntries(Object.entries(record(card.classMap)).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    modelId: card.version === undefined ? card.name : `${card.name}@${card.version}`,
    inputWidth: w,
    inputHeight: h,
    padValue: typeof pre.padValue === 'number' ? pre.padValue : 114,
    normalise,
    layout,
    labels,
    classes: buildClassMap(labels, overrides),
  };
}

/** Open the model in an InferencePool (worker threads) and check its card; start-up errors name the model and the shape. */
export async function openDetector(model: CameraModelConfig): Promise<OpenedDetector> {
  if (model.path === '') {
    throw new ModelNotFoundError('(unset)', 'model', new Error('camera model.path is empty: set SENSORFUSE_CAMERA_MODEL_PATH to an .onnx file'));
  }
  const pool = await InferencePool.open({
    modelPath: model.path,
    ...(model.cardPath === '' ? {} : { cardPath: model.cardPath }),
    workers: model.workers,
    intraOpThreads: model.intraOpThreads,
  });
  let spec: DetectorSpec;
  try {
    spec = detectorSpecFromCard(pool.card, model.layout);
  } catch (error) {
    await pool.close();
    throw error;
  }
  const inputName = pool.card.inputs[0]?.name ?? 'images';
  const outputName = pool.card.outputs[0]?.name ?? 'output0';
  const detector: Detector = {
    async run(input, dims) {
      // The frame's tensor moves to the inference thread and back (no copy either way); the core recycles it.
      const { outputs, inputs } = await pool.runTransfer({ [inputName]: float32Tensor(input, dims) });
      const t = outputs[outputName];
      if (t === undefined || !(t.data instanceof Float32Array)) {
        throw new DetectorOutputShapeError(`model ${pool.card.name}: output "${outputName}" missing or not float32`, { model: pool.card.name });
      }
      const back = inputs[inputName]?.data;
      return { dims: t.dims, data: t.data, ...(back instanceof Float32Array ? { input: back } : {}) };
    },
  };
  return { detector, spec, close: () => pool.close() };
}
