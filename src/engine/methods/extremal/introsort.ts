// torch.sort's order on the CPU (METHODS.md §1.5): PyTorch 1.13 sorts (value, index) pairs with libstdc++'s
// unstable std::sort (introsort: median-of-three quicksort to runs of 16, heapsort past depth 2·⌊log2 n⌋, then
// insertion sort), comparing values only. Equal values end up in an order only this algorithm reproduces, and the
// area term's gradient depends on it: the sorted position of each tied pixel decides whether it meets a 0 or a 1
// of the reference vector. This is a line-by-line port of GCC 12's <bits/stl_algo.h> / <bits/stl_heap.h>, over
// element ids compared by `less` (so values can be made exact only where a comparison is close).

const THRESHOLD = 16;

/** Strict weak order on element ids: is element a's value below element b's? */
export type Less = (a: number, b: number) => boolean;

/** The permutation std::sort applies: `order[j]` is the index of the j-th smallest value. */
export function torchSortOrder(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const ix = identity(n);
  const less: Less = (a, b) => values[a] < values[b];
  if (n > 1) {
    introsortLoop(ix, less, 0, n, 2 * Math.floor(Math.log2(n)));
    finalInsertionSort(ix, less, 0, n);
  }
  return ix;
}

/**
 * Which of n elements torch.sort puts at positions ≥ `zeros` (1) or below (0), without sorting everything:
 * introsort's parts are independent once partitioned, so only the part holding position `zeros` is followed down
 * (as in quickselect), with the same pivots, depth limit and heapsort fallback. In its last run of ≤ 16 the final
 * insertion sort moves no element past an equal one, so a stable insertion sort there gives std::sort's order. O(n).
 */
export function torchSortSides(n: number, less: Less, zeros: number): Uint8Array {
  const ix = identity(n);
  let first = 0;
  let last = n;
  let depth = n > 1 ? 2 * Math.floor(Math.log2(n)) : 0;
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(ix, less, first, last);
      first = last; // that part is in its final order
      break;
    }
    depth--;
    const cut = partitionPivot(ix, less, first, last);
    if (zeros < cut) last = cut;
    else first = cut;
  }
  if (first < last) insertionSort(ix, less, first, last);
  const side = new Uint8Array(n);
  for (let j = zeros; j < n; j++) side[ix[j]] = 1;
  return side;
}

function identity(n: number): Int32Array {
  const ix = new Int32Array(n);
  for (let i = 0; i < n; i++) ix[i] = i;
  return ix;
}

function swap(ix: Int32Array, a: number, b: number): void {
  const t = ix[a];
  ix[a] = ix[b];
  ix[b] = t;
}

function introsortLoop(ix: Int32Array, less: Less, first: number, last: number, depth: number): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(ix, less, first, last);
      return;
    }
    depth--;
    const cut = partitionPivot(ix, less, first, last);
    introsortLoop(ix, less, cut, last, depth);
    last = cut;
  }
}

function partitionPivot(ix: Int32Array, less: Less, first: number, last: number): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(ix, less, first, first + 1, mid, last - 1);
  // Unguarded partition of [first + 1, last) around the element now at `first`.
  const pivot = ix[first];
  let lo = first + 1;
  let hi = last;
  for (;;) {
    while (less(ix[lo], pivot)) lo++;
    hi--;
    while (less(pivot, ix[hi])) hi--;
    if (!(lo < hi)) return lo;
    swap(ix, lo, hi);
    lo++;
  }
}

function moveMedianToFirst(ix: Int32Array, less: Less, result: number, a: number, b: number, c: number): void {
  const [va, vb, vc] = [ix[a], ix[b], ix[c]];
  if (less(va, vb)) {
    if (less(vb, vc)) swap(ix, result, b);
    else if (less(va, vc)) swap(ix, result, c);
    else swap(ix, result, a);
  } else if (less(va, vc)) swap(ix, result, a);
  else if (less(vb, vc)) swap(ix, result, c);
  else swap(ix, result, b);
}

function finalInsertionSort(ix: Int32Array, less: Less, first: number, last: number): void {
  if (last - first > THRESHOLD) {
    insertionSort(ix, less, first, first + THRESHOLD);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(ix, less, i);
  } else insertionSort(ix, less, first, last);
}

function insertionSort(ix: Int32Array, less: Less, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (less(ix[i], ix[first])) {
      const id = ix[i];
      ix.copyWithin(first + 1, first, i);
      ix[first] = id;
    } else unguardedLinearInsert(ix, less, i);
  }
}

function unguardedLinearInsert(ix: Int32Array, less: Less, last: number): void {
  const id = ix[last];
  let next = last - 1;
  while (less(id, ix[next])) {
    ix[last] = ix[next];
    last = next;
    next--;
  }
  ix[last] = id;
}

// std::__partial_sort(first, last, last): make_heap, then sort_heap.
function heapSort(ix: Int32Array, less: Less, first: number, last: number): void {
  const len = last - first;
  if (len >= 2) {
    for (let parent = Math.floor((len - 2) / 2); ; parent--) {
      adjustHeap(ix, less, first, parent, len, ix[first + parent]);
      if (parent === 0) break;
    }
  }
  while (last - first > 1) {
    last--;
    const id = ix[last];
    ix[last] = ix[first];
    adjustHeap(ix, less, first, 0, last - first, id);
  }
}

function adjustHeap(ix: Int32Array, less: Less, first: number, hole: number, len: number, id: number): void {
  const top = hole;
  let child = hole;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (less(ix[first + child], ix[first + child - 1])) child--;
    ix[first + hole] = ix[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    ix[first + hole] = ix[first + child - 1];
    hole = child - 1;
  }
  // push_heap
  let parent = Math.floor((hole - 1) / 2);
  while (hole > top && less(ix[first + parent], id)) {
    ix[first + hole] = ix[first + parent];
    hole = parent;
    parent = Math.floor((hole - 1) / 2);
  }
  ix[first + hole] = id;
}
