// The perturbation pyramid's interpolation and gradient (METHODS.md §1.3) on the WebAssembly kernel
// pyramidKernel.wat: this side keeps the levels in the kernel's memory and copies masks, images and gradients in
// and out. Same numbers as HostPyramid's JavaScript loops (test/unit/maskSideIdentity.test.ts).
import KERNEL_BYTES from './pyramidKernel.wat';

interface KernelExports {
  memory: WebAssembly.Memory;
  apply(y: number, pixels: number, channels: number, top: number, mask: number, count: number, invert: number, out: number): void;
  backward(y: number, pixels: number, channels: number, top: number, mask: number, count: number, invert: number, dy: number,
    scale: number, grad: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly is unavailable (HostPyramid's loops are used then). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = typeof WebAssembly === 'object' && WebAssembly.validate(KERNEL_BYTES) ? new WebAssembly.Module(KERNEL_BYTES) : null;
  return compiled;
}

export class PyramidKernel {
  private readonly exports: KernelExports;
  /** Masks the buffers after the levels hold (grown on demand). */
  private capacity = 0;
  private maskAt = 0;
  private imagesAt = 0;
  private gradAt = 0;

  /** null where WebAssembly is unavailable. */
  static create(levels: Float32Array, pixels: number, channels: number): PyramidKernel | null {
    const module = kernelModule();
    return module ? new PyramidKernel(module, levels, pixels, channels) : null;
  }

  private constructor(module: WebAssembly.Module, levels: Float32Array, private readonly pixels: number, private readonly channels: number) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    this.reserve(levels.byteLength, 0);
    new Float32Array(this.exports.memory.buffer).set(levels);
  }

  /** Memory for the levels and buffers for `count` masks (their images and gradients) after them. */
  private reserve(levelBytes: number, count: number): void {
    const per = this.pixels * 4;
    const maskAt = Math.ceil(levelBytes / 8) * 8;
    const imagesAt = maskAt + count * per;
    const gradAt = Math.ceil((imagesAt + count * per * this.channels) / 8) * 8;
    const memory = this.exports.memory;
    const pages = Math.ceil((gradAt + count * per * 2) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    this.capacity = count;
    this.maskAt = maskAt;
    this.imagesAt = imagesAt;
    this.gradAt = gradAt;
  }

  private load(mask: Float32Array, count: number): void {
    if (count > this.capacity) this.reserve(this.maskAt, count);
    new Float32Array(this.exports.memory.buffer, this.maskAt, count * this.pixels).set(mask.subarray(0, count * this.pixels));
  }

  /** HostPyramid.apply. */
  apply(top: number, mask: Float32Array, count: number, invert: boolean, out: Float32Array, first: number): void {
    this.load(mask, count);
    const size = count * this.pixels * this.channels;
    this.exports.apply(0, this.pixels, this.channels, top, this.maskAt, count, invert ? 1 : 0, this.imagesAt);
    out.set(new Float32Array(this.exports.memory.buffer, this.imagesAt, size), first * this.pixels * this.channels);
  }

  /** HostPyramid.backward. */
  backward(top: number, dy: Float32Array, first: number, mask: Float32Array, count: number, invert: boolean, sign: number, grad: Float64Array): void {
    this.load(mask, count);
    const buffer = this.exports.memory.buffer;
    const size = count * this.pixels * this.channels;
    const start = first * this.pixels * this.channels;
    new Float32Array(buffer, this.imagesAt, size).set(dy.subarray(start, start + size));
    const g = new Float64Array(buffer, this.gradAt, count * this.pixels);
    g.set(grad.subarray(0, count * this.pixels));
    this.exports.backward(0, this.pixels, this.channels, top, this.maskAt, count, invert ? 1 : 0, this.imagesAt, sign * top, this.gradAt);
    grad.set(g);
  }
}
