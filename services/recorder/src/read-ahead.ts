import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RecordingFormatError, RecordingIoError } from './errors.js';
import type { ReadOptions, RecordedMessage } from './reader.js';

export type ReadAheadRequest =
  | { readonly kind: 'range'; readonly id: number; readonly options: ReadOptions; readonly credit: number }
  | { readonly kind: 'credit'; readonly id: number; readonly credit: number }
  | { readonly kind: 'close'; readonly id: number };

export type ReadAheadReply =
  | { readonly kind: 'ready'; readonly id: number }
  | { readonly kind: 'batch'; readonly id: number; readonly messages: RecordedMessage[] }
  | { readonly kind: 'end'; readonly id: number }
  | { readonly kind: 'closed'; readonly id: number }
  | { readonly kind: 'error'; readonly id: number; readonly name: string; readonly message: string }
  | { readonly kind: 'load-error'; readonly message: string };

// From source (tsx, --conditions=source) the worker needs tsx registered first; from dist it is plain JS.
const BOOTSTRAP = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((e) => parentPort.postMessage({ kind: 'load-error', message: String((e && e.stack) || e) }));
`;

/** Chunks (batches) read ahead of the replay: a few seconds of a 10 Hz LIDAR recording. */
const READ_AHEAD_BATCHES = 8;

/** A structured-cloned Buffer arrives as a Uint8Array: view it as a Buffer again (no copy). */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function revive(m: RecordedMessage): RecordedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m.headers)) headers[k] = asBuffer(v);
  return { ...m, key: m.key === null ? null : asBuffer(m.key), value: asBuffer(m.value), headers };
}

function typedError(name: string, message: string, files: readonly string[]): Error {
  if (name === 'RecordingIoError') return new RecordingIoError(message, { context: { path: files.join(',') } });
  return new RecordingFormatError(message, { context: { path: files.join(',') } });
}

/**
 * Reads a recording in its own thread: file reads, zstd decompression, CRC checks and the splitting
 * of chunks into messages happen there, up to READ_AHEAD_BATCHES chunks ahead, so the thread that
 * paces the replay only waits and publishes (a 2 MB sweep's decompression no longer delays a due
 * message). Messages arrive in the order `Recording.batches` gives (the same as the inline reader).
 */
export class ReadAheadReader {
  private nextId = 1;
  private readonly queues = new Map<number, { items: (RecordedMessage[] | null | Error)[]; wake: (() => void) | undefined }>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker, private readonly files: readonly string[]) {
    worker.on('message', (reply: ReadAheadReply) => {
      if (reply.kind === 'ready' || reply.kind === 'load-error' || reply.kind === 'closed') return;
      const q = this.queues.get(reply.id);
      if (q === undefined) return;
      if (reply.kind === 'batch') q.items.push(reply.messages.map(revive));
      else if (reply.kind === 'end') q.items.push(null);
      else q.items.push(typedError(reply.name, reply.message, this.files));
      q.wake?.();
    });
    worker.on('error', (e) => { this.fail(e); });
    worker.on('exit', (code) => { if (code !== 0) this.fail(new RecordingIoError(`recording reader thread exited with code ${String(code)}`, { context: { path: files.join(',') } })); });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const q of this.queues.values()) q.wake?.();
  }

  static async open(files: readonly string[]): Promise<ReadAheadReader> {
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSource ? './read-ahead-worker.ts' : './read-ahead-worker.js', import.meta.url).href;
    const tsxApi = fromSource
      ? pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href
      : undefined;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi, files: [...files] }, execArgv: fromSource ? ['--conditions=source'] : [] });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: ReadAheadReply): void => {
        worker.off('message', onMessage);
        if (msg.kind === 'ready') resolve();
        else reject(new RecordingIoError(`recording reader thread failed to start: ${msg.kind === 'load-error' ? msg.message : msg.kind}`, { context: { path: files.join(',') } }));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new ReadAheadReader(worker, files);
  }

  /** The batches of one range (a play, a loop, or after a seek); return() it to abandon the range. */
  async *batches(options: ReadOptions): AsyncGenerator<RecordedMessage[]> {
    const id = this.nextId++;
    const q: { items: (RecordedMessage[] | null | Error)[]; wake: (() => void) | undefined } = { items: [], wake: undefined };
    this.queues.set(id, q);
    this.worker.postMessage({ kind: 'range', id, options, credit: READ_AHEAD_BATCHES } satisfies ReadAheadRequest);
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        const item = q.items.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => { q.wake = resolve; });
          q.wake = undefined;
          continue;
        }
        if (item === null) return;
        if (item instanceof Error) throw item;
        this.worker.postMessage({ kind: 'credit', id, credit: 1 } satisfies ReadAheadRequest);
        yield item;
      }
    } finally {
      this.queues.delete(id);
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      const onMessage = (msg: ReadAheadReply): void => {
        if (msg.kind === 'closed') {
          this.worker.off('message', onMessage);
          resolve();
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () => { resolve(); });
    });
    this.worker.postMessage({ kind: 'close', id: 0 } satisfies ReadAheadRequest);
    await closed;
    await this.worker.terminate();
  }
}
