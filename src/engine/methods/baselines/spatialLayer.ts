// Which layers Grad-CAM and linear approximation can probe (METHODS.md §3.1, §3.5, §3.6): layers with a spatial
// (rank-3, H×W×D) output, and the default, the last of them before the network pools space away.
import { EngineError } from '../../errors';
import type { LayerInfo, ModelInfo } from '../../model/modelTypes';

const isSpatial = (l: LayerInfo) => l.outputShape.length === 3 && l.outputShape[0] * l.outputShape[1] > 1;
/** Layers after which there is no spatial map any more (the head of the classifier). */
const POOLS_SPACE = /^(Global.*Pool.*|Flatten|Dense)$/;

/** Layers with a spatial output, in model order (excluding the input itself). */
export function spatialLayers(info: ModelInfo): LayerInfo[] {
  return info.layers.filter((l) => isSpatial(l) && l.type !== 'InputLayer');
}

/**
 * The default probe: the last layer with a spatial output before global pooling / flattening (TR uses relu5_3 on
 * VGG16 and layer4 on ResNet50; for MobileNet this is `conv_pw_13_relu`).
 */
export function defaultSpatialLayer(info: ModelInfo): string {
  let last: LayerInfo | null = null;
  for (const l of info.layers) {
    if (POOLS_SPACE.test(l.type) || l.outputShape.length < 3) break;
    if (isSpatial(l) && l.type !== 'InputLayer') last = l;
  }
  if (!last) throw new EngineError('MODEL_UNSUPPORTED', `${info.name}: no layer with a spatial (H×W×C) output before global pooling.`);
  return last.name;
}

/** The layer to probe: `requested` if it is a spatial layer, else a BAD_ARGUMENT error listing the valid names. */
export function resolveSpatialLayer(method: string, info: ModelInfo, requested: string | undefined): string {
  if (requested === undefined) return defaultSpatialLayer(info);
  const valid = spatialLayers(info);
  if (valid.some((l) => l.name === requested)) return requested;
  const known = info.layers.find((l) => l.name === requested);
  const why = known ? `has output shape [${known.outputShape.join(', ')}], not a spatial H×W×C map` : 'is not a layer of this model';
  throw new EngineError('BAD_ARGUMENT', `${method}: layer '${requested}' ${why}. Valid layers: ${valid.map((l) => l.name).join(', ')}.`);
}
