;; WebAssembly SIMD kernel of the smooth-max mask generator (METHODS.md §1.4), one mask per call; the layouts and
;; the JS side are in smoothMaxKernel.ts.
;;
;; A term of the smooth max is e = exp(20·z), z = w·p, for a parameter p and a tap weight w; the weight takes few
;; distinct values (the bump is radial: 461 for step 7, sigma 21, against 81 taps × 49 pixel classes). So, one row of
;; parameters at a time, the kernel tabulates the terms for every (distinct weight, parameter of the row), four
;; parameters per f32x4 (vectorised exp, Cephes expf, ~1 ulp), and then sums rows of that table: a block's lanes
;; are neighbouring blocks (forward) or cells (backward), which read neighbouring parameters of the same weight, one
;; contiguous load. Zero parameters (e = 1, z = 0) skip the exp; windows of only zeros are skipped. The forward keeps
;; its exps (E) for the backward of the same parameters, which then only multiplies them by w and z.
;;
;; Every float this computes is pinned bit for bit by test/unit/helpers/smoothMaxReference.ts (scalar loops in the
;; same float32 steps and float64 sum orders): speed-ups may restructure, share or skip, never reorder a sum.
;; V8 notes: f32x4.min/max and i32x4.trunc_sat lower to long NaN-safe sequences, so the exp uses pmin/pmax (equal
;; for non-NaN inputs) and takes 2^k from the bits of k + 1.5·2^23; the exp is inline (a call per vector was slower).
;;
;; The forward sums in float64 like the JavaScript loops: a pixel's Σe and Σz·e are then the same up to ~1e-16
;; whatever the order of its terms, so pixels that are mirror images (same terms, other order) get equal float32
;; masks, and the area term's rank ties (§1.5) fall as they do with the JavaScript loops.
;;
;; Memory (byte offsets chosen by the caller, 16-byte aligned; PW, the parameter row width, is a multiple of 4):
;;   P     f32 [inH][PW]          parameters, cell (i, j) at column j + pad, zeros around the grid
;;   D     f32 [nw]               the distinct weights
;;   T     the table of one parameter row: forward f64 [nw][2][PW] (e − 1, z·e), backward f32 [nw][2][PW] (w·e, w·z·e)
;;   E     f32 [inH][nw][PW]      e of every (row, weight, parameter), written by the forward, read by the backward
;;   Seq, G                       forward: the distinct weight sequences along kx and their (ky, class) pairs; scratch
;;   Boff  i32 [R·R][C]           backward: byte offset in T of the weight of tap (ky, kx), class c, at [ky·R + kx][c]
;;   den, num  f64 [nby][C][nbxV] per block (bY, bX) and class: Σe and Σz·e (forward output), nbxV a multiple of 8
;;   u1, u2    f32 [nby][C][UW]   per block and class, block column bX at uo + bX, zeros elsewhere (backward input)
;;   grad  f32 [inH][inWV]        ∂/∂P (backward output), inWV a multiple of 8
(module
  (memory (export "memory") 1)

  ;; 1 when the f32 values at [from, to) (byte addresses, steps of 16) are all zero.
  (func $allZero (param $from i32) (param $to i32) (result i32)
    (local $or v128)
    (loop $each
      (local.set $or (v128.or (local.get $or) (v128.load (local.get $from))))
      (br_if $each (i32.lt_u (local.tee $from (i32.add (local.get $from) (i32.const 16))) (local.get $to))))
    (i32.eqz (v128.any_true (local.get $or))))

  ;; The forward table of parameter row `row` (byte address, PW floats), for each distinct weight w and parameter p:
  ;; e − 1 and z·e promoted to float64 (T64 [nw][2][PW], so that the sums read them without converting), z = w·p,
  ;; e = exp(20·z); and e itself into E [nw][PW] (f32) for the backward. Zero parameters (e = 1, z = 0) skip the exp.
  (func $tableForward (param $row i32) (param $D i32) (param $nw i32) (param $T i32) (param $E i32) (param $PW i32)
    (local $wi i32) (local $c i32) (local $half i32) (local $t i32) (local $e i32) (local $t8 i32)
    (local $w v128) (local $p v128) (local $z v128) (local $x v128) (local $em1 v128) (local $ze v128) (local $k v128) (local $y v128)
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $t (local.get $T))
    (local.set $e (local.get $E))
    (loop $weights
      (local.set $w (v128.load32_splat (i32.add (local.get $D) (i32.shl (local.get $wi) (i32.const 2)))))
      (local.set $c (i32.const 0))
      (loop $cols
        (local.set $p (v128.load (i32.add (local.get $row) (local.get $c))))
        (local.set $t8 (i32.add (local.get $t) (i32.shl (local.get $c) (i32.const 1))))
        (if (v128.any_true (local.get $p))
          (then
            (local.set $z (f32x4.mul (local.get $w) (local.get $p)))
            ;; e = exp(20·z), z ≥ 0 (w·p with w, p ∈ [0, 1]): 20·z = k·ln2 + r, |r| ≤ ln2/2, e = 2^k·(1 + r + r²·poly(r)).
            ;; 20·z enters the reduction as 16·z + 4·z (both exact), so r carries no rounding of 20·z.
            (local.set $k (f32x4.pmin (f32x4.pmax (f32x4.nearest (f32x4.mul (f32x4.mul (local.get $z) (v128.const f32x4 20 20 20 20))
              (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)))
              (v128.const f32x4 -126 -126 -126 -126)) (v128.const f32x4 127 127 127 127)))
            (local.set $x (f32x4.sub
              (f32x4.add (f32x4.sub (f32x4.mul (local.get $z) (v128.const f32x4 16 16 16 16))
            (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $z) (v128.const f32x4 4 4 4 4)))
              (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
            (local.set $y (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $x))
              (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
            (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
              (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
            (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
              (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
            (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
              (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
            (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x))
              (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
            (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $x) (local.get $x))) (local.get $x))
              (v128.const f32x4 1 1 1 1)))
            (local.set $x (f32x4.mul (local.get $y) (i32x4.shl
              (i32x4.add (f32x4.add (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
            (v128.store (i32.add (local.get $e) (local.get $c)) (local.get $x))
            (local.set $em1 (f32x4.sub (local.get $x) (v128.const f32x4 1 1 1 1)))
            (local.set $ze (f32x4.mul (local.get $z) (local.get $x)))
            (v128.store (local.get $t8) (f64x2.promote_low_f32x4 (local.get $em1)))
            (v128.store offset=16 (local.get $t8) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $em1) (local.get $em1))))
            (local.set $t8 (i32.add (local.get $t8) (i32.shl (local.get $half) (i32.const 1))))
            (v128.store (local.get $t8) (f64x2.promote_low_f32x4 (local.get $ze)))
            (v128.store offset=16 (local.get $t8) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ze) (local.get $ze)))))
          (else
            (v128.store (local.get $t8) (v128.const i32x4 0 0 0 0))
            (v128.store offset=16 (local.get $t8) (v128.const i32x4 0 0 0 0))
            (local.set $t8 (i32.add (local.get $t8) (i32.shl (local.get $half) (i32.const 1))))
            (v128.store (local.get $t8) (v128.const i32x4 0 0 0 0))
            (v128.store offset=16 (local.get $t8) (v128.const i32x4 0 0 0 0))))
        (br_if $cols (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $half))))
      (local.set $t (i32.add (local.get $t) (i32.shl (local.get $half) (i32.const 2))))
      (local.set $e (i32.add (local.get $e) (local.get $half)))
      (br_if $weights (i32.lt_u (local.tee $wi (i32.add (local.get $wi) (i32.const 1))) (local.get $nw)))))

  ;; The backward table of parameter row `row`: w·e and w·e·z (T [nw][2][PW], f32), e from E [nw][PW] (as the forward
  ;; pass of the same parameters stored it).
  (func $tableBackward (param $row i32) (param $D i32) (param $nw i32) (param $T i32) (param $E i32) (param $PW i32)
    (local $wi i32) (local $c i32) (local $half i32) (local $t i32) (local $e i32)
    (local $w v128) (local $p v128) (local $z v128) (local $x v128)
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $t (local.get $T))
    (local.set $e (local.get $E))
    (loop $weights
      (local.set $w (v128.load32_splat (i32.add (local.get $D) (i32.shl (local.get $wi) (i32.const 2)))))
      (local.set $c (i32.const 0))
      (loop $cols
        (local.set $p (v128.load (i32.add (local.get $row) (local.get $c))))
        (if (v128.any_true (local.get $p))
          (then
            (local.set $z (f32x4.mul (local.get $w) (local.get $p)))
            (local.set $x (f32x4.mul (local.get $w) (v128.load (i32.add (local.get $e) (local.get $c)))))
            (v128.store (i32.add (local.get $t) (local.get $c)) (local.get $x))
            (v128.store (i32.add (i32.add (local.get $t) (local.get $half)) (local.get $c)) (f32x4.mul (local.get $x) (local.get $z))))
          (else
            ;; p = 0: e = 1, z = 0.
            (v128.store (i32.add (local.get $t) (local.get $c)) (local.get $w))
            (v128.store (i32.add (i32.add (local.get $t) (local.get $half)) (local.get $c)) (v128.const i32x4 0 0 0 0))))
        (br_if $cols (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $half))))
      (local.set $t (i32.add (local.get $t) (i32.shl (local.get $half) (i32.const 1))))
      (local.set $e (i32.add (local.get $e) (local.get $half)))
      (br_if $weights (i32.lt_u (local.tee $wi (i32.add (local.get $wi) (i32.const 1))) (local.get $nw)))))

  ;; den := R² (every tap starts as a zero tap, e = 1), num := 0; then each parameter row i adds, for each block row
  ;; bY = i − ky + pad that sees it at window row ky and each class, the float64 sums over kx of that row's
  ;; e − 1 and z·e. Those sums depend on (ky, class) only through the R weights they read, and the bump is radial,
  ;; so (ky, class) pairs that are mirror images read the same weights: the Seq stream lists each distinct
  ;; sequence once with every (ky, class) that adds it (245 sums instead of 441 for step 7, sigma 21). Each pixel
  ;; still gets one sum per row, in row order, of the same terms in kx order. Eight blocks per f64x2 quartet.
  ;;   Seq  i32 stream, per sequence: R byte offsets into T64 (weight rows), a count n, then n pairs
  ;;        (ky, class·nbxV·8)
  ;;   G    i32 [nbxV/8] scratch: whether group g of eight blocks sees any non-zero parameter of the row
  (func (export "forward")
    (param $P i32) (param $D i32) (param $nw i32) (param $T i32) (param $E i32) (param $Seq i32) (param $nseq i32)
    (param $den i32) (param $num i32) (param $nby i32) (param $nbxV i32) (param $C i32) (param $R i32) (param $pad i32)
    (param $inH i32) (param $PW i32) (param $G i32)
    (local $i i32) (local $kx i32) (local $bY i32) (local $bx i32) (local $row i32) (local $s i32) (local $si i32)
    (local $d i32) (local $n i32) (local $end i32) (local $stride i32) (local $half i32) (local $half64 i32)
    (local $to i32) (local $span i32) (local $cnt i32) (local $tg i32) (local $blockRow i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    ;; Initialise den and num.
    (local.set $a0 (f64x2.splat (f64.convert_i32_s (i32.mul (local.get $R) (local.get $R)))))
    (local.set $end (i32.add (local.get $den)
      (i32.shl (i32.mul (i32.mul (local.get $nby) (local.get $C)) (local.get $nbxV)) (i32.const 3))))
    (local.set $d (local.get $den))
    (local.set $n (local.get $num))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (v128.store (local.get $d) (local.get $a0))
        (v128.store (local.get $n) (v128.const i32x4 0 0 0 0))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 16)))
        (br $fill)))
    (local.set $stride (i32.shl (local.get $nbxV) (i32.const 3)))
    (local.set $blockRow (i32.mul (local.get $C) (local.get $stride)))
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $half64 (i32.shl (local.get $PW) (i32.const 3)))
    ;; Bytes of parameters a group of eight blocks sees along a row: 8 + R − 1 floats, rounded up to 16 bytes.
    (local.set $span (i32.and (i32.add (i32.shl (i32.add (local.get $R) (i32.const 7)) (i32.const 2)) (i32.const 15)) (i32.const -16)))
    (loop $rows
      (local.set $row (i32.add (local.get $P) (i32.mul (local.get $i) (local.get $half))))
      (if (i32.eqz (call $allZero (local.get $row) (i32.add (local.get $row) (local.get $half))))
        (then
          (call $tableForward (local.get $row) (local.get $D) (local.get $nw) (local.get $T)
            (i32.add (local.get $E) (i32.mul (i32.mul (local.get $i) (local.get $nw)) (local.get $half))) (local.get $PW))
          ;; Groups whose window holds only zeros add nothing (sums of +0): skipped.
          (local.set $bx (i32.const 0))
          (loop $groups
            (i32.store (i32.add (local.get $G) (i32.shr_u (local.get $bx) (i32.const 1)))
              (i32.eqz (call $allZero (i32.add (local.get $row) (i32.shl (local.get $bx) (i32.const 2)))
                (i32.add (i32.add (local.get $row) (i32.shl (local.get $bx) (i32.const 2))) (local.get $span)))))
            (br_if $groups (i32.lt_u (local.tee $bx (i32.add (local.get $bx) (i32.const 8))) (local.get $nbxV))))
          (local.set $s (local.get $Seq))
          (local.set $si (i32.const 0))
          (loop $seqs
            (local.set $cnt (i32.load (i32.add (local.get $s) (i32.shl (local.get $R) (i32.const 2)))))
            (local.set $bx (i32.const 0))
            (loop $cols
              (if (i32.load (i32.add (local.get $G) (i32.shr_u (local.get $bx) (i32.const 1))))
                (then
                  (local.set $a0 (v128.const i32x4 0 0 0 0))
                  (local.set $a1 (v128.const i32x4 0 0 0 0))
                  (local.set $a2 (v128.const i32x4 0 0 0 0))
                  (local.set $a3 (v128.const i32x4 0 0 0 0))
                  (local.set $b0 (v128.const i32x4 0 0 0 0))
                  (local.set $b1 (v128.const i32x4 0 0 0 0))
                  (local.set $b2 (v128.const i32x4 0 0 0 0))
                  (local.set $b3 (v128.const i32x4 0 0 0 0))
                  (local.set $kx (i32.const 0))
                  (loop $kxs
                    ;; Table entries of weight row Seq[kx] at columns bx + kx … bx + kx + 7.
                    (local.set $to (i32.add (i32.add (local.get $T) (i32.load (i32.add (local.get $s) (i32.shl (local.get $kx) (i32.const 2)))))
                      (i32.shl (i32.add (local.get $bx) (local.get $kx)) (i32.const 3))))
                    (local.set $a0 (f64x2.add (local.get $a0) (v128.load (local.get $to))))
                    (local.set $a1 (f64x2.add (local.get $a1) (v128.load offset=16 (local.get $to))))
                    (local.set $a2 (f64x2.add (local.get $a2) (v128.load offset=32 (local.get $to))))
                    (local.set $a3 (f64x2.add (local.get $a3) (v128.load offset=48 (local.get $to))))
                    (local.set $to (i32.add (local.get $to) (local.get $half64)))
                    (local.set $b0 (f64x2.add (local.get $b0) (v128.load (local.get $to))))
                    (local.set $b1 (f64x2.add (local.get $b1) (v128.load offset=16 (local.get $to))))
                    (local.set $b2 (f64x2.add (local.get $b2) (v128.load offset=32 (local.get $to))))
                    (local.set $b3 (f64x2.add (local.get $b3) (v128.load offset=48 (local.get $to))))
                    (br_if $kxs (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $R))))
                  ;; Add the sums to every (ky, class) of the sequence whose block row exists.
                  (local.set $tg (i32.add (local.get $s) (i32.shl (i32.add (local.get $R) (i32.const 1)) (i32.const 2))))
                  (local.set $end (i32.add (local.get $tg) (i32.shl (local.get $cnt) (i32.const 3))))
                  (loop $targets
                    (local.set $bY (i32.add (i32.sub (local.get $i) (i32.load (local.get $tg))) (local.get $pad)))
                    (if (i32.lt_u (local.get $bY) (local.get $nby))
                      (then
                        (local.set $d (i32.add (i32.add (local.get $den) (i32.mul (local.get $bY) (local.get $blockRow)))
                          (i32.add (i32.load offset=4 (local.get $tg)) (i32.shl (local.get $bx) (i32.const 3)))))
                        (local.set $n (i32.add (local.get $num) (i32.sub (local.get $d) (local.get $den))))
                        (v128.store (local.get $d) (f64x2.add (v128.load (local.get $d)) (local.get $a0)))
                        (v128.store offset=16 (local.get $d) (f64x2.add (v128.load offset=16 (local.get $d)) (local.get $a1)))
                        (v128.store offset=32 (local.get $d) (f64x2.add (v128.load offset=32 (local.get $d)) (local.get $a2)))
                        (v128.store offset=48 (local.get $d) (f64x2.add (v128.load offset=48 (local.get $d)) (local.get $a3)))
                        (v128.store (local.get $n) (f64x2.add (v128.load (local.get $n)) (local.get $b0)))
                        (v128.store offset=16 (local.get $n) (f64x2.add (v128.load offset=16 (local.get $n)) (local.get $b1)))
                        (v128.store offset=32 (local.get $n) (f64x2.add (v128.load offset=32 (local.get $n)) (local.get $b2)))
                        (v128.store offset=48 (local.get $n) (f64x2.add (v128.load offset=48 (local.get $n)) (local.get $b3)))))
                    (br_if $targets (i32.lt_u (local.tee $tg (i32.add (local.get $tg) (i32.const 8))) (local.get $end))))))
              (br_if $cols (i32.lt_u (local.tee $bx (i32.add (local.get $bx) (i32.const 8))) (local.get $nbxV))))
            (local.set $s (i32.add (local.get $s) (i32.shl (i32.add (i32.add (local.get $R) (i32.const 1)) (i32.shl (local.get $cnt) (i32.const 1))) (i32.const 2))))
            (br_if $seqs (i32.lt_u (local.tee $si (i32.add (local.get $si) (i32.const 1))) (local.get $nseq))))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $inH)))))

    ;; grad(i, j) = Σ over taps (ky, kx) and classes c of w·e·u1 + w·z·e·u2 at block (i − ky + pad, j − kx + pad):
  ;; summed in float32 over the classes of a tap, then in float64 over the taps.
  (func (export "backward")
    (param $P i32) (param $D i32) (param $nw i32) (param $T i32) (param $Boff i32) (param $u1 i32) (param $u2 i32)
    (param $grad i32) (param $nby i32) (param $UW i32) (param $uo i32) (param $C i32) (param $R i32) (param $pad i32)
    (param $inH i32) (param $inWV i32) (param $PW i32) (param $E i32) (param $cached i32)
    (local $i i32) (local $jc i32) (local $ky i32) (local $kx i32) (local $bY i32) (local $q i32) (local $row i32)
    (local $b i32) (local $o i32) (local $to i32) (local $col i32) (local $stride i32) (local $half i32) (local $e i32)
    (local $acc v128) (local $lo v128) (local $hi v128) (local $acc2 v128) (local $lo2 v128) (local $hi2 v128)
    (local $tz i32) (local $u i32)
    (local.set $stride (i32.shl (local.get $UW) (i32.const 2)))
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (loop $rows
      (local.set $row (i32.add (local.get $P) (i32.mul (local.get $i) (local.get $half))))
      ;; The forward's exps of this row, or (no longer kept) the same computed again into the scratch row at E.
      (local.set $e (i32.add (local.get $E) (i32.mul (i32.mul (local.get $i) (local.get $nw)) (local.get $half))))
      (if (i32.eqz (local.get $cached))
        (then
          (local.set $e (local.get $E))
          (call $tableForward (local.get $row) (local.get $D) (local.get $nw) (local.get $T) (local.get $e) (local.get $PW))))
      (call $tableBackward (local.get $row) (local.get $D) (local.get $nw) (local.get $T) (local.get $e) (local.get $PW))
      (local.set $jc (i32.const 0))
      (loop $cols
        (local.set $col (i32.shl (i32.add (local.get $jc) (local.get $pad)) (i32.const 2)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $lo2 (v128.const i32x4 0 0 0 0))
        (local.set $hi2 (v128.const i32x4 0 0 0 0))
        (local.set $ky (i32.const 0))
        (loop $kys
          (local.set $bY (i32.add (i32.sub (local.get $i) (local.get $ky)) (local.get $pad)))
          (if (i32.and (i32.ge_s (local.get $bY) (i32.const 0)) (i32.lt_s (local.get $bY) (local.get $nby)))
            (then
              (local.set $o (i32.add (local.get $Boff) (i32.shl (i32.mul (i32.mul (local.get $ky) (local.get $R)) (local.get $C)) (i32.const 2))))
              (local.set $kx (i32.const 0))
              (loop $kxs
                ;; Byte offset of block (bY, jc − kx + pad), class 0, in u1 (and u2).
                (local.set $b (i32.shl (i32.add (i32.mul (i32.mul (local.get $bY) (local.get $C)) (local.get $UW))
                  (i32.add (local.get $uo) (i32.add (i32.sub (local.get $jc) (local.get $kx)) (local.get $pad)))) (i32.const 2)))
                (local.set $acc (v128.const i32x4 0 0 0 0))
                (local.set $acc2 (v128.const i32x4 0 0 0 0))
                (local.set $q (i32.const 0))
                (loop $classes
                  ;; Two independent chains (cells jc…jc+3 and jc+4…jc+7): each float32 sum waits on its last add.
                  (local.set $to (i32.add (i32.add (local.get $T) (i32.load (local.get $o))) (local.get $col)))
                  (local.set $tz (i32.add (local.get $to) (local.get $half)))
                  (local.set $u (i32.add (local.get $u1) (local.get $b)))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.add
                    (f32x4.mul (v128.load (local.get $to)) (v128.load (local.get $u)))
                    (f32x4.mul (v128.load (local.get $tz)) (v128.load (i32.add (local.get $u2) (local.get $b)))))))
                  (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.add
                    (f32x4.mul (v128.load offset=16 (local.get $to)) (v128.load offset=16 (local.get $u)))
                    (f32x4.mul (v128.load offset=16 (local.get $tz)) (v128.load offset=16 (i32.add (local.get $u2) (local.get $b)))))))
                  (local.set $b (i32.add (local.get $b) (local.get $stride)))
                  (local.set $o (i32.add (local.get $o) (i32.const 4)))
                  (br_if $classes (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $C))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $acc))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc)))))
                (local.set $lo2 (f64x2.add (local.get $lo2) (f64x2.promote_low_f32x4 (local.get $acc2))))
                (local.set $hi2 (f64x2.add (local.get $hi2) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc2) (local.get $acc2)))))
                (br_if $kxs (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $R))))))
          (br_if $kys (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $R))))
        (local.set $to (i32.add (local.get $grad) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $inWV)) (local.get $jc)) (i32.const 2))))
        (v128.store (local.get $to) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (v128.store offset=16 (local.get $to) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo2)) (f32x4.demote_f64x2_zero (local.get $hi2))))
        (br_if $cols (i32.lt_u (local.tee $jc (i32.add (local.get $jc) (i32.const 8))) (local.get $inWV))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $inH)))))
)
