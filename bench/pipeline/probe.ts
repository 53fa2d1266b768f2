/**
 * Preloaded into every child process of the pipeline benchmark (`--import bench/pipeline/probe.ts`):
 * once a second it sends its CPU time and memory to the parent over the IPC channel, so CPU and
 * memory are attributed per process without touching the service's code. No IPC channel → no-op.
 */
const PERIOD_MS = Number(process.env.BENCH_PROBE_PERIOD_MS ?? 1000);

export interface ProbeSample {
  readonly type: 'probe';
  readonly pid: number;
  /** Wall clock, ms since the epoch. */
  readonly atMs: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
}

if (typeof process.send === 'function') {
  const send = (): void => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const sample: ProbeSample = {
      type: 'probe',
      pid: process.pid,
      atMs: Date.now(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external + memory.arrayBuffers,
    };
    if (process.connected) process.send?.(sample);
  };
  setInterval(send, PERIOD_MS).unref();
  // The parent's IPC channel must not keep a finished child alive.
  process.channel?.unref();
}
