// Gradient saliency (Simonyan et al.; METHODS.md §3.2): `max_c |∂Φ_target/∂x_c|` with the ordinary backward pass.
import { backpropMethod } from './backpropSaliency';

export const gradientMethod = backpropMethod('gradient', 'normal');
