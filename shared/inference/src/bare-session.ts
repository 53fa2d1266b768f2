import type * as Ort from 'onnxruntime-node';
import { ModelLoadError, ModelNotFoundError } from './errors.js';
import type { GraphOptimizationLevel } from './pool.js';
import type { TensorData, TensorMap } from './tensor.js';
import { stat } from 'node:fs/promises';

/** A session on the calling thread, with no card and no validation: the baseline for benchmarks. */
export interface BareSession {
  run(feeds: TensorMap): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/**
 * Open an onnxruntime session on the calling thread. It blocks that thread for the duration of
 * every run, so services use InferencePool, except for models small enough that a pool round trip
 * costs more than the run (shared/audio's calling-thread runners); also baselines and offline tools.
 * onnxruntime-node is loaded lazily so importing this package does not load the native library.
 */
export async function openBareSession(
  modelPath: string,
  options: { readonly intraOpThreads?: number; readonly graphOptimizationLevel?: GraphOptimizationLevel } = {},
): Promise<BareSession> {
  try {
    await stat(modelPath);
  } catch (error) {
    throw new ModelNotFoundError(modelPath, 'model', error);
  }
  const ort: typeof Ort = await import('onnxruntime-node');
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
  } catch (error) {
    throw new ModelLoadError(modelPath, error instanceof Error ? error.message : String(error));
  }
  return {
    async run(feeds) {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, [...t.dims]);
      const out = await session.run(ortFeeds);
      const result: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(out)) {
        result[name] = { type: t.type as TensorData['type'], dims: [...t.dims], data: t.data as TensorData['data'] };
      }
      return result;
    },
    release: () => session.release(),
  };
}
