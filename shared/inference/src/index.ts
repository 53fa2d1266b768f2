export { InferencePool } from './pool.js';
export type { InferencePoolOptions, InferencePoolStats, GraphOptimizationLevel, TransferResult } from './pool.js';
export { openBareSession } from './bare-session.js';
export type { BareSession } from './bare-session.js';
export { loadModelCard, parseModelCard, defaultCardPath, validateFeeds } from './model-card.js';
export type { ModelCard, TensorSpec } from './model-card.js';
export { elementCount, float32Tensor, int64Scalar } from './tensor.js';
export type { TensorData, TensorMap, TensorArray, TensorElementType } from './tensor.js';
export {
  ModelError,
  ModelNotFoundError,
  ModelCardError,
  ModelLoadError,
  InputShapeError,
  InferenceRunError,
  PoolSaturatedError,
  PoolClosedError,
} from './errors.js';
