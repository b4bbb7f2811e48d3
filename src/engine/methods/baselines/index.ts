// The TorchRay-style attribution baselines (METHODS.md §3), for the engine's method registry.
//
// Maps returned (all row-major, at the model's input resolution unless stated):
//   gradient, guided, deconvnet   `<name>`: max_c |dx| at the input
//   gradcam, linear               `<name>`: bilinear upsampling of the layer map; `<name>_raw`: the map at the
//                                 layer's own resolution (e.g. 7×7), as TorchRay returns it
//   rise                          `rise`: Σ_i sigmoid(Φ_t(x ⊙ M_i)) M_i / N
//   occlusion                     `occlusion`: clean logit − mean occluded logit
// `scores.original` is the target's logit on the unmodified input.
import type { AttributionMethod } from '../attributionMethod';
import { deconvnetMethod } from './deconvnet';
import { gradCamMethod } from './gradCam';
import { gradientMethod } from './gradient';
import { guidedBackpropMethod } from './guidedBackprop';
import { linearApproximationMethod } from './linearApproximation';
import { occlusionMethod } from './occlusion';
import { riseMethod } from './rise';

export { deconvnetMethod, gradCamMethod, gradientMethod, guidedBackpropMethod, linearApproximationMethod, occlusionMethod, riseMethod };

export const baselineMethods: AttributionMethod<any>[] = [
  gradientMethod, guidedBackpropMethod, deconvnetMethod, gradCamMethod, linearApproximationMethod, riseMethod, occlusionMethod,
];
