// torch.sort's order on the CPU (METHODS.md §1.5): PyTorch 1.13 sorts (value, index) pairs with libstdc++'s
// unstable std::sort (introsort: median-of-three quicksort to runs of 16, heapsort past depth 2·⌊log2 n⌋, then
// insertion sort), comparing values only. Equal values end up in an order only this algorithm reproduces, and the
// area term's gradient depends on it: the sorted position of each tied pixel decides whether it meets a 0 or a 1
// of the reference vector. This is a line-by-line port of GCC 12's <bits/stl_algo.h> / <bits/stl_heap.h>.

const THRESHOLD = 16;

/** The permutation std::sort applies: `order[j]` is the index of the j-th smallest value. */
export function torchSortOrder(values: Float32Array): Int32Array {
  const n = values.length;
  const v = Float32Array.from(values);
  const ix = new Int32Array(n);
  for (let i = 0; i < n; i++) ix[i] = i;
  if (n > 1) {
    introsortLoop(v, ix, 0, n, 2 * Math.floor(Math.log2(n)));
    finalInsertionSort(v, ix, 0, n);
  }
  return ix;
}

function swap(v: Float32Array, ix: Int32Array, a: number, b: number): void {
  const t = v[a];
  v[a] = v[b];
  v[b] = t;
  const u = ix[a];
  ix[a] = ix[b];
  ix[b] = u;
}

function introsortLoop(v: Float32Array, ix: Int32Array, first: number, last: number, depth: number): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(v, ix, first, last);
      return;
    }
    depth--;
    const cut = partitionPivot(v, ix, first, last);
    introsortLoop(v, ix, cut, last, depth);
    last = cut;
  }
}

function partitionPivot(v: Float32Array, ix: Int32Array, first: number, last: number): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(v, ix, first, first + 1, mid, last - 1);
  // Unguarded partition of [first + 1, last) around v[first].
  let lo = first + 1;
  let hi = last;
  const pivot = first;
  for (;;) {
    while (v[lo] < v[pivot]) lo++;
    hi--;
    while (v[pivot] < v[hi]) hi--;
    if (!(lo < hi)) return lo;
    swap(v, ix, lo, hi);
    lo++;
  }
}

function moveMedianToFirst(v: Float32Array, ix: Int32Array, result: number, a: number, b: number, c: number): void {
  if (v[a] < v[b]) {
    if (v[b] < v[c]) swap(v, ix, result, b);
    else if (v[a] < v[c]) swap(v, ix, result, c);
    else swap(v, ix, result, a);
  } else if (v[a] < v[c]) swap(v, ix, result, a);
  else if (v[b] < v[c]) swap(v, ix, result, c);
  else swap(v, ix, result, b);
}

function finalInsertionSort(v: Float32Array, ix: Int32Array, first: number, last: number): void {
  if (last - first > THRESHOLD) {
    insertionSort(v, ix, first, first + THRESHOLD);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(v, ix, i);
  } else insertionSort(v, ix, first, last);
}

function insertionSort(v: Float32Array, ix: Int32Array, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (v[i] < v[first]) {
      const val = v[i];
      const id = ix[i];
      v.copyWithin(first + 1, first, i);
      ix.copyWithin(first + 1, first, i);
      v[first] = val;
      ix[first] = id;
    } else unguardedLinearInsert(v, ix, i);
  }
}

function unguardedLinearInsert(v: Float32Array, ix: Int32Array, last: number): void {
  const val = v[last];
  const id = ix[last];
  let next = last - 1;
  while (val < v[next]) {
    v[last] = v[next];
    ix[last] = ix[next];
    last = next;
    next--;
  }
  v[last] = val;
  ix[last] = id;
}

// std::__partial_sort(first, last, last): make_heap, then sort_heap.
function heapSort(v: Float32Array, ix: Int32Array, first: number, last: number): void {
  const len = last - first;
  if (len >= 2) {
    for (let parent = Math.floor((len - 2) / 2); ; parent--) {
      adjustHeap(v, ix, first, parent, len, v[first + parent], ix[first + parent]);
      if (parent === 0) break;
    }
  }
  while (last - first > 1) {
    last--;
    const val = v[last];
    const id = ix[last];
    v[last] = v[first];
    ix[last] = ix[first];
    adjustHeap(v, ix, first, 0, last - first, val, id);
  }
}

function adjustHeap(v: Float32Array, ix: Int32Array, first: number, hole: number, len: number, val: number, id: number): void {
  const top = hole;
  let child = hole;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (v[first + child] < v[first + child - 1]) child--;
    v[first + hole] = v[first + child];
    ix[first + hole] = ix[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    v[first + hole] = v[first + child - 1];
    ix[first + hole] = ix[first + child - 1];
    hole = child - 1;
  }
  // push_heap
  let parent = Math.floor((hole - 1) / 2);
  while (hole > top && v[first + parent] < val) {
    v[first + hole] = v[first + parent];
    ix[first + hole] = ix[first + parent];
    hole = parent;
    parent = Math.floor((hole - 1) / 2);
  }
  v[first + hole] = val;
  ix[first + hole] = id;
}
