// `cli world`: writes the synthetic image world (the demo model's world) to disk, in Broden format for concept
// probing and as a PASCAL VOC folder for the pointing game — data for trying every job without downloading anything.
import * as path from 'node:path';
import { writeBroden } from '../engine/datasets/brodenWriter';
import { generateWorld } from '../engine/datasets/syntheticWorld';
import { writeVoc } from '../engine/datasets/vocWriter';
import { positiveInt, UsageError, type Flags } from './args';

export async function world(f: Flags): Promise<void> {
  if (!f.out) throw new UsageError('world needs --out DIR');
  const count = positiveInt('count', f.count, 200);
  const seed = f.seed === undefined ? 3001 : Number(f.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer (got '${f.seed}')`);
  const size = positiveInt('size', f.size, 64);
  const out = path.resolve(f.out as string);
  const samples = generateWorld(seed, count, { size });
  const broden = await writeBroden(path.join(out, 'broden'), samples);
  const voc = await writeVoc(path.join(out, 'voc'), samples);
  process.stdout.write(`wrote ${count} images (seed ${seed}, ${size}×${size}):\n` +
    `  ${broden.directory}  Broden format, ${broden.labels} labels (train ${broden.train}, val ${broden.val})\n` +
    `  ${voc.directory}  VOC format: JPEGImages/ (PNG files) + Annotations/\n`);
}
