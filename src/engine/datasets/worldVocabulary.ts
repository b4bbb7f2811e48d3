// The concepts of the synthetic world: the names every writer, the demo model and the tests agree on.
// Order matters: a class index is a position in SHAPES, and mask values are 1 + position (0 = none).

/** The object's shape is the image's class. */
export const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring'] as const;
export type ShapeName = (typeof SHAPES)[number];

export interface NamedColor {
  name: string;
  rgb: readonly [number, number, number];
}

/** Saturated object colours, far apart in RGB so that a colour probe has distinct targets. */
export const COLORS: readonly NamedColor[] = [
  { name: 'red', rgb: [215, 40, 40] },
  { name: 'orange', rgb: [245, 140, 20] },
  { name: 'yellow', rgb: [240, 220, 40] },
  { name: 'green', rgb: [40, 170, 60] },
  { name: 'cyan', rgb: [40, 200, 220] },
  { name: 'blue', rgb: [40, 70, 215] },
  { name: 'magenta', rgb: [205, 50, 205] },
];
export type ColorName = string;

/** Surface patterns of the object: the second tone is a dark shade of the object's own colour. */
export const TEXTURES = ['plain', 'stripes', 'dots', 'checker'] as const;
export type TextureName = (typeof TEXTURES)[number];

/**
 * Background styles, drawn independently of the class so they carry no class information. Their names differ
 * from the object textures because they are separate concepts (an image-level "scene" in the Broden writer).
 */
export const BACKGROUNDS = ['noise', 'gradient', 'blotches', 'waves', 'grid'] as const;
export type BackgroundName = (typeof BACKGROUNDS)[number];
