// `cli similarity`: activations of one layer for the images (engine worker), then the cosine similarity of the
// probe cell to every cell of every image (METHODS.md §6.1) with the row-major kernel (the panel runs a channel-major
// one on hover, tested equal).
// Writes one PNG overlay per image (grey, nearest-neighbour cells, opacity 0.7, probe cell yellow) and similarity.json:
// {"layer", "grid": [rows, cols], "probe": {"image", "row", "col"}, "maps": [{"image", "values": [row-major raw cosine]}]}.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../engine/host/engineHost';
import { cosineMaps, imageMap } from '../engine/similarity/cosineKernel';
import { similarityOverlayPng } from '../engine/similarity/similarityOverlay';
import { modelSpec, UsageError, type Flags } from './args';

export const SIMILARITY_USAGE = `node dist/cli.js similarity --model PATH [--layer NAME] --images A,B,… --probe IMAGE:ROW,COL --out DIR
      [--labels FILE] [--input-range LO,HI | --mean R,G,B --std R,G,B] [--channels rgb|bgr] [--backend …]
  IMAGE is an index into --images (0-based) or one of its paths / file names; ROW,COL a cell of the layer's grid.
  Without --layer: the deepest activation with a 14×14–28×28 grid.`;

export interface ProbeSpec { image: number; row: number; col: number }

/** `--images A,B,…`: existing image files, in order. */
export function imagesFlag(v: string | boolean | undefined): string[] {
  if (typeof v !== 'string' || !v.trim()) throw new UsageError(`similarity needs --images A,B,… (comma-separated image files)\n${SIMILARITY_USAGE}`);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of list) if (!fs.existsSync(p)) throw new UsageError(`image not found: ${p}`);
  return list;
}

/** `--probe IMAGE:ROW,COL`, IMAGE an index or a path/name among `images` (the last ':' separates, for Windows paths). */
export function probeFlag(v: string | boolean | undefined, images: string[]): ProbeSpec {
  if (typeof v !== 'string') throw new UsageError(`similarity needs --probe IMAGE:ROW,COL\n${SIMILARITY_USAGE}`);
  const colon = v.lastIndexOf(':');
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(colon < 0 ? '' : v.slice(colon + 1));
  if (colon < 1 || !m) throw new UsageError(`--probe is IMAGE:ROW,COL, e.g. 0:7,7 (got '${v}')`);
  const which = v.slice(0, colon);
  let image = /^\d+$/.test(which) ? Number(which) : images.findIndex((p) => p === which || path.resolve(p) === path.resolve(which));
  if (image < 0) {
    const byName = images.flatMap((p, i) => (path.basename(p) === which ? [i] : []));
    if (byName.length > 1) throw new UsageError(`--probe: '${which}' names several of --images; use its index`);
    image = byName[0] ?? -1;
  }
  if (image < 0 || image >= images.length) throw new UsageError(`--probe: image '${which}' is not one of the ${images.length} --images (index 0–${images.length - 1} or a path)`);
  return { image, row: Number(m[1]), col: Number(m[2]) };
}

export async function similarity(f: Flags, host: EngineHost, signal: AbortSignal): Promise<void> {
  if (!f.out) throw new UsageError(`similarity needs --out DIR\n${SIMILARITY_USAGE}`);
  if (f.layer !== undefined && (typeof f.layer !== 'string' || !f.layer.trim() || f.layer.includes(',')))
    throw new UsageError('--layer takes one layer name');
  const images = imagesFlag(f.images);
  const probe = probeFlag(f.probe, images);
  const r = await host.request({
    type: 'similarity', model: modelSpec(f), images: images.map((p) => ({ kind: 'file' as const, path: path.resolve(p) })),
    layers: f.layer ? [f.layer as string] : undefined,
  }, {
    signal,
    onProgress: (p) => process.stderr.write(`  activations ${p.step}/${p.total} images\n`),
  });
  const layer = r.layers[0];
  if (probe.row >= layer.rows || probe.col >= layer.cols)
    throw new UsageError(`--probe cell (${probe.row}, ${probe.col}) is outside ${layer.name}'s ${layer.rows}×${layer.cols} grid (rows and columns 0–${layer.rows - 1}, 0–${layer.cols - 1})`);
  const cells = { images: images.length, rows: layer.rows, cols: layer.cols, channels: layer.channels, vectors: layer.vectors };
  const maps = cosineMaps(cells, probe);

  const out = path.resolve(f.out as string);
  fs.mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const range: [number, number] = layer.nonNegative ? [0, 1] : [-1, 1];
  for (let i = 0; i < images.length; i++) {
    const name = `${i}-${path.basename(images[i]).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_')}.png`;
    const png = await similarityOverlayPng(r.images[i], { rows: layer.rows, cols: layer.cols, values: imageMap(maps, layer, i) },
      { range, probe: i === probe.image ? probe : undefined });
    fs.writeFileSync(path.join(out, name), png);
    written.push(name);
  }
  const json = {
    layer: layer.name, grid: [layer.rows, layer.cols],
    probe: { image: images[probe.image], row: probe.row, col: probe.col },
    maps: images.map((image, i) => ({ image, values: Array.from(imageMap(maps, layer, i)) })),
  };
  fs.writeFileSync(path.join(out, 'similarity.json'), JSON.stringify(json));
  const self = maps[(probe.image * layer.rows + probe.row) * layer.cols + probe.col];
  process.stdout.write(`${layer.name} (${layer.rows}×${layer.cols}×${layer.channels}) for ${images.length} images in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}; ` +
    `probe ${probe.image}:${probe.row},${probe.col} (self-similarity ${self.toFixed(4)})\nwrote ${['similarity.json', ...written].map((x) => path.join(f.out as string, x)).join(', ')}\n`);
}
