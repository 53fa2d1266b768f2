/**
 * Summary of a V8 CPU profile (`node --cpu-prof` writes one .cpuprofile per process at exit): self
 * time per function, the heaviest first. Pure: takes the parsed JSON.
 */

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  /** Monotonic µs of the first and last sample. */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly samples?: readonly number[];
  /** µs between consecutive samples; timeDeltas[i] belongs to samples[i]. */
  readonly timeDeltas?: readonly number[];
}

export interface HotFunction {
  /** `functionName (file:line)`, or `(idle)`, `(garbage collector)`, `(program)` for V8's own nodes. */
  readonly name: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) sampled time. */
  readonly fraction: number;
}

/** Where a URL lives, short: the package-relative path for workspace files, the package for node_modules. */
export function shortLocation(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? path);
  }
  const m = /\/((?:shared|services|bench)\/.*)$/.exec(path);
  return m?.[1] ?? path.split('/').slice(-2).join('/');
}

/**
 * Self time per function over the samples whose time (µs after the profile's startTime) lies in
 * `window` (default: all), heaviest first.
 */
export function hotFunctions(profile: CpuProfile, top: number, window?: { readonly fromUs: number; readonly toUs: number }): { readonly totalMs: number; readonly busyMs: number; readonly functions: readonly HotFunction[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let atUs = 0;
  for (let i = 0; i < samples.length; i++) {
    atUs += deltas[i] ?? 0;
    if (window !== undefined && (atUs < window.fromUs || atUs > window.toUs)) continue;
    const node = byId.get(samples[i] ?? -1);
    // A sample's time is the gap to the next sample (V8 records the delta before each sample).
    const us = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
    totalUs += us;
    if (node === undefined) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') idleUs += us;
    const where = shortLocation(f.url);
    const name = where === '' ? f.functionName || '(anonymous)' : `${f.functionName || '(anonymous)'} (${where}:${String(f.lineNumber + 1)})`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
  }
  const functions = [...selfUs.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, fraction: totalUs - idleUs <= 0 ? 0 : us / (totalUs - idleUs) }));
  return { totalMs: totalUs / 1000, busyMs: (totalUs - idleUs) / 1000, functions };
}
