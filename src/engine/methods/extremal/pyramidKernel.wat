;; The perturbation pyramid's level interpolation and its gradient (METHODS.md §1.3) for hostPyramid.ts, in plain
;; (scalar) WebAssembly: the same float32 steps as its JavaScript loops (a float32 operation and JavaScript's float64
;; one rounded to float32 agree for +, −, ×), the gradient's sums in float64 in the same order, about twice as
;; fast as the loops. Byte addresses chosen by the caller; Y f32 [L][pixels][C], masks f32 [count·pixels].

(module
  (memory (export "memory") 1)

  ;; out[(first·pixels + i)·C + c] = (1 − f)·Y[k] + f·Y[min(k + 1, L − 1)], w = m·(L − 1), k = floor(w), f = w − k,
  ;; m = mask[i] (1 − mask[i] when `invert`).
  (func (export "apply") (param $Y i32) (param $pixels i32) (param $C i32) (param $top i32) (param $mask i32)
    (param $count i32) (param $invert i32) (param $out i32)
    (local $i i32) (local $n i32) (local $p i32) (local $c i32) (local $k i32) (local $lo i32) (local $hi i32)
    (local $level i32) (local $m f32) (local $w f32) (local $f f32) (local $g f32) (local $topf f32)
    (local.set $n (i32.mul (local.get $count) (local.get $pixels)))
    (local.set $level (i32.shl (i32.mul (local.get $pixels) (local.get $C)) (i32.const 2)))
    (local.set $topf (f32.convert_i32_s (local.get $top)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $m (f32.load (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2)))))
        (if (local.get $invert) (then (local.set $m (f32.sub (f32.const 1) (local.get $m)))))
        (local.set $w (f32.mul (local.get $m) (local.get $topf)))
        (local.set $k (i32.trunc_f32_s (f32.floor (local.get $w))))
        (local.set $f (f32.sub (local.get $w) (f32.convert_i32_s (local.get $k))))
        (local.set $g (f32.sub (f32.const 1) (local.get $f)))
        (local.set $lo (i32.add (local.get $Y) (i32.add (i32.mul (local.get $k) (local.get $level))
          (i32.shl (i32.mul (local.get $p) (local.get $C)) (i32.const 2)))))
        (local.set $hi (select (i32.add (local.get $lo) (local.get $level)) (local.get $lo) (i32.lt_s (local.get $k) (local.get $top))))
        (local.set $c (i32.const 0))
        (loop $channels
          (f32.store (local.get $out) (f32.add (f32.mul (local.get $g) (f32.load (local.get $lo))) (f32.mul (local.get $f) (f32.load (local.get $hi)))))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $lo (i32.add (local.get $lo) (i32.const 4)))
          (local.set $hi (i32.add (local.get $hi) (i32.const 4)))
          (br_if $channels (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.eq (local.get $p) (local.get $pixels)) (then (local.set $p (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))

  ;; grad[i] += scale·Σ_c dy[i·C + c]·(Y[min(k + 1, L − 1)]_c − Y[k]_c) in float64, k as in apply; grad f64 [count·pixels].
  (func (export "backward") (param $Y i32) (param $pixels i32) (param $C i32) (param $top i32) (param $mask i32)
    (param $count i32) (param $invert i32) (param $dy i32) (param $scale f64) (param $grad i32)
    (local $i i32) (local $n i32) (local $p i32) (local $c i32) (local $k i32) (local $lo i32) (local $hi i32)
    (local $level i32) (local $m f32) (local $topf f32) (local $s f64) (local $to i32)
    (local.set $n (i32.mul (local.get $count) (local.get $pixels)))
    (local.set $level (i32.shl (i32.mul (local.get $pixels) (local.get $C)) (i32.const 2)))
    (local.set $topf (f32.convert_i32_s (local.get $top)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $m (f32.load (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2)))))
        (if (local.get $invert) (then (local.set $m (f32.sub (f32.const 1) (local.get $m)))))
        (local.set $k (i32.trunc_f32_s (f32.floor (f32.mul (local.get $m) (local.get $topf)))))
        (local.set $lo (i32.add (local.get $Y) (i32.add (i32.mul (local.get $k) (local.get $level))
          (i32.shl (i32.mul (local.get $p) (local.get $C)) (i32.const 2)))))
        (local.set $hi (select (i32.add (local.get $lo) (local.get $level)) (local.get $lo) (i32.lt_s (local.get $k) (local.get $top))))
        (local.set $s (f64.const 0))
        (local.set $c (i32.const 0))
        (loop $channels
          (local.set $s (f64.add (local.get $s) (f64.mul (f64.promote_f32 (f32.load (local.get $dy)))
            (f64.sub (f64.promote_f32 (f32.load (local.get $hi))) (f64.promote_f32 (f32.load (local.get $lo)))))))
          (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
          (local.set $lo (i32.add (local.get $lo) (i32.const 4)))
          (local.set $hi (i32.add (local.get $hi) (i32.const 4)))
          (br_if $channels (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $C))))
        (local.set $to (i32.add (local.get $grad) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $to) (f64.add (f64.load (local.get $to)) (f64.mul (local.get $scale) (local.get $s))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.eq (local.get $p) (local.get $pixels)) (then (local.set $p (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
)
