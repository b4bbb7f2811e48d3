// A validation image with the segmentation probe's masks drawn over it (no DOM: tested in Node): the predicted mask
// (M > 0.5) as a translucent fill, the true mask L_c as its outline, both scaled from the label size to the picture
// by nearest neighbour. Fixed colours, not theme colours: they are drawn over photographs.

export const PREDICTED_RGB = [255, 40, 200] as const;
export const TRUTH_RGB = [0, 255, 90] as const;
const FILL = 0.5;

/** 1 where the mask is on and a 4-neighbour is off or outside: the outline of each region. */
export function outline(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      const off = (xx: number, yy: number) => xx < 0 || yy < 0 || xx >= w || yy >= h || !mask[yy * w + xx];
      if (off(x - 1, y) || off(x + 1, y) || off(x, y - 1) || off(x, y + 1)) out[i] = 1;
    }
  }
  return out;
}

/**
 * `rgba` (width×height, the picture, or grey when it could not be loaded) with `predicted` filled and `truth`
 * outlined; both masks are maskW×maskH. Returns a new buffer.
 */
export function overlayMasks(rgba: Uint8ClampedArray, width: number, height: number, predicted: Uint8Array, truth: Uint8Array, maskW: number, maskH: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rgba);
  // The outline is traced at the picture's resolution so it stays one pixel wide however much the mask is scaled.
  const truthUp = new Uint8Array(width * height);
  const predUp = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const my = Math.min(maskH - 1, Math.floor((y * maskH) / height));
    for (let x = 0; x < width; x++) {
      const m = my * maskW + Math.min(maskW - 1, Math.floor((x * maskW) / width));
      truthUp[y * width + x] = truth[m];
      predUp[y * width + x] = predicted[m];
    }
  }
  const edge = outline(truthUp, width, height);
  for (let i = 0; i < width * height; i++) {
    const j = i * 4;
    if (predUp[i]) for (let c = 0; c < 3; c++) out[j + c] = out[j + c] * (1 - FILL) + PREDICTED_RGB[c] * FILL;
    if (edge[i]) for (let c = 0; c < 3; c++) out[j + c] = TRUTH_RGB[c];
    out[j + 3] = 255;
  }
  return out;
}
