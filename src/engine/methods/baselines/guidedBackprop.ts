// Guided backprop (Springenberg et al.; METHODS.md §3.3): every ReLU passes the gradient only where its input is
// ≥ 0 and the incoming gradient is > 0; saliency `max_c |dx|` at the input.
import { backpropMethod } from './backpropSaliency';

export const guidedBackpropMethod = backpropMethod('guided', 'guided');
