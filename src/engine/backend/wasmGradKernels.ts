// Gradient kernels the stock wasm backend lacks or gets wrong (ENGINE_NOTES §3), registered as compositions of its
// fast forward (XNNPACK) kernels, or as plain loops where the work is small. Call after `setBackend('wasm')`.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { ACTIVATION_MASK_GRAD, BIAS_CLAMP } from '../model/convInputGrad';
import { heapKernels } from './heapKernels';

type Backend = any; // BackendWasm: its helpers (makeOutput, typedArrayFromHeap, disposeData, incRef) are untyped here.
type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** Runs other wasm kernels directly (not tf ops: the tape must not re-enter) and frees the intermediates. */
class KernelScope {
  private temps: TensorInfo[] = [];
  constructor(private readonly backend: Backend) {}
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm kernel ${name} missing`);
    const out = k.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.temps.push(out);
    return out;
  }
  /** Frees every intermediate except `keep`. */
  finish(keep: TensorInfo): TensorInfo {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }
}

/**
 * Flipped/transposed copies of filters, keyed by the source filter's data id. Without it every backward conv made a
 * new filter, and XNNPACK (whose packed-weight cache is keyed by the filter's id) re-packed the weights every call.
 * Bounded: the oldest entries are freed (a model's weights are far fewer than the bound).
 */
const FILTER_CACHE_SIZE = 256;
/** Derived filters in least-recently-used order, each with the per-source map that refers to it. */
const filterCache = new Map<TensorInfo, { byKind: Map<string, TensorInfo>; kind: string }>();
const filterKinds = new WeakMap<object, Map<string, TensorInfo>>();
function cachedFilter(backend: Backend, filter: TensorInfo, kind: string, make: () => TensorInfo): TensorInfo {
  let byKind = filterKinds.get(filter.dataId);
  if (!byKind) { byKind = new Map(); filterKinds.set(filter.dataId, byKind); }
  const hit = byKind.get(kind);
  if (hit) {
    const e = filterCache.get(hit)!;
    filterCache.delete(hit);
    filterCache.set(hit, e);
    return hit;
  }
  const made = make();
  byKind.set(kind, made);
  filterCache.set(made, { byKind, kind });
  if (filterCache.size > FILTER_CACHE_SIZE) {
    const [oldest, e] = filterCache.entries().next().value!;
    filterCache.delete(oldest);
    e.byKind.delete(e.kind);
    backend.disposeData(oldest.dataId);
  }
  return made;
}


/**
 * Zero-inserts `dy` by the stride, then pads (or crops) it so that a stride-1 VALID correlation with a
 * `kh×kw` (dilated) kernel returns exactly `outH×outW`. ENGINE_NOTES §3.2.
 */
function spreadAndPad(s: KernelScope, dy: TensorInfo, info: Conv2DInfo, outH: number, outW: number): TensorInfo {
  const [n, ho, wo, c] = dy.shape;
  const sh = info.strideHeight, sw = info.strideWidth;
  let t = dy;
  if (sh > 1 || sw > 1) {
    t = s.run('Reshape', { x: dy }, { shape: [n, ho, 1, wo, 1, c] });
    t = s.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    t = s.run('Reshape', { x: t }, { shape: [n, ho * sh, wo * sw, c] });
  }
  const eh = info.effectiveFilterHeight, ew = info.effectiveFilterWidth;
  const pt = eh - 1 - info.padInfo.top, pl = ew - 1 - info.padInfo.left;
  const pb = outH + eh - 1 - ho * sh - pt, pr = outW + ew - 1 - wo * sw - pl;
  if (pt !== 0 || pl !== 0 || pb !== 0 || pr !== 0) {
    if (pt > 0 || pl > 0 || pb > 0 || pr > 0)
      t = s.run('PadV2', { x: t }, {
        paddings: [[0, 0], [Math.max(pt, 0), Math.max(pb, 0)], [Math.max(pl, 0), Math.max(pr, 0)], [0, 0]], constantValue: 0,
      });
    if (pt < 0 || pl < 0 || pb < 0 || pr < 0) {
      const [, h2, w2] = t.shape;
      const top = Math.max(-pt, 0), left = Math.max(-pl, 0);
      t = s.run('Slice', { x: t }, {
        begin: [0, top, left, 0],
        size: [n, h2 - top - Math.max(-pb, 0), w2 - left - Math.max(-pr, 0), c],
      });
    }
  }
  return t;
}

const conv2DBackpropInput = (builtin: KernelConfig['kernelFunc']): KernelConfig => ({
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as any;
    const inputShape = a.inputShape as [number, number, number, number];
    if (a.dataFormat === 'NCHW') return builtin({ inputs, backend, attrs });
    const [kh, kw, ci, co] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as any, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    // Into few channels (the RGB image) the zero-inserted conv wastes most of its work. The stock loop was as fast,
    // yet a fifth of MobileNet's whole backward pass: the same loop on 4 channels at once (SIMD), same bits.
    if (ci < 8) return (ci <= 4 && info.dilationHeight === 1 && info.dilationWidth === 1 && backpropInputFewChannels(backend, dy, filter, info))
      || builtin({ inputs, backend, attrs });
    const s = new KernelScope(backend);
    // flip spatially, swap in/out channels: [kh,kw,co,ci] (made once per filter)
    const f = cachedFilter(backend, filter, 'conv', () => {
      const fs = new KernelScope(backend);
      const flipped = kh * kw > 1 ? fs.run('Reverse', { x: filter }, { dims: [0, 1] }) : filter;
      return fs.finish(fs.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }));
    });
    const t = spreadAndPad(s, dy, info, inputShape[1], inputShape[2]);
    void co;
    const out = s.run('Conv2D', { x: t, filter: f }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 });
    return s.finish(out);
  },
});

const heapOffset = (backend: Backend, t: TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;

/**
 * dx of a convolution into at most 4 channels on heapKernels.wat, in the stock kernel's exact summation order (so
 * every gradient stays bit for bit what it was), 4 channels at a time instead of one.
 */
function backpropInputFewChannels(backend: Backend, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo | null {
  const [kh, kw, ci, co] = filter.shape;
  const kernels = heapKernels(backend.wasm.asm.memory);
  if (!kernels || ci > 4) return null;
  // F[ky][kx][co][4]: the input channels of each tap and output channel side by side, zero-padded to 4 lanes.
  const f = cachedFilter(backend, filter, 'lanes', () => {
    const fs = new KernelScope(backend);
    const t = fs.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] });
    return fs.finish(ci === 4 ? t : fs.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, 0], [0, 4 - ci]], constantValue: 0 }));
  });
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = info;
  const out = backend.makeOutput([n, h, w, ci], 'float32');
  kernels.convBackpropInputFewChannels(heapOffset(backend, dy), heapOffset(backend, f), heapOffset(backend, out), n, h, w, ci, ho, wo, co,
    kh, kw, info.strideHeight, info.strideWidth, kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left);
  return out;
}

/**
 * The depthwise input gradient on heapKernels.wat (multiplier 1, channels a multiple of 4: every MobileNet layer),
 * bit for bit the composition below and about as fast as the forward depthwise conv (MobileNet 0.25, batch 3: 2.7 ms
 * for all 13 layers; the composition's pads and zero insertion took 4–15× that); else null.
 */
function depthwiseBackpropInputSimd(backend: Backend, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo | null {
  const [kh, kw, c, m] = filter.shape;
  const kernels = heapKernels(backend.wasm.asm.memory);
  if (!kernels || m !== 1 || c % 4 !== 0) return null;
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = info;
  const out = backend.makeOutput([n, h, w, c], 'float32');
  const rowLength = 1 + 2 * kh, colLength = 1 + 2 * kw;
  const tables = backend.makeOutput([h * rowLength + w * colLength], 'int32');
  const t = backend.typedArrayFromHeap(tables) as Int32Array;
  const pixelBytes = 4 * c;
  // Input row iy takes dy row r/s from the flipped filter row i where r = iy + pad − (k − 1 − i)·dilation is a
  // multiple of the stride inside dy (ENGINE_NOTES §3.2); likewise columns. Rows are listed per iy, columns per ix.
  const list = (at: number, pos: number, k: number, pad: number, dil: number, stride: number, size: number, dyStep: number, wStep: number) => {
    let count = 0;
    for (let i = 0; i < k; i++) {
      const r = pos + pad - (k - 1 - i) * dil;
      if (r < 0 || r % stride !== 0 || r / stride >= size) continue;
      t[at + 1 + 2 * count] = (r / stride) * dyStep;
      t[at + 2 + 2 * count] = (k - 1 - i) * wStep;
      count++;
    }
    t[at] = count;
  };
  for (let iy = 0; iy < h; iy++) list(iy * rowLength, iy, kh, info.padInfo.top, info.dilationHeight, info.strideHeight, ho, wo * pixelBytes, kw * pixelBytes);
  for (let ix = 0; ix < w; ix++) list(h * rowLength + ix * colLength, ix, kw, info.padInfo.left, info.dilationWidth, info.strideWidth, wo, pixelBytes, pixelBytes);
  const at = heapOffset(backend, tables);
  kernels.depthwiseBackpropInput(heapOffset(backend, dy), heapOffset(backend, filter), heapOffset(backend, out),
    n, h, w, c, ho, wo, at, at + 4 * h * rowLength, kh, kw);
  backend.disposeData(tables.dataId);
  return out;
}

/**
 * The general depthwise input gradient: the zero-inserted, padded dy correlated with the flipped filter on XNNPACK
 * (ENGINE_NOTES §3.2). Exported for the tests that hold the SIMD path to it.
 */
export function composedDepthwiseBackpropInput(backend: Backend, dy: TensorInfo, filter: TensorInfo, inputShape: number[], info: Conv2DInfo): TensorInfo {
  const [kh, kw, c, m] = filter.shape;
  const s = new KernelScope(backend);
  const f = cachedFilter(backend, filter, 'depthwise', () => {
    const fs = new KernelScope(backend);
    const flipped = fs.run('Reverse', { x: filter }, { dims: [0, 1] });
    return fs.finish(fs.run('Reshape', { x: flipped }, { shape: [kh, kw, c * m, 1] }));
  });
  const t = spreadAndPad(s, dy, info, inputShape[1], inputShape[2]);
  let out = s.run('DepthwiseConv2dNative', { x: t, filter: f }, {
    strides: 1, pad: 'valid', dilations: [info.dilationHeight, info.dilationWidth],
  });
  if (m > 1) {
    const r = s.run('Reshape', { x: out }, { shape: [inputShape[0], inputShape[1], inputShape[2], c, m] });
    out = s.run('Sum', { x: r }, { axis: [4], keepDims: false });
  }
  return s.finish(out);
}

const depthwiseBackpropInput: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as any;
    const inputShape = a.inputShape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as any, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
    return depthwiseBackpropInputSimd(backend, dy, filter, info) ?? composedDepthwiseBackpropInput(backend, dy, filter, inputShape, info);
  },
};

const conv2DBackpropFilter: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as any;
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: NCHW is not supported on wasm');
    const filterShape = a.filterShape as [number, number, number, number];
    const [kh, kw, ci, co] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(x.shape as any, filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const s = new KernelScope(backend);
    const [n, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    const sh = info.strideHeight, sw = info.strideWidth;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && info.padInfo.top === 0 && info.padInfo.left === 0) {
      // dW = xᵀ·dy over all positions: one GEMM.
      const xm = s.run('Reshape', { x }, { shape: [1, n * h * w, ci] });
      const dm = s.run('Reshape', { x: dy }, { shape: [1, n * ho * wo, co] });
      const p = s.run('BatchMatMul', { a: xm, b: dm }, { transposeA: true, transposeB: false });
      return s.finish(s.run('Reshape', { x: p }, { shape: filterShape }));
    }
    // Swap batch and channels: a Conv2D over x' = [Ci,H,W,N] with filter dy' = [Ho,Wo,N,Co] dilated by the stride
    // yields [Ci,kh,kw,Co].
    let xt = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const top = info.padInfo.top, left = info.padInfo.left;
    const bottom = kh + (ho - 1) * sh - h - top, right = kw + (wo - 1) * sw - w - left;
    if (top > 0 || left > 0 || bottom > 0 || right > 0)
      xt = s.run('PadV2', { x: xt }, {
        paddings: [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]], constantValue: 0,
      });
    if (bottom < 0 || right < 0 || top < 0 || left < 0) {
      const [c0, h2, w2, n2] = xt.shape;
      const t0 = Math.max(-top, 0), l0 = Math.max(-left, 0);
      xt = s.run('Slice', { x: xt }, { begin: [0, t0, l0, 0], size: [c0, h2 - t0 - Math.max(-bottom, 0), w2 - l0 - Math.max(-right, 0), n2] });
    }
    const ft = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const r = s.run('Conv2D', { x: xt, filter: ft }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] });
    return s.finish(s.run('Transpose', { x: r }, { perm: [1, 2, 0, 3] }));
  },
};

/** Depthwise filter gradients are small (kh·kw·C·m values): a direct loop over the heap is simple and fast enough. */
const depthwiseBackpropFilter: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = b as Backend;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as any;
    const filterShape = a.filterShape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(x.shape as any, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
    const [kh, kw, c, m] = filterShape;
    const [n, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const dv = backend.typedArrayFromHeap(dy) as Float32Array;
    const acc = new Float64Array(kh * kw * c * m);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          const dBase = ((b * ho + oy) * wo + ox) * c * m;
          for (let i = 0; i < kh; i++) {
            const iy = oy * info.strideHeight + i * info.dilationHeight - info.padInfo.top;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < kw; j++) {
              const ix = ox * info.strideWidth + j * info.dilationWidth - info.padInfo.left;
              if (ix < 0 || ix >= w) continue;
              const xBase = ((b * h + iy) * w + ix) * c;
              const fBase = (i * kw + j) * c * m;
              for (let ch = 0; ch < c; ch++) {
                const xval = xv[xBase + ch];
                for (let q = 0; q < m; q++) acc[fBase + ch * m + q] += xval * dv[dBase + ch * m + q];
              }
            }
          }
        }
    const out = backend.makeOutput(filterShape, 'float32');
    (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  },
};

/**
 * The stock wasm MaxPoolGrad starts its running max at +1.2e-38, so windows whose values are all ≤ 0 lose their
 * gradient (ENGINE_NOTES §3.6). Routed like the cpu backend: to the first maximum of each window.
 */
const maxPoolGrad: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = b as Backend;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as any;
    const info = tf.backend_util.computePool2DInfo(input.shape as any, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const [n, h, w, c] = input.shape;
    const xv = backend.typedArrayFromHeap(input) as Float32Array;
    const dv = backend.typedArrayFromHeap(dy) as Float32Array;
    const out = backend.makeOutput(input.shape, 'float32');
    const ov = backend.typedArrayFromHeap(out) as Float32Array;
    ov.fill(0);
    const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
    const dh = info.dilationHeight, dw = info.dilationWidth;
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++)
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity, at = -1;
            for (let i = 0; i < fh; i++) {
              const iy = oy * sh + i * dh - info.padInfo.top;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < fw; j++) {
                const ix = ox * sw + j * dw - info.padInfo.left;
                if (ix < 0 || ix >= w) continue;
                const idx = ((b * h + iy) * w + ix) * c + ch;
                if (xv[idx] > best) { best = xv[idx]; at = idx; }
              }
            }
            if (at >= 0) ov[at] += dv[((b * ho + oy) * wo + ox) * c + ch];
          }
    return out;
  },
};

/**
 * wasm's Identity deep-copies, and the tape clones every saved tensor, so each gradient step copied all activations and
 * gave weights new ids (defeating XNNPACK's packed-weight cache). Tensors are immutable: share the buffer, as cpu does.
 */
const identity: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    (backend as Backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

/** dy·[0 < y < hi] in one SIMD pass over the heap (convInputGrad.ts); tfjs's composition took five passes. */
const activationMaskGrad: KernelConfig = {
  kernelName: ACTIVATION_MASK_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = b as Backend;
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    const hi = (attrs as { hi: number }).hi;
    const out = backend.makeOutput(dy.shape, 'float32');
    const n = tf.util.sizeFromShape(dy.shape);
    const kernels = heapKernels(backend.wasm.asm.memory);
    if (kernels) {
      kernels.clampMaskGrad(heapOffset(backend, dy), heapOffset(backend, y), heapOffset(backend, out), n, 0, hi);
    } else {
      const dv = backend.typedArrayFromHeap(dy) as Float32Array;
      const yv = backend.typedArrayFromHeap(y) as Float32Array;
      const ov = backend.typedArrayFromHeap(out) as Float32Array;
      for (let i = 0; i < n; i++) ov[i] = dv[i] * (Number(yv[i] > 0) * Number(yv[i] < hi));
    }
    return out;
  },
};

/** clamp(z + bias, lo, hi) in one SIMD pass (convInputGrad.ts); the caller ensures channels % 4 = 0. */
const biasClamp: KernelConfig = {
  kernelName: BIAS_CLAMP,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend: b, attrs }) => {
    const backend = b as Backend;
    const { z, bias } = inputs as { z: TensorInfo; bias: TensorInfo };
    const { lo, hi } = attrs as { lo: number; hi: number };
    const channels = z.shape[z.shape.length - 1];
    if (channels % 4 !== 0 || bias.shape.length !== 1) throw new Error(`${BIAS_CLAMP}: unsupported input`);
    const out = backend.makeOutput(z.shape, 'float32');
    const kernels = heapKernels(backend.wasm.asm.memory);
    if (kernels) {
      kernels.biasClamp(heapOffset(backend, z), heapOffset(backend, bias), heapOffset(backend, out), tf.util.sizeFromShape(z.shape) / channels, channels, lo, hi);
    } else {
      // Without SIMD: the same float32 add and clamp.
      const zv = backend.typedArrayFromHeap(z) as Float32Array;
      const bv = backend.typedArrayFromHeap(bias) as Float32Array;
      const ov = backend.typedArrayFromHeap(out) as Float32Array;
      for (let i = 0; i < ov.length; i++) ov[i] = Math.min(Math.max(Math.fround(zv[i] + bv[i % channels]), lo), hi);
    }
    return out;
  },
};

let registered = false;
const stock = new Map<string, KernelConfig['kernelFunc']>();

/** The wasm backend's own kernel that one of ours replaced (for comparisons). */
export function stockWasmKernel(name: string): KernelConfig['kernelFunc'] | undefined {
  return stock.get(name);
}

/** Registers every kernel above for wasm (idempotent). Must run after the wasm backend initialised. */
export function registerWasmGradKernels(): void {
  if (registered) return;
  const builtinBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
  const replace = (k: KernelConfig) => {
    const old = tf.getKernel(k.kernelName, 'wasm');
    if (old) { stock.set(k.kernelName, old.kernelFunc); tf.unregisterKernel(k.kernelName, 'wasm'); }
    tf.registerKernel(k);
  };
  replace(conv2DBackpropInput(builtinBackpropInput));
  replace(depthwiseBackpropInput);
  replace(conv2DBackpropFilter);
  replace(depthwiseBackpropFilter);
  replace(maxPoolGrad);
  replace(identity);
  replace(activationMaskGrad);
  replace(biasClamp);
  registered = true;
}

/**
 * ReLU6's gradient as (x>0)·(x<6): the tfjs default (≤ 6, via a slow broadcasting compare and a cast) differs from
 * PyTorch's hardtanh at x = 6 and is slow on wasm (ENGINE_NOTES §3.4). Backend-independent.
 */
export function registerRelu6Gradient(): void {
  tf.registerGradient({
    kernelName: 'Relu6',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.step(x), tf.step(tf.sub(6, x)))) };
    },
  });
}
