// Binary masks as run lengths: compact in the probe's JSON (CLI probe.json, the Concepts panel's messages and
// state) and exact. `runs` alternate background and foreground, starting with background (possibly 0 long).

export interface MaskRle {
  width: number;
  height: number;
  /** Lengths of alternating runs of 0s and 1s in row-major order, starting with 0s; they sum to width·height. */
  runs: number[];
}

export function encodeRle(mask: ArrayLike<number>, width: number, height: number): MaskRle {
  const runs: number[] = [];
  let current = 0;
  let length = 0;
  for (let i = 0; i < width * height; i++) {
    const v = mask[i] ? 1 : 0;
    if (v !== current) { runs.push(length); current = v; length = 0; }
    length++;
  }
  runs.push(length);
  return { width, height, runs };
}

/** The 0/1 mask; throws when the runs do not cover width·height exactly (a corrupt or foreign value). */
export function decodeRle(r: MaskRle): Uint8Array {
  const n = r.width * r.height;
  const out = new Uint8Array(n);
  let at = 0;
  r.runs.forEach((len, i) => {
    if (!Number.isInteger(len) || len < 0 || at + len > n) throw new RangeError('mask runs exceed the mask size');
    if (i % 2 === 1) out.fill(1, at, at + len);
    at += len;
  });
  if (at !== n) throw new RangeError(`mask runs cover ${at} of ${n} pixels`);
  return out;
}
