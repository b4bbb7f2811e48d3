// The synthetic image world of CNN Lens: one coloured, textured shape per image on a varied background, with exact
// per-pixel ground truth (object, colour, texture, shape) and a box. It feeds the bundled demo model, the Broden
// writer (concept probing, METHODS.md §5.1) and the VOC writer (pointing game, METHODS.md §4.2).
//
// Size: 64×64 by default. Small enough that a few-layer CNN trains in minutes on one core and the whole world fits
// in memory as bytes; big enough for a 5-pixel stripe period inside a 22-pixel object and for three 2× poolings to
// leave an 8×8 map (Grad-CAM, probing). All geometry is given in 64-pixel units and scales with `size`.
//
// Pure: no I/O, no Math.random. Sample i of seed s is a function of (s, i) only, so any subset can be regenerated.
import { EngineError } from '../errors';
import { mixSeed, SeededRandom } from './seededRandom';
import {
  BACKGROUNDS, type BackgroundName, COLORS, SHAPES, type ShapeName, TEXTURES, type TextureName,
} from './worldVocabulary';

export const DEFAULT_WORLD_SIZE = 64;
/** Per-channel uniform pixel noise amplitude added everywhere (±, in 0–255 units). */
export const PIXEL_NOISE = 8;
/** The dark tone of a texture is the object colour times this. */
export const DARK_SHADE = 0.45;
/** Minimum RGB distance between the object colour and the background's colours, so the object always stands out. */
const MIN_CONTRAST = 90;

export interface WorldOptions {
  /** Image width = height in pixels (default 64). */
  size?: number;
}

/** 0-based, inclusive pixel indices: the tight box around the object mask. */
export interface PixelBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** Per-pixel label maps, row-major `size×size`; 0 = not labelled, otherwise 1 + index in the vocabulary list. */
export interface WorldMasks {
  /** 1 on the object, 0 on the background. */
  object: Uint8Array;
  /** 1 + index in COLORS on the object. */
  color: Uint8Array;
  /** 1 + index in TEXTURES on the object. */
  texture: Uint8Array;
  /** 1 + index in SHAPES on the object. */
  shape: Uint8Array;
}

export interface WorldSample {
  seed: number;
  index: number;
  /** A stable file-friendly name, e.g. `s1_000042`. */
  name: string;
  width: number;
  height: number;
  /** RGB bytes, row-major, interleaved (HWC). */
  image: Uint8Array;
  /** Index in SHAPES: the class. */
  classIndex: number;
  shape: ShapeName;
  colorIndex: number;
  color: string;
  /** The object's colour before texture and noise. */
  rgb: readonly [number, number, number];
  textureIndex: number;
  texture: TextureName;
  backgroundIndex: number;
  background: BackgroundName;
  /** Object centre (pixels, continuous), radius of its circumscribed circle, rotation (radians). */
  center: { x: number; y: number };
  radius: number;
  rotation: number;
  box: PixelBox;
  masks: WorldMasks;
}

type Rgb = [number, number, number];

// Shapes are all inscribed in the unit circle, so a rotated object of radius r centred ≥ r from the border is
// never cut off by the image edge (its box is then always the whole object).
const SQUARE_HALF = Math.SQRT1_2;
const CROSS_LONG = 0.94;
const CROSS_HALF_WIDTH = 0.32;
const RING_INNER = 0.55;
const TRIANGLE = regularPolygon(3, 1, 1);
const STAR = regularPolygon(5, 1, 0.42);

/** Vertices of a regular polygon (or a star when inner < outer), first vertex pointing up (−v). */
function regularPolygon(points: number, outer: number, inner: number): Array<[number, number]> {
  const star = inner !== outer;
  const n = star ? 2 * points : points;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    const r = star && i % 2 === 1 ? inner : outer;
    out.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return out;
}

/** Even–odd ray casting. */
function insidePolygon(poly: Array<[number, number]>, u: number, v: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [ui, vi] = poly[i];
    const [uj, vj] = poly[j];
    if (vi > v !== vj > v && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
  }
  return inside;
}

/** Is the point (u, v), in the object's unit coordinates, inside the shape? */
export function insideShape(shape: ShapeName, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= SQUARE_HALF && Math.abs(v) <= SQUARE_HALF;
    case 'triangle':
      return insidePolygon(TRIANGLE, u, v);
    case 'star':
      return insidePolygon(STAR, u, v);
    case 'cross':
      return (Math.abs(u) <= CROSS_LONG && Math.abs(v) <= CROSS_HALF_WIDTH)
        || (Math.abs(v) <= CROSS_LONG && Math.abs(u) <= CROSS_HALF_WIDTH);
    case 'ring': {
      const d = u * u + v * v;
      return d <= 1 && d >= RING_INNER * RING_INNER;
    }
  }
}

interface TextureParams {
  period: number;
  angle: number;
  phaseU: number;
  phaseV: number;
}

/** Whether the texture paints the dark tone at object-local pixel offset (du, dv). */
function textureIsDark(texture: TextureName, p: TextureParams, du: number, dv: number): boolean {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const tu = du * c + dv * s + p.phaseU;
  const tv = -du * s + dv * c + p.phaseV;
  switch (texture) {
    case 'plain':
      return false;
    case 'stripes':
      return Math.floor((2 * tu) / p.period) % 2 !== 0;
    case 'checker':
      return (Math.floor(tu / p.period) + Math.floor(tv / p.period)) % 2 !== 0;
    case 'dots': {
      const fu = tu / p.period - Math.round(tu / p.period);
      const fv = tv / p.period - Math.round(tv / p.period);
      return fu * fu + fv * fv <= 0.3 * 0.3;
    }
  }
}

/** A muted colour (channels 64–192): never as saturated as the object colours. */
function mutedColor(rng: SeededRandom): Rgb {
  return [rng.uniform(64, 192), rng.uniform(64, 192), rng.uniform(64, 192)];
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** A muted colour at least MIN_CONTRAST from the object colour (bounded retries keep it deterministic). */
function contrastingColor(rng: SeededRandom, object: readonly number[]): Rgb {
  let best = mutedColor(rng);
  for (let i = 0; i < 32 && distance(best, object) < MIN_CONTRAST; i++) {
    const c = mutedColor(rng);
    if (distance(c, object) > distance(best, object)) best = c;
  }
  return best;
}

/** Builds a background painter: (x, y) pixel centre → RGB (floats). Draws all its parameters up front. */
function makeBackground(
  style: BackgroundName, rng: SeededRandom, object: readonly number[], size: number, k: number,
): (px: number, py: number) => Rgb {
  const c1 = contrastingColor(rng, object);
  const c2 = contrastingColor(rng, object);
  const lerp = (t: number): Rgb => [c1[0] + (c2[0] - c1[0]) * t, c1[1] + (c2[1] - c1[1]) * t, c1[2] + (c2[2] - c1[2]) * t];
  switch (style) {
    case 'noise': {
      const amp = rng.uniform(18, 32);
      return () => {
        const n = rng.uniform(-amp, amp);
        return [c1[0] + n, c1[1] + n, c1[2] + n];
      };
    }
    case 'gradient': {
      const a = rng.uniform(0, 2 * Math.PI);
      const ca = Math.cos(a) / (size * Math.SQRT2);
      const sa = Math.sin(a) / (size * Math.SQRT2);
      return (px, py) => lerp(Math.min(1, Math.max(0, 0.5 + (px - size / 2) * ca + (py - size / 2) * sa)));
    }
    case 'blotches': {
      const g = 5;
      const grid = Float64Array.from({ length: g * g }, () => rng.next());
      return (px, py) => {
        const gx = (px / size) * (g - 1);
        const gy = (py / size) * (g - 1);
        const x0 = Math.min(g - 2, Math.floor(gx));
        const y0 = Math.min(g - 2, Math.floor(gy));
        const sx = smoothstep(gx - x0);
        const sy = smoothstep(gy - y0);
        const top = grid[y0 * g + x0] * (1 - sx) + grid[y0 * g + x0 + 1] * sx;
        const bottom = grid[(y0 + 1) * g + x0] * (1 - sx) + grid[(y0 + 1) * g + x0 + 1] * sx;
        return lerp(top * (1 - sy) + bottom * sy);
      };
    }
    case 'waves': {
      const a = rng.uniform(0, Math.PI);
      const period = rng.uniform(8, 16) * k;
      const phase = rng.uniform(0, 2 * Math.PI);
      return (px, py) => lerp(0.5 + 0.5 * Math.sin((2 * Math.PI * (px * Math.cos(a) + py * Math.sin(a))) / period + phase));
    }
    case 'grid': {
      const period = rng.uniform(9, 15) * k;
      const ox = rng.uniform(0, period);
      const oy = rng.uniform(0, period);
      const width = 1.2 * k;
      return (px, py) => (((px + ox) % period) < width || ((py + oy) % period) < width ? [...c2] : [...c1]);
    }
  }
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

function checkInteger(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi)
    throw new EngineError('BAD_ARGUMENT', `${name} must be an integer in [${lo}, ${hi}], got ${value}`);
}

/** Sample `index` of the world with this `seed`. Classes cycle with the index, so any n·6 samples are balanced. */
export function generateSample(seed: number, index: number, options: WorldOptions = {}): WorldSample {
  const size = options.size ?? DEFAULT_WORLD_SIZE;
  checkInteger('seed', seed, 0, 0xffffffff);
  checkInteger('index', index, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('size', size, 16, 1024);
  const k = size / DEFAULT_WORLD_SIZE;
  const rng = new SeededRandom(mixSeed(seed, index));

  const classIndex = index % SHAPES.length;
  const shape = SHAPES[classIndex];
  const colorIndex = rng.int(COLORS.length);
  const textureIndex = rng.int(TEXTURES.length);
  const backgroundIndex = rng.int(BACKGROUNDS.length);
  const rgb = COLORS[colorIndex].rgb;
  const texture = TEXTURES[textureIndex];
  const background = BACKGROUNDS[backgroundIndex];

  const radius = rng.uniform(11, 23) * k;
  const margin = radius + 1.5 * k;
  const cx = rng.uniform(margin, size - margin);
  const cy = rng.uniform(margin, size - margin);
  const rotation = rng.uniform(0, 2 * Math.PI);
  const tex: TextureParams = {
    period: (texture === 'checker' ? rng.uniform(3, 5) : rng.uniform(5, 8)) * k,
    angle: rng.uniform(0, Math.PI),
    phaseU: rng.uniform(0, 8 * k),
    phaseV: rng.uniform(0, 8 * k),
  };
  const paintBackground = makeBackground(background, rng, rgb, size, k);
  const dark: Rgb = [rgb[0] * DARK_SHADE, rgb[1] * DARK_SHADE, rgb[2] * DARK_SHADE];

  const n = size * size;
  const image = new Uint8Array(n * 3);
  const masks: WorldMasks = {
    object: new Uint8Array(n), color: new Uint8Array(n), texture: new Uint8Array(n), shape: new Uint8Array(n),
  };
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const box: PixelBox = { xmin: size, ymin: size, xmax: -1, ymax: -1 };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Pixel centres decide membership: masks are exact for the pixels as drawn (no anti-aliasing).
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const du = dx * cos + dy * sin;
      const dv = -dx * sin + dy * cos;
      const i = y * size + x;
      let c: readonly number[];
      if (insideShape(shape, du / radius, dv / radius)) {
        c = textureIsDark(texture, tex, du, dv) ? dark : rgb;
        masks.object[i] = 1;
        masks.color[i] = colorIndex + 1;
        masks.texture[i] = textureIndex + 1;
        masks.shape[i] = classIndex + 1;
        if (x < box.xmin) box.xmin = x;
        if (x > box.xmax) box.xmax = x;
        if (y < box.ymin) box.ymin = y;
        if (y > box.ymax) box.ymax = y;
      } else {
        c = paintBackground(x + 0.5, y + 0.5);
      }
      for (let ch = 0; ch < 3; ch++) {
        const value = c[ch] + rng.uniform(-PIXEL_NOISE, PIXEL_NOISE);
        image[i * 3 + ch] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return {
    seed, index, name: sampleName(seed, index), width: size, height: size, image,
    classIndex, shape, colorIndex, color: COLORS[colorIndex].name, rgb, textureIndex, texture,
    backgroundIndex, background, center: { x: cx, y: cy }, radius, rotation, box, masks,
  };
}

/** `count` consecutive samples 0…count−1 of the world with this seed. */
export function generateWorld(seed: number, count: number, options: WorldOptions = {}): WorldSample[] {
  checkInteger('count', count, 0, 1_000_000);
  return Array.from({ length: count }, (_, i) => generateSample(seed, i, options));
}

export function sampleName(seed: number, index: number): string {
  return `s${seed}_${String(index).padStart(6, '0')}`;
}
