// Deconvnet (Zeiler & Fergus; METHODS.md §3.4): every ReLU passes `max(dy, 0)` whatever its forward input;
// saliency `max_c |dx|` at the input.
import { backpropMethod } from './backpropSaliency';

export const deconvnetMethod = backpropMethod('deconvnet', 'deconvnet');
