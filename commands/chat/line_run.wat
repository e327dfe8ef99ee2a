;; The chat server's hot path for a flood of plain lines (see line_run.ts): one pass over
;; a read's complete lines that checks each is an ordinary message and writes it as
;; line clients see it, `PREFIX` + text + LF. In WebAssembly because a burst is often the
;; first thing a server sees: JavaScript's byte loops (and its regular expressions) are
;; slow until they are compiled, while this is fast from its first call.
;;
;; Built into line_run_wasm.ts by `deno task wasm` (wabt's wat2wasm); a test checks that
;; the two agree.
(module
  (memory (export "memory") 4)

  ;; How many lines the last successful call wrote.
  (global $count (export "count") (mut i32) (i32.const 0))

  ;; prefixLines(in, len, prefix, prefixLen, out, outEnd, maxText) -> bytes written at
  ;; `out`, or -1 when a line is not an ordinary message, or -2 when [out, outEnd) may be
  ;; too small (grow the memory and call again).
  ;;
  ;; The input is lines each ended by LF. A line is ordinary when every byte is printable
  ;; ASCII (0x20-0x7e) or a tab, it does not start with "/" (a command), it has a byte
  ;; other than space and tab (not blank), and it has at most `maxText` bytes before its
  ;; LF. Anything else (CR, control bytes, UTF-8) is for the general, line-by-line path.
  (func (export "prefixLines")
    (param $in i32) (param $len i32) (param $prefix i32) (param $prefixLen i32)
    (param $out i32) (param $outEnd i32) (param $maxText i32) (result i32)
    (local $i i32) (local $end i32) (local $o i32) (local $start i32) (local $b i32)
    (local $k i32) (local $text i32) (local $lines i32)
    (local.set $i (local.get $in))
    (local.set $end (i32.add (local.get $in) (local.get $len)))
    (local.set $o (local.get $out))
    (block $notOrdinary
      (loop $line
        (if (i32.ge_u (local.get $i) (local.get $end))
          (then
            (global.set $count (local.get $lines))
            (return (i32.sub (local.get $o) (local.get $out)))))
        (br_if $notOrdinary (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2f)))
        ;; This line (at most the rest of the input) and its prefix must fit.
        (if (i32.gt_u
              (i32.add (i32.add (local.get $o) (local.get $prefixLen))
                       (i32.sub (local.get $end) (local.get $i)))
              (local.get $outEnd))
          (then (return (i32.const -2))))
        ;; The prefix, a byte at a time: names are short, and a call per line would cost more.
        (local.set $k (i32.const 0))
        (block $prefixed
          (loop $copy
            (br_if $prefixed (i32.ge_u (local.get $k) (local.get $prefixLen)))
            (i32.store8 (i32.add (local.get $o) (local.get $k))
                        (i32.load8_u (i32.add (local.get $prefix) (local.get $k))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $copy)))
        (local.set $o (i32.add (local.get $o) (local.get $prefixLen)))
        (local.set $start (local.get $i))
        (local.set $text (i32.const 0))
        (block $eol
          (loop $byte
            (br_if $notOrdinary (i32.ge_u (local.get $i) (local.get $end))) ;; no LF
            (local.set $b (i32.load8_u (local.get $i)))
            (br_if $eol (i32.eq (local.get $b) (i32.const 0x0a)))
            ;; 0x21-0x7e is text; of the rest only space and tab may be in a line.
            (if (i32.gt_u (i32.sub (local.get $b) (i32.const 0x21)) (i32.const 0x5d))
              (then
                (br_if $notOrdinary
                  (i32.and (i32.ne (local.get $b) (i32.const 0x20))
                           (i32.ne (local.get $b) (i32.const 0x09)))))
              (else (local.set $text (i32.const 1))))
            (i32.store8 (local.get $o) (local.get $b))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $byte)))
        (br_if $notOrdinary (i32.eqz (local.get $text)))
        (br_if $notOrdinary (i32.gt_u (i32.sub (local.get $i) (local.get $start))
                                      (local.get $maxText)))
        (i32.store8 (local.get $o) (i32.const 0x0a))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
        (br $line)))
    (i32.const -1)))
