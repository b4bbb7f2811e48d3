// Registers the methods that exist in this build (imported for its side effect by the engine).
import { baselineMethods } from './baselines';
import { meaningfulMethod } from './meaningful/meaningful';
import { registerMethods } from './registry';

registerMethods([...baselineMethods, meaningfulMethod]);
