// The job folder's activation file: raw float32 NHWC rows, one per dataset image at its dataset index, in the
// activation cache's format (so ActivationStore reads it). Shards write disjoint rows of the same file — on a
// cluster it lives on the shared filesystem — and the later phases read all of it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { EngineError } from '../errors';
import { ActivationStore, modelHash, type ActivationMeta } from '../probing/activationStore';
import type { Preprocessing } from '../model/modelTypes';
import { jobFiles } from './probeJobSpec';

/** Metadata of the activations a job computes; the key covers every input the values depend on. */
export function activationMeta(
  modelPath: string, layer: string, datasetKey: string, preprocessing: Preprocessing, shape: { n: number; h: number; w: number; k: number },
): ActivationMeta {
  const model = modelHash(modelPath);
  const { n, h, w, k } = shape;
  const key = createHash('sha256').update(JSON.stringify(['job', 1, model, layer, datasetKey, preprocessing, n, h, w, k])).digest('hex').slice(0, 32);
  return { version: 1, key, model, layer, dataset: datasetKey, preprocessing, n, h, w, k };
}

/** Rows writer: creates the file (sparse, full size) or reopens it; refuses a folder holding another job's rows. */
export class ActivationRows {
  private fd: number;
  readonly perImage: number;

  constructor(dir: string, readonly meta: ActivationMeta) {
    const files = jobFiles(dir);
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(files.activationsMeta)) checkSameMeta(files.activationsMeta, meta);
    else {
      // Written atomically: several tasks may start at once; they write identical metadata.
      const tmp = `${files.activationsMeta}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(meta));
      fs.renameSync(tmp, files.activationsMeta);
    }
    this.perImage = meta.h * meta.w * meta.k;
    this.fd = fs.openSync(files.activations, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const size = meta.n * this.perImage * 4;
    // Only ever grows it to the full size (tasks racing here all set the same size).
    if (fs.fstatSync(this.fd).size < size) fs.ftruncateSync(this.fd, size);
  }

  /** Writes rows for dataset images `indices` (values: their activations concatenated) and syncs them to disk. */
  write(indices: readonly number[], values: Float32Array): void {
    const bytes = this.perImage * 4;
    indices.forEach((idx, j) => {
      fs.writeSync(this.fd, new Uint8Array(values.buffer, values.byteOffset + j * bytes, bytes), 0, bytes, idx * bytes);
    });
    fs.fdatasyncSync(this.fd);
  }

  read(index: number): Float32Array {
    const out = new Float32Array(this.perImage);
    fs.readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, index * this.perImage * 4);
    return out;
  }

  close(): void { fs.closeSync(this.fd); }
}

function checkSameMeta(file: string, meta: ActivationMeta): void {
  let old: ActivationMeta;
  try { old = JSON.parse(fs.readFileSync(file, 'utf8')) as ActivationMeta; } catch {
    throw new EngineError('INPUT_INVALID', `${file} is unreadable; delete the job folder's activations to start over.`);
  }
  if (old.key !== meta.key)
    throw new EngineError('BAD_ARGUMENT', `${file} holds activations of another model, layer, dataset or preprocessing; use another --out.`);
}

/** Reads the whole job's activations (after the stats phase has been merged). */
export function openJobActivations(dir: string, meta: ActivationMeta): ActivationStore {
  const files = jobFiles(dir);
  if (!fs.existsSync(files.activationsMeta) || !fs.existsSync(files.activations))
    throw new EngineError('BAD_ARGUMENT', `No activations in ${dir}: run the stats phase (probe --phase stats) first.`);
  checkSameMeta(files.activationsMeta, meta);
  if (fs.statSync(files.activations).size !== meta.n * meta.h * meta.w * meta.k * 4)
    throw new EngineError('INPUT_INVALID', `${files.activations} has the wrong size for ${meta.n} images.`);
  return new ActivationStore(files.activations, meta);
}
