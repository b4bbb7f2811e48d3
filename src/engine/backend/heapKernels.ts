// heapKernels.wat bound to the wasm backend's memory: SIMD loops over tensors where they live, without copies.
// A JavaScript loop over the same heap views was 2–9 ms per million values (branch mispredictions on ReLU zeros);
// the SIMD kernel is memory-bound.
import KERNEL_BYTES from './heapKernels.wat';

interface HeapKernelExports {
  clampMaskGrad(dy: number, y: number, out: number, n: number, lo: number, hi: number): void;
  biasClamp(z: number, bias: number, out: number, pixels: number, channels: number, lo: number, hi: number): void;
  convBackpropInputFewChannels(dy: number, filter: number, out: number, n: number, h: number, w: number, ci: number,
    ho: number, wo: number, co: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number): void;
  depthwiseBackpropInput(dy: number, w: number, out: number, n: number, h: number, wd: number, c: number, ho: number, wo: number,
    rows: number, cols: number, kh: number, kw: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, HeapKernelExports>();

/** The kernels on `memory` (one instance per memory, which keeps its identity as it grows), or null without SIMD. */
export function heapKernels(memory: WebAssembly.Memory): HeapKernelExports | null {
  if (compiled === undefined) compiled = WebAssembly.validate(KERNEL_BYTES) ? new WebAssembly.Module(KERNEL_BYTES) : null;
  if (!compiled) return null;
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(compiled, { tfjs: { memory } }).exports as unknown as HeapKernelExports;
    instances.set(memory, k);
  }
  return k;
}
