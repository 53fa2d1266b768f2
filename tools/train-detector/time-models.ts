/**
 * Inference time of detector models on the calling thread (the cost the camera worker's pool thread
 * pays per frame): onnxruntime-node, 1 intra-op thread, graph optimisation all, a random input of each
 * model's own card shape, `warmup` runs then `runs` runs, the models alternated run by run in the same
 * process so machine load hits them alike. Prints median and p90 per model, ms.
 *
 *   node --conditions=source --import tsx tools/train-detector/time-models.ts <a.onnx> [b.onnx ...] [--runs=200] [--warmup=20]
 */
import { defaultCardPath, elementCount, float32Tensor, loadModelCard, openBareSession, type BareSession } from '@sensorfuse/inference';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const paths = args.filter((a) => !a.startsWith('--'));
  const option = (name: string, fallback: number): number => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const runs = option('runs', 200);
  const warmup = option('warmup', 20);
  if (paths.length === 0) throw new Error('usage: time-models.ts <a.onnx> [b.onnx ...] [--runs=200] [--warmup=20]');
  const models: { path: string; session: BareSession; feeds: Parameters<BareSession['run']>[0]; times: number[] }[] = [];
  for (const path of paths) {
    const card = await loadModelCard(defaultCardPath(path));
    const input = card.inputs[0];
    if (input === undefined) throw new Error(`${path}: card has no input`);
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : 1)); // a named (dynamic) dim runs at 1
    const data = new Float32Array(elementCount(dims));
    for (let i = 0; i < data.length; i++) data[i] = Math.random();
    const session = await openBareSession(path, { intraOpThreads: 1, graphOptimizationLevel: 'all' });
    models.push({ path: `${path} [${dims.join(',')}]`, session, feeds: { [input.name]: float32Tensor(data, dims) }, times: [] });
  }
  for (let i = 0; i < warmup + runs; i++) {
    for (const m of models) {
      const t0 = process.hrtime.bigint();
      await m.session.run(m.feeds);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warmup) m.times.push(ms);
    }
  }
  for (const m of models) {
    const sorted = [...m.times].sort((a, b) => a - b);
    console.log(`${m.path}: median ${quantile(sorted, 0.5).toFixed(2)} ms, p90 ${quantile(sorted, 0.9).toFixed(2)} ms (${String(runs)} runs)`);
    await m.session.release();
  }
}

await main();
