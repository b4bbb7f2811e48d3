// Registers the methods that exist in this build (imported for its side effect by the engine).
import { baselineMethods } from './baselines';
import { extremalPerturbation } from './extremal/extremal';
import { meaningfulMethod } from './meaningful/meaningful';
import { registerMethods } from './registry';

registerMethods([extremalPerturbation, meaningfulMethod, ...baselineMethods]);
