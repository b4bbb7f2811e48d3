// Train/val assignment by a hash of the file name, as Broden does (METHODS.md §5.1): stable when images are added
// or removed, and identical in every writer, so the Broden and VOC copies of a world agree on the split.

export type Split = 'train' | 'val';

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `val` for about `valFraction` of names (0 ≤ valFraction ≤ 1), chosen by hash. */
export function splitOf(name: string, valFraction: number): Split {
  if (!(valFraction >= 0 && valFraction <= 1)) throw new RangeError(`valFraction must be in [0, 1], got ${valFraction}`);
  return fnv1a(name) % 10000 < Math.round(valFraction * 10000) ? 'val' : 'train';
}
