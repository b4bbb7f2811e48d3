// `cli pointing`: the pointing game (METHODS §4) over an annotated image folder, every method explained in the
// engine worker, hits scored here. For extremal perturbation the protocol of §1.12 is used: one mask per area, the
// masks smoothed and summed into one saliency map.
import * as path from 'node:path';
import type { EngineHost } from '../engine/host/engineHost';
import { runPointingGame, writePointingResults, pointingCsv } from '../engine/benchmarks/pointingRunner';
import type { SaliencyMap } from '../engine/benchmarks/pointingGame';
import { pointingShard } from '../engine/jobs/pointingJob';
import { shardOption } from '../engine/jobs/shard';
import { explainSettings } from './explainCommand';
import { modelSpec, positiveInt, UsageError, type Flags } from './args';

/** §1.12: VOC 2007 areas; COCO uses [0.018, 0.025, 0.05, 0.1]. */
const VOC_AREAS = [0.025, 0.05, 0.1, 0.2];
const COCO_AREAS = [0.018, 0.025, 0.05, 0.1];

export async function pointing(f: Flags, host: EngineHost, signal: AbortSignal): Promise<void> {
  for (const k of ['images', 'annotations', 'class-map', 'methods']) if (!f[k]) throw new UsageError(`pointing needs --${k}`);
  if (!f.out) throw new UsageError('pointing needs --out DIR');
  const spec = modelSpec(f);
  const methods = (f.methods as string).split(',').map((m) => m.trim()).filter(Boolean);
  const annotations = path.resolve(f.annotations as string);
  const coco = annotations.toLowerCase().endsWith('.json');
  const { model } = await host.request({ type: 'loadModel', model: spec }, { signal });
  const explain = async (imagePath: string, target: number, method: string): Promise<SaliencyMap> => {
    const settings = explainSettings(f, method);
    if (method === 'extremal') Object.assign(settings, { areas: settings.areas ?? (coco ? COCO_AREAS : VOC_AREAS), smooth: 0.09 });
    const r = await host.request({ type: 'explain', model: spec, image: { kind: 'file', path: imagePath }, method: method as any, target, settings }, { signal });
    const maps = r.maps.filter((m) => m.width === r.image.width && m.height === r.image.height && !m.name.endsWith('_raw'));
    if (!maps.length) throw new Error(`${method} returned no map at the input resolution`);
    // Several maps at full resolution (one per extremal area): their sum is the saliency (§1.12).
    const data = new Float32Array(maps[0].data.length);
    for (const m of method === 'extremal' ? maps : maps.slice(0, 1)) for (let i = 0; i < data.length; i++) data[i] += m.data[i];
    return { width: maps[0].width, height: maps[0].height, data };
  };
  const classScores = async (imagePath: string) =>
    (await host.request({ type: 'predict', model: spec, image: { kind: 'file', path: imagePath }, top: 1 }, { signal })).logits;
  // --shard I/N / --resume (issue #9): this task's images only, one JSON line each under OUT/parts; `merge` combines.
  const shard = shardOption(f.shard as string | undefined, !!f.resume);
  const job = shard && pointingShard(path.join(path.resolve(f.out as string), 'parts'), shard, !!f.resume, {
    model: spec, methods, explain: Object.fromEntries(methods.map((m) => [m, explainSettings(f, m)])),
    images: path.resolve(f.images as string), annotations, classMap: path.resolve(f['class-map'] as string),
    limit: f.limit ?? null, tolerance: f.tolerance ?? null, difficult: f.difficult ?? null, imageSet: f['image-set'] ?? null,
  });
  let last = 0;
  const result = await runPointingGame({
    images: path.resolve(f.images as string), annotations, classMap: path.resolve(f['class-map'] as string), methods,
    out: job ? undefined : path.resolve(f.out as string), numClasses: model.numClasses, classScores, shard: job?.hook,
    difficultList: f.difficult ? path.resolve(f.difficult as string) : undefined,
    imageSet: f['image-set'] ? path.resolve(f['image-set'] as string) : undefined,
    limit: f.limit !== undefined ? positiveInt('limit', f.limit, 1) : undefined,
    tolerance: f.tolerance !== undefined ? Number(f.tolerance) : undefined,
    isCancelled: () => signal.aborted,
    onProgress: (p) => {
      if (Date.now() - last < 2000 && p.done < p.total) return;
      last = Date.now();
      process.stderr.write(`  pointing ${p.done}/${p.total} ${path.basename(p.image)}\n`);
    },
  }, explain).finally(() => job?.writer()?.close());
  if (job) {
    const w = job.writer()!;
    process.stdout.write(`shard ${shard.index}/${shard.count}: ${result.images} images done (${w.done.size} recorded) in ${w.file}\n`);
    return;
  }
  await writePointingResults(result, path.resolve(f.out as string));
  process.stdout.write(pointingCsv(result));
  process.stdout.write(`wrote ${path.join(f.out as string, 'pointing.json')} and pointing.csv (${result.pairs.all} pairs, ${result.images} images)\n`);
}
