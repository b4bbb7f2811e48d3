// Which layers similarity overlays can use (any layer with a spatial H×W×D output) and the default one: the
// deepest layer with a grid of 14×14 to 28×28, like the reference's GoogLeNet mixed4d (14×14, METHODS.md §6.1),
// preferring an activation (ReLU) output so that cosines compare what the next layer actually receives.
import { EngineError } from '../errors';
import type { LayerInfo, ModelInfo } from '../model/modelTypes';
import { spatialLayers } from '../methods/baselines/spatialLayer';

export const DEFAULT_GRID_RANGE: readonly [number, number] = [14, 28];

const isActivation = (l: LayerInfo) => /relu|activation|elu|swish|gelu|sigmoid|tanh/i.test(l.type) || /relu$/i.test(l.name);

/** Layers with a spatial output, in model order. */
export function similarityLayerChoices(info: ModelInfo): LayerInfo[] {
  return spatialLayers(info);
}

export function defaultSimilarityLayer(info: ModelInfo): string {
  const layers = similarityLayerChoices(info);
  if (!layers.length) throw new EngineError('MODEL_UNSUPPORTED', `${info.name}: no layer with a spatial (H×W×C) output to compare cells of.`);
  const [lo, hi] = DEFAULT_GRID_RANGE;
  const inRange = layers.filter((l) => Math.min(l.outputShape[0], l.outputShape[1]) >= lo && Math.max(l.outputShape[0], l.outputShape[1]) <= hi);
  const pick = (ls: LayerInfo[]) => ls.filter(isActivation).at(-1) ?? ls.at(-1);
  const inside = pick(inRange);
  if (inside) return inside.name;
  // No grid in range (small inputs, unusual strides): the spatial layer whose grid is closest to the range.
  const distance = (l: LayerInfo) => { const n = Math.sqrt(l.outputShape[0] * l.outputShape[1]); return n < lo ? lo / n : n / hi; };
  const best = Math.min(...layers.map(distance));
  return pick(layers.filter((l) => distance(l) === best))!.name;
}

/** The requested layers (default: one, the default layer), each checked to be a spatial layer of the model. */
export function resolveSimilarityLayers(info: ModelInfo, requested: readonly string[] | undefined): LayerInfo[] {
  const valid = similarityLayerChoices(info);
  const names = requested?.length ? requested : [defaultSimilarityLayer(info)];
  if (new Set(names).size !== names.length) throw new EngineError('BAD_ARGUMENT', `similarity: a layer is listed twice (${names.join(', ')}).`);
  return names.map((name) => {
    const l = valid.find((v) => v.name === name);
    if (l) return l;
    const known = info.layers.find((v) => v.name === name);
    const why = known ? `has output shape [${known.outputShape.join(', ')}], not a spatial H×W×C map` : 'is not a layer of this model';
    throw new EngineError('BAD_ARGUMENT', `similarity: layer '${name}' ${why}. Spatial layers: ${valid.map((v) => v.name).join(', ')}.`);
  });
}
