import { runService, type ServiceOutcome, type StateChange } from '@sensorfuse/runtime';
import type { ServiceTelemetry } from '@sensorfuse/telemetry';
import type { Bus } from '@sensorfuse/transport';
import type { Worker } from './worker.js';

export interface RunWorkerOptions {
  readonly worker: Worker;
  /** Closed after the worker drained (flushes pending commits, leaves the group). */
  readonly bus: Bus;
  /** Readiness is registered on its server; it is shut down last. */
  readonly telemetry?: Pick<ServiceTelemetry, 'server' | 'shutdown' | 'logger'>;
  /** Runs before the worker subscribes (e.g. ensureTopics). */
  readonly beforeStart?: () => Promise<void>;
  readonly graceMs: number;
  /** Shutdown from a host process or a test (in addition to SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  readonly exit?: 'set-exit-code' | 'exit-process' | 'none';
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * The life cycle of a worker service (runtime's runService): start → running (readiness true) →
 * on SIGINT/SIGTERM, abort or a fatal loop error: drain the worker (finish the record in work,
 * commit, hand the rest back), close the bus, shut telemetry down → stopped or failed.
 */
export function runWorker(options: RunWorkerOptions): Promise<ServiceOutcome> {
  const { worker, bus, telemetry } = options;
  const removeCheck = telemetry?.server?.addReadinessCheck('worker', () => worker.isReady());
  // Holds the event loop open while running: on MemoryBus (and with the probe server unref'd)
  // nothing else would, and Node would exit in the middle of `running` without draining.
  let keepAlive: NodeJS.Timeout | undefined;
  return runService({
    name: worker.name,
    graceMs: options.graceMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.signals === undefined ? {} : { signals: options.signals }),
    exit: options.exit ?? 'set-exit-code',
    start: async (context) => {
      keepAlive = setInterval(() => undefined, 1 << 30);
      await options.beforeStart?.();
      if (context.signal.aborted) return;
      worker.start((error) => {
        context.fail(error);
      });
    },
    drain: async () => {
      try {
        await worker.drain();
      } finally {
        clearInterval(keepAlive);
        removeCheck?.();
        await bus.close();
        await telemetry?.shutdown();
      }
    },
    onStateChange: (change: StateChange) => {
      telemetry?.logger.info({ service: change.service, from: change.from, to: change.to, reason: change.reason?.kind }, 'state');
    },
  });
}
