;; WebAssembly SIMD kernel of the smooth-max mask generator (METHODS.md §1.4), one mask per call; the layouts and
;; the JS side are in smoothMaxKernel.ts.
;;
;; A term of the smooth max is e = exp(20·z), z = w·p, for a parameter p and a tap weight w; the weight takes few
;; distinct values (the bump is radial: 461 for step 7, sigma 21, against 81 taps × 49 pixel classes). So, one row of
;; parameters at a time, the kernel tabulates the terms for every (distinct weight, parameter of the row), four
;; parameters per f32x4 (vectorised exp, Cephes expf, ~1 ulp), and then sums rows of that table: a block's four lanes
;; are four neighbouring blocks (forward) or cells (backward), which read four neighbouring parameters of the same
;; weight, one contiguous load. Zero parameters (e = 1, z = 0) skip the exp; windows of only zeros are skipped.
;;
;; The forward sums in float64 like the JavaScript loops: a pixel's Σe and Σz·e are then the same up to ~1e-16
;; whatever the order of its terms, so pixels that are mirror images (same terms, other order) get equal float32
;; masks, and the area term's rank ties (§1.5) fall as they do with the JavaScript loops.
;;
;; Memory (byte offsets chosen by the caller, 16-byte aligned; PW, the parameter row width, is a multiple of 4):
;;   P     f32 [inH][PW]          parameters, cell (i, j) at column j + pad, zeros around the grid
;;   D     f32 [nw]               the distinct weights
;;   T     f32 [nw][2][PW]        the table of one parameter row: forward (e − 1, z·e), backward (w·e, w·z·e)
;;   Toff  i32 [R][C][R]          forward: byte offset in T of the weight of tap (ky, kx), class c, at [ky][c][kx]
;;   Boff  i32 [R·R][C]           backward: the same at [ky·R + kx][c]
;;   den, num  f64 [nby][C][nbxV] per block (bY, bX) and class: Σe and Σz·e (forward output)
;;   u1, u2    f32 [nby][C][UW]   per block and class, block column bX at uo + bX, zeros elsewhere (backward input)
;;   grad  f32 [inH][inWV]        ∂/∂P (backward output)
(module
  (memory (export "memory") 1)

  ;; 1 when the f32 values at [from, to) (byte addresses, steps of 16) are all zero.
  (func $allZero (param $from i32) (param $to i32) (result i32)
    (local $or v128)
    (loop $each
      (local.set $or (v128.or (local.get $or) (v128.load (local.get $from))))
      (br_if $each (i32.lt_u (local.tee $from (i32.add (local.get $from) (i32.const 16))) (local.get $to))))
    (i32.eqz (v128.any_true (local.get $or))))

  ;; The table of parameter row `row` (byte address, PW floats): for each distinct weight w and parameter p,
  ;; forward (backward = 0): e − 1 and z·e; backward: w·e and w·z·e; z = w·p, e = exp(20·z).
  (func $table (param $row i32) (param $D i32) (param $nw i32) (param $T i32) (param $PW i32) (param $backward i32)
    (local $wi i32) (local $c i32) (local $half i32) (local $t i32)
    (local $w v128) (local $p v128) (local $z v128) (local $e v128) (local $k v128) (local $x v128) (local $y v128)
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (local.set $t (local.get $T))
    (loop $weights
      (local.set $w (v128.load32_splat (i32.add (local.get $D) (i32.shl (local.get $wi) (i32.const 2)))))
      (local.set $c (i32.const 0))
      (loop $cols
        (local.set $p (v128.load (i32.add (local.get $row) (local.get $c))))
        (if (v128.any_true (local.get $p))
          (then
            (local.set $z (f32x4.mul (local.get $w) (local.get $p)))
            ;; e = exp(20·z), z ≥ 0 (w·p with w, p ∈ [0, 1]): 20·z = k·ln2 + r, |r| ≤ ln2/2,
            ;; e = 2^k·(1 + r + r²·poly(r)). 20·z enters the reduction as 16·z + 4·z (both exact), so r carries
            ;; no rounding of 20·z.
            (local.set $k (f32x4.min (f32x4.max (f32x4.nearest (f32x4.mul (f32x4.mul (local.get $z) (v128.const f32x4 20 20 20 20))
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
            (local.set $e (f32x4.mul (local.get $y) (i32x4.shl
              (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
            (if (local.get $backward)
              (then
                (local.set $e (f32x4.mul (local.get $w) (local.get $e)))
                (v128.store (i32.add (local.get $t) (local.get $c)) (local.get $e))
                (v128.store (i32.add (i32.add (local.get $t) (local.get $half)) (local.get $c)) (f32x4.mul (local.get $e) (local.get $z))))
              (else
                (v128.store (i32.add (local.get $t) (local.get $c)) (f32x4.sub (local.get $e) (v128.const f32x4 1 1 1 1)))
                (v128.store (i32.add (i32.add (local.get $t) (local.get $half)) (local.get $c)) (f32x4.mul (local.get $z) (local.get $e))))))
          (else
            ;; p = 0: e = 1, z = 0.
            (v128.store (i32.add (local.get $t) (local.get $c))
              (select (local.get $w) (v128.const i32x4 0 0 0 0) (local.get $backward)))
            (v128.store (i32.add (i32.add (local.get $t) (local.get $half)) (local.get $c)) (v128.const i32x4 0 0 0 0))))
        (br_if $cols (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $half))))
      (local.set $t (i32.add (local.get $t) (i32.shl (local.get $half) (i32.const 1))))
      (br_if $weights (i32.lt_u (local.tee $wi (i32.add (local.get $wi) (i32.const 1))) (local.get $nw)))))

  ;; den := R² (every tap starts as a zero tap, e = 1), num := 0; then each non-zero tap adds e − 1 and z·e.
  (func (export "forward")
    (param $P i32) (param $D i32) (param $nw i32) (param $T i32) (param $Toff i32) (param $den i32) (param $num i32)
    (param $nby i32) (param $nbxV i32) (param $C i32) (param $R i32) (param $pad i32) (param $inH i32) (param $PW i32)
    (local $i i32) (local $ky i32) (local $kx i32) (local $bY i32) (local $bx i32) (local $q i32) (local $row i32)
    (local $d i32) (local $n i32) (local $end i32) (local $stride i32) (local $half i32) (local $o i32) (local $to i32)
    (local $col i32) (local $span i32)
    (local $em1 v128) (local $ze v128) (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
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
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    ;; Bytes of parameters a group of four blocks sees along a row: 4 + R − 1 floats, rounded up to 16 bytes.
    (local.set $span (i32.and (i32.add (i32.shl (i32.add (local.get $R) (i32.const 3)) (i32.const 2)) (i32.const 15)) (i32.const -16)))
    (loop $rows
      (local.set $row (i32.add (local.get $P) (i32.mul (local.get $i) (local.get $half))))
      (if (i32.eqz (call $allZero (local.get $row) (i32.add (local.get $row) (local.get $half))))
        (then
          (call $table (local.get $row) (local.get $D) (local.get $nw) (local.get $T) (local.get $PW) (i32.const 0))
          (local.set $ky (i32.const 0))
          (loop $kys
            ;; Block row bY sees parameter row i at window row ky.
            (local.set $bY (i32.add (i32.sub (local.get $i) (local.get $ky)) (local.get $pad)))
            (if (i32.and (i32.ge_s (local.get $bY) (i32.const 0)) (i32.lt_s (local.get $bY) (local.get $nby)))
              (then
                (local.set $bx (i32.const 0))
                (loop $cols
                  ;; Blocks bx…bx+3 see parameter columns bx…bx+3+R−1 (table columns, cell + pad).
                  (local.set $col (i32.shl (local.get $bx) (i32.const 2)))
                  (if (i32.eqz (call $allZero (i32.add (local.get $row) (local.get $col))
                      (i32.add (i32.add (local.get $row) (local.get $col)) (local.get $span))))
                    (then
                      (local.set $d (i32.add (local.get $den)
                        (i32.add (i32.mul (i32.mul (local.get $bY) (local.get $C)) (local.get $stride)) (i32.shl (local.get $bx) (i32.const 3)))))
                      (local.set $n (i32.add (local.get $num) (i32.sub (local.get $d) (local.get $den))))
                      (local.set $o (i32.add (local.get $Toff) (i32.shl (i32.mul (i32.mul (local.get $ky) (local.get $C)) (local.get $R)) (i32.const 2))))
                      (local.set $q (i32.const 0))
                      (loop $classes
                        (local.set $a0 (v128.const i32x4 0 0 0 0))
                        (local.set $a1 (v128.const i32x4 0 0 0 0))
                        (local.set $b0 (v128.const i32x4 0 0 0 0))
                        (local.set $b1 (v128.const i32x4 0 0 0 0))
                        (local.set $kx (i32.const 0))
                        (loop $kxs
                          ;; Table entry of (tap (ky, kx), class q) at column bx + kx.
                          (local.set $to (i32.add (i32.add (local.get $T) (i32.load (local.get $o)))
                            (i32.add (local.get $col) (i32.shl (local.get $kx) (i32.const 2)))))
                          (local.set $em1 (v128.load (local.get $to)))
                          (local.set $ze (v128.load (i32.add (local.get $to) (local.get $half))))
                          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $em1))))
                          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4
                            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $em1) (local.get $em1)))))
                          (local.set $b0 (f64x2.add (local.get $b0) (f64x2.promote_low_f32x4 (local.get $ze))))
                          (local.set $b1 (f64x2.add (local.get $b1) (f64x2.promote_low_f32x4
                            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ze) (local.get $ze)))))
                          (local.set $o (i32.add (local.get $o) (i32.const 4)))
                          (br_if $kxs (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $R))))
                        (v128.store (local.get $d) (f64x2.add (v128.load (local.get $d)) (local.get $a0)))
                        (v128.store offset=16 (local.get $d) (f64x2.add (v128.load offset=16 (local.get $d)) (local.get $a1)))
                        (v128.store (local.get $n) (f64x2.add (v128.load (local.get $n)) (local.get $b0)))
                        (v128.store offset=16 (local.get $n) (f64x2.add (v128.load offset=16 (local.get $n)) (local.get $b1)))
                        (local.set $d (i32.add (local.get $d) (local.get $stride)))
                        (local.set $n (i32.add (local.get $n) (local.get $stride)))
                        (br_if $classes (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $C))))))
                  (br_if $cols (i32.lt_u (local.tee $bx (i32.add (local.get $bx) (i32.const 4))) (local.get $nbxV))))))
            (br_if $kys (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $R))))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $inH)))))

  ;; grad(i, j) = Σ over taps (ky, kx) and classes c of w·e·u1 + w·z·e·u2 at block (i − ky + pad, j − kx + pad):
  ;; summed in float32 over the classes of a tap, then in float64 over the taps.
  (func (export "backward")
    (param $P i32) (param $D i32) (param $nw i32) (param $T i32) (param $Boff i32) (param $u1 i32) (param $u2 i32)
    (param $grad i32) (param $nby i32) (param $UW i32) (param $uo i32) (param $C i32) (param $R i32) (param $pad i32)
    (param $inH i32) (param $inWV i32) (param $PW i32)
    (local $i i32) (local $jc i32) (local $ky i32) (local $kx i32) (local $bY i32) (local $q i32) (local $row i32)
    (local $b i32) (local $o i32) (local $to i32) (local $col i32) (local $stride i32) (local $half i32)
    (local $acc v128) (local $lo v128) (local $hi v128)
    (local.set $stride (i32.shl (local.get $UW) (i32.const 2)))
    (local.set $half (i32.shl (local.get $PW) (i32.const 2)))
    (loop $rows
      (local.set $row (i32.add (local.get $P) (i32.mul (local.get $i) (local.get $half))))
      (call $table (local.get $row) (local.get $D) (local.get $nw) (local.get $T) (local.get $PW) (i32.const 1))
      (local.set $jc (i32.const 0))
      (loop $cols
        (local.set $col (i32.shl (i32.add (local.get $jc) (local.get $pad)) (i32.const 2)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
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
                (local.set $q (i32.const 0))
                (loop $classes
                  (local.set $to (i32.add (i32.add (local.get $T) (i32.load (local.get $o))) (local.get $col)))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.add
                    (f32x4.mul (v128.load (local.get $to)) (v128.load (i32.add (local.get $u1) (local.get $b))))
                    (f32x4.mul (v128.load (i32.add (local.get $to) (local.get $half))) (v128.load (i32.add (local.get $u2) (local.get $b)))))))
                  (local.set $b (i32.add (local.get $b) (local.get $stride)))
                  (local.set $o (i32.add (local.get $o) (i32.const 4)))
                  (br_if $classes (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $C))))
                (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $acc))))
                (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc)))))
                (br_if $kxs (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $R))))))
          (br_if $kys (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $R))))
        (v128.store (i32.add (local.get $grad) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $inWV)) (local.get $jc)) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (br_if $cols (i32.lt_u (local.tee $jc (i32.add (local.get $jc) (i32.const 4))) (local.get $inWV))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $inH)))))
)
