;; WebAssembly SIMD kernels that work in place on the wasm backend's own heap (its memory is imported), for the
;; gradient steps XNNPACK has no kernel for; the JS side is heapKernels.ts. Addresses are byte offsets of float32
;; arrays as the backend allocated them (16-byte aligned by its malloc).
(module
  (import "tfjs" "memory" (memory 1))

  ;; out[i] = dy[i] where lo < y[i] < hi, else +0: the input gradient of y = clamp(z, lo, hi) written on its output.
  (func (export "clampMaskGrad") (param $dy i32) (param $y i32) (param $out i32) (param $n i32) (param $lo f32) (param $hi f32)
    (local $i i32) (local $vecEnd i32) (local $end i32) (local $lov v128) (local $hiv v128) (local $v v128) (local $s f32)
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vecEnd (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $v (v128.load (i32.add (local.get $y) (local.get $i))))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (v128.and
            (v128.load (i32.add (local.get $dy) (local.get $i)))
            (v128.and (f32x4.gt (local.get $v) (local.get $lov)) (f32x4.lt (local.get $v) (local.get $hiv)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $s (f32.load (i32.add (local.get $y) (local.get $i))))
        (f32.store (i32.add (local.get $out) (local.get $i))
          (select
            (f32.load (i32.add (local.get $dy) (local.get $i)))
            (f32.const 0)
            (i32.and (f32.gt (local.get $s) (local.get $lo)) (f32.lt (local.get $s) (local.get $hi)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))
;; out[p, c] = clamp(z[p, c] + bias[c], lo, hi) over `pixels` rows of `channels` values (a multiple of 4): the conv's
  ;; bias and activation as tfjs applies them after an unfused conv (float32 add, then clamp), bit for bit.
  (func (export "biasClamp") (param $z i32) (param $bias i32) (param $out i32) (param $pixels i32) (param $channels i32) (param $lo f32) (param $hi f32)
    (local $row i32) (local $rowEnd i32) (local $c i32) (local $rowBytes i32) (local $lov v128) (local $hiv v128)
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowEnd (i32.mul (local.get $pixels) (local.get $rowBytes)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $rowEnd)))
        (local.set $c (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (v128.store (i32.add (local.get $out) (i32.add (local.get $row) (local.get $c)))
              (f32x4.min
                (f32x4.max
                  (f32x4.add
                    (v128.load (i32.add (local.get $z) (i32.add (local.get $row) (local.get $c))))
                    (v128.load (i32.add (local.get $bias) (local.get $c))))
                  (local.get $lov))
                (local.get $hiv)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $cols)))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (br $rows))))
;; dx of a convolution into at most 4 channels (an image), in the stock wasm kernel's summation order, bit for bit: each
  ;; input pixel sums dy·w over its output rows ascending, then columns, then output channels, in one float32
  ;; accumulator (mul, then add) per channel; the four lanes are the input channels. The filter is rearranged as
  ;; F[ky][kx][co][4]. top/left are the transposed conv's pads (kh − 1 − pad top, kw − 1 − pad left).
  (func (export "convBackpropInputFewChannels")
    (param $dy i32) (param $f i32) (param $out i32) (param $n i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $ho i32) (param $wo i32) (param $co i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
    (param $top i32) (param $left i32)
    (local $b i32) (local $xr i32) (local $xc i32) (local $yr i32) (local $yc i32)
    (local $yr0 i32) (local $yr1 i32) (local $yc0 i32) (local $yc1raw i32) (local $yc1 i32) (local $xrc i32) (local $xcc i32)
    (local $d2 i32) (local $dyp i32) (local $fp i32) (local $o i32) (local $acc v128)
    (local $tapStep i32) (local $dyRow i32) (local $fRow i32)
    ;; bytes between the filter rows of neighbouring output columns (kx falls by sw), less the co lanes just read
    (local.set $tapStep (i32.shl (i32.mul (local.get $co) (i32.add (local.get $sw) (i32.const 1))) (i32.const 4)))
    (local.set $o (local.get $out))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $xr (i32.const 0))
      (block $xrDone (loop $xrLoop
        (br_if $xrDone (i32.ge_s (local.get $xr) (local.get $h)))
        ;; output rows yr with 0 ≤ yr·sh − xrc < kh
        (local.set $xrc (i32.sub (local.get $xr) (local.get $top)))
        (local.set $yr0 (call $ceilDivPos (local.get $xrc) (local.get $sh)))
        (local.set $yr1 (call $min (local.get $ho) (call $ceilDivPos (i32.add (local.get $kh) (local.get $xrc)) (local.get $sh))))
        ;; output columns likewise, kept up to date as xc advances (each bound moves by at most one per column)
        (local.set $xcc (i32.sub (i32.const 0) (local.get $left)))
        (local.set $yc0 (call $ceilDivPos (local.get $xcc) (local.get $sw)))
        (local.set $yc1raw (call $ceilDivPos (i32.add (local.get $kw) (local.get $xcc)) (local.get $sw)))
        (local.set $xc (i32.const 0))
        (block $xcDone (loop $xcLoop
          (br_if $xcDone (i32.ge_s (local.get $xc) (local.get $w)))
          (local.set $yc1 (call $min (local.get $wo) (local.get $yc1raw)))
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $yr (local.get $yr0))
          (block $yrDone (loop $yrLoop
            (br_if $yrDone (i32.ge_s (local.get $yr) (local.get $yr1)))
            (local.set $dyp (i32.add (local.get $dy) (i32.shl
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ho)) (local.get $yr)) (local.get $wo)) (local.get $yc0)) (local.get $co))
              (i32.const 2))))
            ;; tap (kh − 1 − wr, kw − 1 − wc), wr = yr·sh − xrc, wc = yc·sw − xcc
            (local.set $fp (i32.add (local.get $f) (i32.shl
              (i32.mul
                (i32.add
                  (i32.mul (i32.sub (i32.sub (local.get $kh) (i32.const 1)) (i32.sub (i32.mul (local.get $yr) (local.get $sh)) (local.get $xrc))) (local.get $kw))
                  (i32.sub (i32.sub (local.get $kw) (i32.const 1)) (i32.sub (i32.mul (local.get $yc0) (local.get $sw)) (local.get $xcc))))
                (local.get $co))
              (i32.const 4))))
            (local.set $yc (local.get $yc0))
            (block $ycDone (loop $ycLoop
              (br_if $ycDone (i32.ge_s (local.get $yc) (local.get $yc1)))
              (local.set $d2 (local.get $co))
              (loop $dLoop
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load32_splat (local.get $dyp)) (v128.load (local.get $fp)))))
                (local.set $dyp (i32.add (local.get $dyp) (i32.const 4)))
                (local.set $fp (i32.add (local.get $fp) (i32.const 16)))
                (br_if $dLoop (local.tee $d2 (i32.sub (local.get $d2) (i32.const 1)))))
              ;; dy of the next column follows on; its tap is sw columns to the left
              (local.set $fp (i32.sub (local.get $fp) (local.get $tapStep)))
              (local.set $yc (i32.add (local.get $yc) (i32.const 1)))
              (br $ycLoop)))
            (local.set $yr (i32.add (local.get $yr) (i32.const 1)))
            (br $yrLoop)))
          (f32.store (local.get $o) (f32x4.extract_lane 0 (local.get $acc)))
          (if (i32.gt_s (local.get $ci) (i32.const 1)) (then (f32.store offset=4 (local.get $o) (f32x4.extract_lane 1 (local.get $acc)))))
          (if (i32.gt_s (local.get $ci) (i32.const 2)) (then (f32.store offset=8 (local.get $o) (f32x4.extract_lane 2 (local.get $acc)))))
          (if (i32.gt_s (local.get $ci) (i32.const 3)) (then (f32.store offset=12 (local.get $o) (f32x4.extract_lane 3 (local.get $acc)))))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $ci) (i32.const 2))))
          (local.set $xc (i32.add (local.get $xc) (i32.const 1)))
          (local.set $xcc (i32.add (local.get $xcc) (i32.const 1)))
          ;; ⌈xcc/sw⌉ and ⌈(kw + xcc)/sw⌉ grow by one when their numerator passes a multiple of sw
          (if (i32.gt_s (local.get $xcc) (i32.mul (local.get $yc0) (local.get $sw)))
            (then (local.set $yc0 (i32.add (local.get $yc0) (i32.const 1)))))
          (if (i32.gt_s (i32.add (local.get $kw) (local.get $xcc)) (i32.mul (local.get $yc1raw) (local.get $sw)))
            (then (local.set $yc1raw (i32.add (local.get $yc1raw) (i32.const 1)))))
          (br $xcLoop)))
        (local.set $xr (i32.add (local.get $xr) (i32.const 1)))
        (br $xrLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; ⌈a / d⌉ for d > 0, and 0 for a ≤ 0.
  (func $ceilDivPos (param $a i32) (param $d i32) (result i32)
    (if (result i32) (i32.le_s (local.get $a) (i32.const 0))
      (then (i32.const 0))
      (else (i32.div_s (i32.sub (i32.add (local.get $a) (local.get $d)) (i32.const 1)) (local.get $d)))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))
;; dx of a depthwise convolution (channel multiplier 1, channels a multiple of 4). Each input pixel sums dy·w over
  ;; its taps in the order XNNPACK's depthwise kernel visits them when the backward pass is a stride-1 VALID
  ;; correlation of the zero-inserted, padded dy with the flipped filter (wasmGradKernels.ts composed it that way
  ;; before): flipped taps column by column (kx descending outer, ky descending inner), in one float32 accumulator per
  ;; channel (mul, then add; checked bit for bit against that composition). Taps that fall on inserted zeros or
  ;; padding only ever added an exact zero to an accumulator that is never −0, so they are skipped.
  ;; The caller lists each input row's and column's contributing taps in that order (no division here):
  ;;   rows[iy] = count, then (dy row byte offset, filter row byte offset) per tap    (1 + 2·kh int32 per row)
  ;;   cols[ix] = count, then (dy column byte offset, filter column byte offset)      (1 + 2·kw int32 per column)
  ;; Channels go 16, then 8, then 4 at a time, with as many independent accumulators (the adds' latency bound).
  (func (export "depthwiseBackpropInput")
    (param $dy i32) (param $w i32) (param $out i32) (param $n i32) (param $h i32) (param $wd i32) (param $c i32)
    (param $ho i32) (param $wo i32) (param $rows i32) (param $cols i32) (param $kh i32) (param $kw i32)
    (local $b i32) (local $iy i32) (local $ix i32) (local $o i32) (local $rowBytes i32) (local $dyB i32)
    (local $rp i32) (local $cp i32) (local $g i32) (local $rowStride i32) (local $colStride i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowStride (i32.shl (i32.add (i32.shl (local.get $kh) (i32.const 1)) (i32.const 1)) (i32.const 2)))
    (local.set $colStride (i32.shl (i32.add (i32.shl (local.get $kw) (i32.const 1)) (i32.const 1)) (i32.const 2)))
    (local.set $o (local.get $out))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $dyB (i32.add (local.get $dy) (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $ho)) (local.get $wo)) (local.get $rowBytes))))
      (local.set $iy (i32.const 0))
      (local.set $rp (local.get $rows))
      (block $yDone (loop $yLoop
        (br_if $yDone (i32.ge_s (local.get $iy) (local.get $h)))
        (local.set $ix (i32.const 0))
        (local.set $cp (local.get $cols))
        (block $xDone (loop $xLoop
          (br_if $xDone (i32.ge_s (local.get $ix) (local.get $wd)))
          (local.set $g (i32.const 0))
          (block $g16Done (loop $g16
            (br_if $g16Done (i32.gt_u (i32.add (local.get $g) (i32.const 64)) (local.get $rowBytes)))
            (call $dwTaps4 (local.get $dyB) (local.get $w) (i32.add (local.get $o) (local.get $g)) (local.get $rp) (local.get $cp) (local.get $g))
            (local.set $g (i32.add (local.get $g) (i32.const 64)))
            (br $g16)))
          (if (i32.le_u (i32.add (local.get $g) (i32.const 32)) (local.get $rowBytes)) (then
            (call $dwTaps2 (local.get $dyB) (local.get $w) (i32.add (local.get $o) (local.get $g)) (local.get $rp) (local.get $cp) (local.get $g))
            (local.set $g (i32.add (local.get $g) (i32.const 32)))))
          (if (i32.le_u (i32.add (local.get $g) (i32.const 16)) (local.get $rowBytes)) (then
            (call $dwTaps1 (local.get $dyB) (local.get $w) (i32.add (local.get $o) (local.get $g)) (local.get $rp) (local.get $cp) (local.get $g))))
          (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
          (local.set $cp (i32.add (local.get $cp) (local.get $colStride)))
          (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
          (br $xLoop)))
        (local.set $rp (i32.add (local.get $rp) (local.get $rowStride)))
        (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
        (br $yLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; 16 channels at byte offset g of one input pixel: its taps (column list outer, row list inner) into 4 accumulators.
  (func $dwTaps4 (param $dyB i32) (param $w i32) (param $o i32) (param $rp i32) (param $cp i32) (param $g i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $cn i32) (local $cq i32) (local $rn i32) (local $rq i32) (local $dc i32) (local $wc i32) (local $d i32) (local $f i32)
    (local.set $cn (i32.load (local.get $cp)))
    (local.set $cq (i32.add (local.get $cp) (i32.const 4)))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.eqz (local.get $cn)))
      (local.set $dc (i32.add (i32.add (local.get $dyB) (local.get $g)) (i32.load (local.get $cq))))
      (local.set $wc (i32.add (i32.add (local.get $w) (local.get $g)) (i32.load offset=4 (local.get $cq))))
      (local.set $rn (i32.load (local.get $rp)))
      (local.set $rq (i32.add (local.get $rp) (i32.const 4)))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.eqz (local.get $rn)))
        (local.set $d (i32.add (local.get $dc) (i32.load (local.get $rq))))
        (local.set $f (i32.add (local.get $wc) (i32.load offset=4 (local.get $rq))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $d)) (v128.load (local.get $f)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $d)) (v128.load offset=16 (local.get $f)))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $d)) (v128.load offset=32 (local.get $f)))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $d)) (v128.load offset=48 (local.get $f)))))
        (local.set $rq (i32.add (local.get $rq) (i32.const 8)))
        (local.set $rn (i32.sub (local.get $rn) (i32.const 1)))
        (br $rLoop)))
      (local.set $cq (i32.add (local.get $cq) (i32.const 8)))
      (local.set $cn (i32.sub (local.get $cn) (i32.const 1)))
      (br $cLoop)))
    (v128.store (local.get $o) (local.get $a0))
    (v128.store offset=16 (local.get $o) (local.get $a1))
    (v128.store offset=32 (local.get $o) (local.get $a2))
    (v128.store offset=48 (local.get $o) (local.get $a3)))

  ;; The same for 8 channels.
  (func $dwTaps2 (param $dyB i32) (param $w i32) (param $o i32) (param $rp i32) (param $cp i32) (param $g i32)
    (local $a0 v128) (local $a1 v128)
    (local $cn i32) (local $cq i32) (local $rn i32) (local $rq i32) (local $dc i32) (local $wc i32) (local $d i32) (local $f i32)
    (local.set $cn (i32.load (local.get $cp)))
    (local.set $cq (i32.add (local.get $cp) (i32.const 4)))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.eqz (local.get $cn)))
      (local.set $dc (i32.add (i32.add (local.get $dyB) (local.get $g)) (i32.load (local.get $cq))))
      (local.set $wc (i32.add (i32.add (local.get $w) (local.get $g)) (i32.load offset=4 (local.get $cq))))
      (local.set $rn (i32.load (local.get $rp)))
      (local.set $rq (i32.add (local.get $rp) (i32.const 4)))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.eqz (local.get $rn)))
        (local.set $d (i32.add (local.get $dc) (i32.load (local.get $rq))))
        (local.set $f (i32.add (local.get $wc) (i32.load offset=4 (local.get $rq))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $d)) (v128.load (local.get $f)))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $d)) (v128.load offset=16 (local.get $f)))))
        (local.set $rq (i32.add (local.get $rq) (i32.const 8)))
        (local.set $rn (i32.sub (local.get $rn) (i32.const 1)))
        (br $rLoop)))
      (local.set $cq (i32.add (local.get $cq) (i32.const 8)))
      (local.set $cn (i32.sub (local.get $cn) (i32.const 1)))
      (br $cLoop)))
    (v128.store (local.get $o) (local.get $a0))
    (v128.store offset=16 (local.get $o) (local.get $a1)))

  ;; The same for 4 channels.
  (func $dwTaps1 (param $dyB i32) (param $w i32) (param $o i32) (param $rp i32) (param $cp i32) (param $g i32)
    (local $a0 v128)
    (local $cn i32) (local $cq i32) (local $rn i32) (local $rq i32) (local $dc i32) (local $wc i32) (local $d i32) (local $f i32)
    (local.set $cn (i32.load (local.get $cp)))
    (local.set $cq (i32.add (local.get $cp) (i32.const 4)))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.eqz (local.get $cn)))
      (local.set $dc (i32.add (i32.add (local.get $dyB) (local.get $g)) (i32.load (local.get $cq))))
      (local.set $wc (i32.add (i32.add (local.get $w) (local.get $g)) (i32.load offset=4 (local.get $cq))))
      (local.set $rn (i32.load (local.get $rp)))
      (local.set $rq (i32.add (local.get $rp) (i32.const 4)))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.eqz (local.get $rn)))
        (local.set $d (i32.add (local.get $dc) (i32.load (local.get $rq))))
        (local.set $f (i32.add (local.get $wc) (i32.load offset=4 (local.get $rq))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $d)) (v128.load (local.get $f)))))
        (local.set $rq (i32.add (local.get $rq) (i32.const 8)))
        (local.set $rn (i32.sub (local.get $rn) (i32.const 1)))
        (br $rLoop)))
      (local.set $cq (i32.add (local.get $cq) (i32.const 8)))
      (local.set $cn (i32.sub (local.get $cn) (i32.const 1)))
      (br $cLoop)))
    (v128.store (local.get $o) (local.get $a0)))
)
