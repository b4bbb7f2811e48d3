// Registers the methods that exist in this build (imported for its side effect by the engine).
import { registerMethods } from './registry';

registerMethods([]);
