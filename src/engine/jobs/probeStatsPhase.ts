// Probe job, first map (issue #9): a task extracts the layer's activations of the images it owns into the job's
// shared activation file (one JSON line per image once its row is on disk), then keeps the top values per filter
// of all its rows: per-shard statistics that merge exactly into the dataset-wide thresholds (METHODS.md §5.2,
// filterThresholds.ts). A resumed task skips the images already written and rereads their rows for the statistics.
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, EngineError } from '../errors';
import { decodeImage } from '../image/decodeImage';
import { imageToInput } from '../image/preprocess';
import type { EngineModel, Preprocessing } from '../model/modelTypes';
import { layerShape } from '../probing/activationStore';
import { TopValues, type TopValuesJson } from '../probing/filterThresholds';
import type { ProbeDataset } from '../probing/probeDataset';
import { fingerprintOf, PartWriter } from './partFile';
import { jobFiles, type ProbeJobSpec } from './probeJobSpec';
import { ActivationRows, activationMeta } from './sharedActivations';
import { ownsId } from './shard';

export interface StatsSummary { top: TopValuesJson; seconds: number; computed: number }

export interface StatsPhaseInput {
  model: EngineModel;
  modelPath: string;
  preprocessing: Preprocessing;
  dataset: ProbeDataset;
  layer: string;
  quantile: number;
  batchSize: number;
  isCancelled: () => boolean;
  progress: (done: number, total: number) => void;
}

/** The stats phase's params, shared by its shards and checked by the thresholds merge and the concepts phase. */
export const statsParams = (key: string, layer: string, quantile: number, n: number) => ({ key, layer, quantile, n });

export async function runStatsPhase(job: ProbeJobSpec, o: StatsPhaseInput): Promise<StatsSummary> {
  const [h, w, k] = layerShape(o.model, o.layer);
  const images = o.dataset.images;
  const n = images.length;
  if (!n) throw new EngineError('INPUT_INVALID', `The dataset ${o.dataset.root} has no images.`);
  const meta = activationMeta(o.modelPath, o.layer, o.dataset.key, o.preprocessing, { n, h, w, k });
  const mine = images.map((im, i) => (ownsId(job.shard, im.id) ? i : -1)).filter((i) => i >= 0);
  const params = statsParams(meta.key, o.layer, o.quantile, n);
  const part = PartWriter.open(jobFiles(job.dir).parts, {
    job: 'probe-stats', shard: job.shard, ids: mine.map((i) => images[i].id), total: n, fingerprint: fingerprintOf(params), params,
  }, job.resume);
  const rows = new ActivationRows(job.dir, meta);
  const t0 = performance.now();
  const todo = mine.filter((i) => !part.done.has(images[i].id));
  try {
    for (let b = 0; b < todo.length; b += o.batchSize) {
      if (o.isCancelled()) throw new CancelledError();
      const batch = todo.slice(b, b + o.batchSize);
      const decoded = await Promise.all(batch.map(async (i) => {
        try { return await decodeImage(images[i].file); } catch (e) {
          throw e instanceof EngineError ? new EngineError(e.code, `Dataset image ${images[i].id}: ${e.message}`) : e;
        }
      }));
      const acts = tf.tidy(() => {
        const x = tf.concat(decoded.map((img) => imageToInput(img, o.preprocessing))) as tf.Tensor4D;
        return o.model.forward(x, [o.layer])[o.layer].reshape([decoded.length, h, w, k]);
      });
      const values = (await acts.data()) as Float32Array;
      acts.dispose();
      rows.write(batch, values);
      // Lines only once the rows are synced: a line means its image's row is on disk.
      for (const i of batch) part.item(images[i].id, { index: i });
      o.progress(mine.length - todo.length + Math.min(todo.length, b + o.batchSize), mine.length);
    }
    // Statistics over all of this shard's rows (resumed ones included): capacity from the whole dataset's size.
    const top = TopValues.forQuantile(k, n * h * w, o.quantile);
    for (const i of mine) top.addInterleaved(rows.read(i));
    const summary: StatsSummary = { top: top.toJSON(), seconds: (performance.now() - t0) / 1000, computed: todo.length };
    // A resumed shard that had already finished keeps its first summary (identical statistics).
    part.finish(summary);
    return summary;
  } finally {
    part.close();
    rows.close();
  }
}
