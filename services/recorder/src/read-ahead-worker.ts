/**
 * The recording reader's thread (see read-ahead.ts): opens the recording once, then for each requested
 * range reads, decompresses and splits chunks and posts their messages, a few batches ahead of what
 * the replay has consumed (credit-based: one credit per batch).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Recording, type RecordedMessage } from './reader.js';
import type { ReadAheadReply, ReadAheadRequest } from './read-ahead.js';
import { packBatch } from './pack-batch.js';

const port = parentPort;
if (port === null) throw new Error('read-ahead-worker must run in a worker thread');
const files = (workerData as { files: string[] }).files;

const post = (reply: ReadAheadReply, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(reply, transfer);
};

let recording: Recording | undefined;
let active: { id: number; it: AsyncGenerator<RecordedMessage[]>; credit: number; pumping: boolean } | undefined;

const pump = async (): Promise<void> => {
  const a = active;
  if (a === undefined || a.pumping) return;
  a.pumping = true;
  try {
    while (active === a && a.credit > 0) {
      const step = await a.it.next();
      if (active !== a) break;
      if (step.done === true) {
        post({ kind: 'end', id: a.id });
        active = undefined;
        break;
      }
      a.credit -= 1;
      const { messages, buffer } = packBatch(step.value);
      post({ kind: 'batch', id: a.id, messages }, [buffer]);
    }
  } catch (e: unknown) {
    post({ kind: 'error', id: a.id, name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
    if (active === a) active = undefined;
  } finally {
    a.pumping = false;
  }
};

port.on('message', (req: ReadAheadRequest) => {
  void (async () => {
    switch (req.kind) {
      case 'range': {
        const old = active;
        active = undefined;
        await old?.it.return(undefined).catch(() => undefined);
        recording ??= await Recording.open(files);
        active = { id: req.id, it: recording.batches(req.options), credit: req.credit, pumping: false };
        break;
      }
      case 'credit':
        if (active?.id === req.id) active.credit += req.credit;
        break;
      case 'close': {
        const old = active;
        active = undefined;
        await old?.it.return(undefined).catch(() => undefined);
        await recording?.close();
        post({ kind: 'closed', id: req.id });
        return;
      }
    }
    await pump();
  })().catch((e: unknown) => {
    post({ kind: 'error', id: req.id, name: 'Error', message: e instanceof Error ? e.message : String(e) });
  });
});
post({ kind: 'ready', id: 0 });
