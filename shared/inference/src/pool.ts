import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  InferenceRunError,
  InputShapeError,
  ModelLoadError,
  ModelNotFoundError,
  PoolClosedError,
  PoolSaturatedError,
} from './errors.js';
import {
  checkCardAgainstModel,
  defaultCardPath,
  loadModelCard,
  parseModelCard,
  validateFeeds,
  type ModelCard,
  type SessionTensorInfo,
} from './model-card.js';
import type { TensorData, TensorElementType, TensorMap } from './tensor.js';
import { SESSION_WORKER_SOURCE } from './worker-source.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface InferencePoolOptions {
  /** Path of the .onnx file; never downloaded. */
  readonly modelPath: string;
  /** The model card; by default read from `cardPath`. */
  readonly card?: ModelCard;
  /** Path of the model card JSON; default: next to the model (`x.onnx` → `x.card.json`). */
  readonly cardPath?: string;
  /** Worker threads, each with its own session (default 1). */
  readonly workers?: number;
  /** onnxruntime intra-op threads per session (default 1: one core per worker). */
  readonly intraOpThreads?: number;
  /** Graph optimisation level (default 'all'). */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /** Requests allowed to wait for a free worker before `run` rejects with PoolSaturatedError (default 64). */
  readonly maxQueued?: number;
}

export interface InferencePoolStats {
  readonly runs: number;
  readonly failures: number;
  readonly busyWorkers: number;
  readonly queued: number;
}

interface WireTensor {
  readonly name: string;
  readonly type: TensorElementType;
  readonly dims: number[];
  readonly data: TensorData['data'];
}

type WorkerMessage =
  | { readonly kind: 'ready'; readonly inputs: SessionTensorInfo[]; readonly outputs: SessionTensorInfo[] }
  | { readonly kind: 'load-error'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly outputs?: WireTensor[]; readonly inputs?: WireTensor[]; readonly error?: string }
  | { readonly kind: 'closed' };

interface Job {
  readonly id: number;
  readonly feeds: WireTensor[];
  /** The input buffers move to the worker and come back with the result (runTransfer). */
  readonly transfer: boolean;
  readonly resolve: (result: TransferResult) => void;
  readonly reject: (error: Error) => void;
}

/** What runTransfer resolves with: the outputs, and the caller's input tensors handed back. */
export interface TransferResult {
  readonly outputs: Record<string, TensorData>;
  /** The input tensors, same names, dims and values, in buffers that are the caller's again (empty for `run`). */
  readonly inputs: Record<string, TensorData>;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

const requireHere = createRequire(import.meta.url);

/**
 * A pool of onnxruntime sessions, each in its own worker thread, so `run()` never blocks the
 * caller's event loop. Requests are validated against the model card before they leave the
 * caller's thread (a bad shape is an InputShapeError, not a native exception), dispatched to the
 * first idle worker, and queued FIFO up to `maxQueued`.
 */
export class InferencePool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private runs = 0;
  private failures = 0;
  private closedReason: string | undefined;

  private constructor(
    readonly card: ModelCard,
    readonly modelPath: string,
    workers: Worker[],
    private readonly maxQueued: number,
  ) {
    this.slots = workers.map((worker) => ({ worker, job: undefined }));
    for (const slot of this.slots) {
      slot.worker.on('message', (msg: WorkerMessage) => {
        this.onMessage(slot, msg);
      });
      slot.worker.on('error', (error: Error) => {
        this.fail(`worker thread crashed: ${error.message}`);
      });
      slot.worker.on('exit', (code) => {
        if (this.closedReason === undefined) this.fail(`worker thread exited with code ${String(code)}`);
      });
    }
  }

  /** Load the card and the model in every worker; rejects with a typed error naming the path. */
  static async open(options: InferencePoolOptions): Promise<InferencePool> {
    const { modelPath } = options;
    try {
      const s = await stat(modelPath);
      if (!s.isFile()) throw new Error('not a regular file');
    } catch (error) {
      throw new ModelNotFoundError(modelPath, 'model', error);
    }
    const card =
      options.card !== undefined
        ? parseModelCard(options.card)
        : await loadModelCard(options.cardPath ?? defaultCardPath(modelPath));
    const count = Math.max(1, Math.floor(options.workers ?? 1));
    const workerData = {
      modelPath,
      ortPath: requireHere.resolve('onnxruntime-node'),
      intraOpThreads: Math.max(1, Math.floor(options.intraOpThreads ?? 1)),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    };
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const worker = new Worker(SESSION_WORKER_SOURCE, { eval: true, workerData });
        workers.push(worker);
        const ready = await waitReady(worker, modelPath);
        checkCardAgainstModel(card, modelPath, ready);
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new InferencePool(card, modelPath, workers, options.maxQueued ?? 64);
  }

  /** Run one request; inputs are copied to the worker, outputs come back as fresh typed arrays. */
  run(feeds: TensorMap): Promise<Record<string, TensorData>> {
    return this.submit(feeds, false).then((r) => r.outputs);
  }

  /**
   * Run one request without copying its inputs: each input's buffer is transferred to the worker
   * (the caller's typed arrays are detached, length 0, until the result), fed to onnxruntime as it
   * is (no refill of a cached tensor), and transferred back with the outputs in `inputs` — for
   * large inputs a caller recycles (a camera frame's tensor). An input that is a view into a larger
   * buffer is copied once instead. Validation, queueing and errors as `run`; on an error the inputs
   * are not returned.
   */
  runTransfer(feeds: TensorMap): Promise<TransferResult> {
    return this.submit(feeds, true);
  }

  private submit(feeds: TensorMap, transfer: boolean): Promise<TransferResult> {
    if (this.closedReason !== undefined) return Promise.reject(new PoolClosedError(this.card.name, this.closedReason));
    const problem = validateFeeds(this.card, feeds);
    if (problem !== undefined) {
      return Promise.reject(new InputShapeError(problem, { model: this.card.name, path: this.modelPath }));
    }
    const idle = this.slots.find((s) => s.job === undefined);
    if (idle === undefined && this.queue.length >= this.maxQueued) {
      return Promise.reject(new PoolSaturatedError(this.card.name, this.maxQueued));
    }
    // A queued request keeps a copy, so the caller may reuse its buffers as soon as run() returns;
    // a transferred input that shares its buffer with other data is copied so only it moves.
    const whole = (d: TensorData['data']): boolean => d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && !(d.buffer instanceof SharedArrayBuffer);
    const wire: WireTensor[] = Object.entries(feeds).map(([name, t]) => ({
      name,
      type: t.type,
      dims: [...t.dims],
      data: transfer ? (whole(t.data) ? t.data : t.data.slice()) : idle === undefined ? t.data.slice() : t.data,
    }));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, feeds: wire, transfer, resolve, reject };
      if (idle === undefined) this.queue.push(job);
      else this.dispatch(idle, job);
    });
  }

  get stats(): InferencePoolStats {
    return {
      runs: this.runs,
      failures: this.failures,
      busyWorkers: this.slots.filter((s) => s.job !== undefined).length,
      queued: this.queue.length,
    };
  }

  /** Reject queued requests, wait for running ones, release the sessions and stop the threads. */
  async close(): Promise<void> {
    if (this.closedReason !== undefined) return;
    this.closedReason = 'closed by the owner';
    for (const job of this.queue.splice(0)) job.reject(new PoolClosedError(this.card.name, this.closedReason));
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const finish = (): void => {
              void slot.worker.terminate().then(() => {
                resolve();
              });
            };
            const timer = setTimeout(finish, 2000);
            slot.worker.on('message', (msg: WorkerMessage) => {
              if (msg.kind === 'closed') {
                clearTimeout(timer);
                finish();
              }
            });
            slot.worker.postMessage({ kind: 'close' });
          }),
      ),
    );
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    if (job.transfer) slot.worker.postMessage({ kind: 'run', id: job.id, feeds: job.feeds, transfer: true }, job.feeds.map((f) => f.data.buffer as ArrayBuffer));
    else slot.worker.postMessage({ kind: 'run', id: job.id, feeds: job.feeds });
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if (msg.kind !== 'result') return;
    const job = slot.job;
    slot.job = undefined;
    if (job?.id === msg.id) {
      if (msg.error !== undefined || msg.outputs === undefined) {
        this.failures++;
        job.reject(new InferenceRunError(this.card.name, msg.error ?? 'no outputs'));
      } else {
        this.runs++;
        const outputs: Record<string, TensorData> = {};
        for (const o of msg.outputs) outputs[o.name] = { type: o.type, dims: o.dims, data: o.data };
        const inputs: Record<string, TensorData> = {};
        for (const i of msg.inputs ?? []) inputs[i.name] = { type: i.type, dims: i.dims, data: i.data };
        job.resolve({ outputs, inputs });
      }
    }
    const next = this.queue.shift();
    if (next !== undefined) this.dispatch(slot, next);
  }

  private fail(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    const error = new PoolClosedError(this.card.name, reason);
    for (const slot of this.slots) {
      slot.job?.reject(error);
      slot.job = undefined;
      void slot.worker.terminate();
    }
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

function waitReady(
  worker: Worker,
  modelPath: string,
): Promise<{ inputs: SessionTensorInfo[]; outputs: SessionTensorInfo[] }> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: WorkerMessage): void => {
      cleanup();
      if (msg.kind === 'ready') resolve({ inputs: msg.inputs, outputs: msg.outputs });
      else reject(new ModelLoadError(modelPath, msg.kind === 'load-error' ? msg.message : `unexpected ${msg.kind}`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new ModelLoadError(modelPath, error.message));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new ModelLoadError(modelPath, `worker exited with code ${String(code)} while loading`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
