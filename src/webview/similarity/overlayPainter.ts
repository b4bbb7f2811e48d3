// Paints one similarity map into a rows×cols RGBA ImageData through a 256-entry colour table; the canvas is then
// enlarged by CSS with nearest-neighbour sampling (image-rendering: pixelated), so each cell stays a visible square.
// The probe cell is painted yellow in its own image (METHODS.md §6.2, the reference's add_color_index).
export const PROBE_RGB: readonly [number, number, number] = [255, 255, 0];

export function paintMap(px: Uint8ClampedArray, map: Float32Array, range: [number, number], lut: Uint8ClampedArray, probeIndex = -1): void {
  const [lo, hi] = range;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let k = 0, o = 0; k < map.length; k++, o += 4) {
    let t = (map[k] - lo) * scale;
    t = t < 0 ? 0 : t > 255 ? 255 : t;
    const i = 3 * (t | 0);
    px[o] = lut[i]; px[o + 1] = lut[i + 1]; px[o + 2] = lut[i + 2]; px[o + 3] = 255;
  }
  if (probeIndex >= 0) {
    const o = 4 * probeIndex;
    px[o] = PROBE_RGB[0]; px[o + 1] = PROBE_RGB[1]; px[o + 2] = PROBE_RGB[2];
  }
}
