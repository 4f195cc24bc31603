#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate module/core/sizeclasses.h, goslab's table of small-object size classes.

goslab uses the Go runtime's size classes.  This script derives them the way
Go's runtime/mksizeclasses.go does, for 8 KiB heap pages and a 32 KiB largest
small object, checks the result against Go's published table and against the
properties the allocator relies on, and writes a kernel header.

Usage:
  scripts/mksizeclasses.py              write module/core/sizeclasses.h
  scripts/mksizeclasses.py -o FILE      write FILE instead
  scripts/mksizeclasses.py --check      regenerate into a temporary file and
                                        compare with module/core/sizeclasses.h;
                                        exit 1 if it is stale
  scripts/mksizeclasses.py --stdout     print the header instead of writing it

Any failed self-check prints a message and exits with status 1.  Only the
Python 3 standard library is used.
"""

import argparse
import difflib
import os
import sys
import tempfile
from fractions import Fraction

# Geometry.  These must agree with the #defines emitted below.
PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT        # goslab's "heap page", the span unit
MAX_SMALL_SIZE = 32768             # largest object served from a size class
TINY_SIZE = 16                     # tiny objects are packed into blocks this big
SMALL_SIZE_DIV = 8                 # granule of the fine lookup table
SMALL_SIZE_MAX = 1024              # largest size looked up in the fine table
LARGE_SIZE_DIV = 128               # granule of the coarse lookup table
MIN_ALIGN = 8                      # every object is at least 8-byte aligned
NUM_SIZE_CLASSES = 68              # class 0 (unused) + 67 real classes

# Largest tail waste allowed per span, as a fraction of the span.
TAIL_WASTE_LIMIT = Fraction(1, 8)

# Go's table (runtime/sizeclasses.go, unchanged since Go 1.21 added the
# 24-byte class), used only to check what we derive.  Entry i is class i.
GO_CLASS_TO_SIZE = [
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208,
    224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704,
    768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072,
    3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760,
    24576, 27264, 28672, 32768,
]
GO_CLASS_TO_NPAGES = [
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3,
    2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4,
]
# The "max waste" column of Go's header comment, in hundredths of a percent.
GO_MAX_WASTE_BP = [
    None, 8750, 4375, 2924, 2188, 3152, 2344, 1907, 1595, 1356, 1172, 1182,
    973, 959, 925, 812, 815, 662, 586, 1216, 1180, 988, 951, 1071, 837, 682,
    605, 1233, 1548, 1393, 1394, 1552, 1240, 1241, 1555, 1400, 1400, 1557,
    1245, 1246, 1559, 1247, 622, 883, 1560, 1665, 1092, 1248, 623, 436, 337,
    1561, 1428, 364, 499, 624, 1145, 999, 535, 1249, 1111, 357, 687, 625,
    1145, 1000, 491, 1250,
]


class CheckFailed(Exception):
    pass


def check(cond, msg):
    """Like assert, but survives python -O and reports through main()."""
    if not cond:
        raise CheckFailed(msg)


def is_pow2(x):
    return x > 0 and x & (x - 1) == 0


class SizeClass:
    def __init__(self, size, npages):
        self.size = size
        self.npages = npages

    @property
    def span_bytes(self):
        return self.npages * PAGE_SIZE

    @property
    def nobjs(self):
        return self.span_bytes // self.size if self.size else 0

    @property
    def tail(self):
        return self.span_bytes - self.nobjs * self.size


def span_pages_for(size):
    """Fewest heap pages whose span leaves at most 1/8 of itself unused."""
    npages = 1
    while True:
        span = npages * PAGE_SIZE
        if (span % size) * TAIL_WASTE_LIMIT.denominator <= span:
            return npages
        npages += 1


def derive_classes():
    """Walk candidate sizes and keep those that change the span layout."""
    classes = [SizeClass(0, 0)]         # class 0 means "not a small object"
    step = MIN_ALIGN
    size = step
    while size <= MAX_SMALL_SIZE:
        # The spacing between candidates widens at each power of two: 8 bytes
        # below 32, 16 bytes up to 128, then one eighth of the size (so
        # rounding up costs at most 12.5%), but never more than 256 bytes
        # from 2 KiB on.  A candidate's spacing is also its alignment.
        if is_pow2(size):
            if size >= 2048:
                step = 256
            elif size >= 128:
                step = size // 8
            elif size >= 32:
                step = 16
        check(is_pow2(step), "candidate step %d is not a power of two" % step)

        npages = span_pages_for(size)
        last = classes[-1]
        if (len(classes) > 1 and last.npages == npages and
                (npages * PAGE_SIZE) // last.size == (npages * PAGE_SIZE) // size):
            # Same span and same objects per span as the class below: a
            # bigger object costs nothing, so widen that class instead.
            last.size = size
        else:
            classes.append(SizeClass(size, npages))
        size += step

    # Second pass: if a class's span still has room, spread it over the same
    # number of objects (e.g. 8448 * 6 in 7 pages becomes 9472 * 6).  Keep a
    # multiple of LARGE_SIZE_DIV, or the coarse lookup table would round a
    # request past the class.
    for c in classes[1:]:
        grown = (c.span_bytes // c.nobjs) & ~(LARGE_SIZE_DIV - 1)
        if grown > c.size:
            c.size = grown
    return classes


def max_waste(c, prev_size):
    """Go's worst case: every object holds a request of prev_size + 1 bytes."""
    return Fraction((c.size - prev_size - 1) * c.nobjs + c.tail, c.span_bytes)


def basis_points(frac):
    """Fraction -> hundredths of a percent, rounded half up (as printed)."""
    v = frac * 10000
    return int(v + Fraction(1, 2))


def build_lookup(classes):
    sizes = [c.size for c in classes]

    def smallest_class_at_least(n):
        for i, s in enumerate(sizes):
            if s >= n:
                return i
        raise CheckFailed("no class holds %d bytes" % n)

    class8 = [smallest_class_at_least(i * SMALL_SIZE_DIV)
              for i in range(SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1)]
    class128 = [smallest_class_at_least(SMALL_SIZE_MAX + i * LARGE_SIZE_DIV)
                for i in range((MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1)]
    return class8, class128


def lookup(class8, class128, size):
    """The C lookup the allocator does, transcribed."""
    if size <= SMALL_SIZE_MAX:
        return class8[(size + SMALL_SIZE_DIV - 1) // SMALL_SIZE_DIV]
    return class128[(size - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) // LARGE_SIZE_DIV]


def verify(classes, class8, class128):
    """Every property the header promises.  Raises CheckFailed."""
    sizes = [c.size for c in classes]
    npages = [c.npages for c in classes]

    # The derivation reproduces Go's table exactly.
    check(len(classes) == NUM_SIZE_CLASSES,
          "derived %d classes, want %d" % (len(classes), NUM_SIZE_CLASSES))
    for i, (got, want) in enumerate(zip(sizes, GO_CLASS_TO_SIZE)):
        check(got == want, "class %d: size %d, Go has %d" % (i, got, want))
    for i, (got, want) in enumerate(zip(npages, GO_CLASS_TO_NPAGES)):
        check(got == want, "class %d: %d pages/span, Go has %d" % (i, got, want))

    # Shape of the table.
    check(sizes[0] == 0 and npages[0] == 0, "class 0 must be the empty class")
    check(sizes[-1] == MAX_SMALL_SIZE, "largest class must be MAX_SMALL_SIZE")
    check(TINY_SIZE in sizes, "no class of exactly TINY_SIZE for tiny blocks")
    prev = 0
    for i, c in enumerate(classes[1:], 1):
        check(c.size > prev, "class %d: sizes not strictly increasing" % i)
        check(c.size % MIN_ALIGN == 0, "class %d: size not %d-aligned" % (i, MIN_ALIGN))
        check(c.nobjs >= 1, "class %d: span holds no object" % i)
        # Types of the emitted arrays.
        check(c.size < 1 << 16, "class %d: size does not fit u16" % i)
        check(c.npages < 1 << 8, "class %d: npages does not fit u8" % i)
        check(c.nobjs < 1 << 16, "class %d: nobjs does not fit u16" % i)
        # The bound goslab promises: tail waste per span <= 12.5%.
        check(c.tail * TAIL_WASTE_LIMIT.denominator <= c.span_bytes,
              "class %d: tail waste %d of %d exceeds 1/8" % (i, c.tail, c.span_bytes))
        # Worst-case waste, Go's metric.  It is allowed above 12.5% only
        # where Go's own table is, and must match Go's printed value.
        mw = basis_points(max_waste(c, prev))
        check(mw == GO_MAX_WASTE_BP[i],
              "class %d: max waste %d.%02d%%, Go prints %d.%02d%%" %
              (i, mw // 100, mw % 100, GO_MAX_WASTE_BP[i] // 100, GO_MAX_WASTE_BP[i] % 100))
        prev = c.size

    # Lookup tables: exhaustive over every small size.
    check(len(class8) == SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1, "class8 length")
    check(len(class128) == (MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1,
          "class128 length")
    check(class8[0] == 0, "size 0 must map to class 0")
    for n in range(1, MAX_SMALL_SIZE + 1):
        ci = lookup(class8, class128, n)
        check(1 <= ci < NUM_SIZE_CLASSES and sizes[ci] >= n and sizes[ci - 1] < n,
              "size %d maps to class %d (%d bytes), not the smallest class >= %d"
              % (n, ci, sizes[ci], n))


# ---------------------------------------------------------------------------
# Header emission

def fmt_pct(bp):
    return "%d.%02d%%" % (bp // 100, bp % 100)


def c_array(decl, values, per_row, width):
    """Kernel-style initializer; each row starts with its first index."""
    idx_w = len(str(len(values) - 1))
    lines = [decl + " = {"]
    for start in range(0, len(values), per_row):
        row = values[start:start + per_row]
        cells = ", ".join(str(v).rjust(width) for v in row)
        lines.append("\t/* %*d */ %s," % (idx_w, start, cells))
    lines.append("};")
    return lines


def render(classes, class8, class128):
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: GPL-2.0 */")
    w("/*")
    w(" * goslab size classes -- generated by scripts/mksizeclasses.py; do not edit.")
    w(" * Regenerate with scripts/mksizeclasses.py; scripts/mksizeclasses.py --check")
    w(" * fails if this file is stale.")
    w(" *")
    w(" * These are the Go runtime's size classes, derived as Go's")
    w(" * runtime/mksizeclasses.go derives them, for %d-byte heap pages:"
      % PAGE_SIZE)
    w(" * candidate sizes step by 8 bytes below 32, by 16 up to 128, then by an")
    w(" * eighth of the last power of two (at most 256 bytes); each candidate gets")
    w(" * the fewest heap pages whose span wastes at most 1/8 at its tail;")
    w(" * neighbours with the same span and object count are merged, keeping the")
    w(" * larger size; finally each class grows to fill its span with the same")
    w(" * object count, in multiples of %d bytes. The result is Go's table." % LARGE_SIZE_DIV)
    w(" *")
    w(" * The 12.5% bound: tail waste, the bytes at the end of a span too few")
    w(" * for another object, is at most 1/8 of the span for every class. The")
    w(" * generator checks this. Max waste is Go's worst case for a class,")
    w(" * ((size - prev_size - 1) * objects + tail waste) / span bytes, i.e.")
    w(" * every object holding a request one byte larger than the class below")
    w(" * (class 1: a 1-byte request). It is not bounded at 12.5%: it exceeds it")
    w(" * for the small classes and wherever Go's table does, and the generator")
    w(" * checks that it equals Go's printed value for every class.")
    w(" *")
    w(" * class  bytes/obj  bytes/span  objects  tail waste  max waste")
    prev = 0
    worst_tail = Fraction(0)
    worst_mw = Fraction(0)
    for i, c in enumerate(classes[1:], 1):
        mw = max_waste(c, prev)
        w(" * %5d  %9d  %10d  %7d  %10d  %9s"
          % (i, c.size, c.span_bytes, c.nobjs, c.tail, fmt_pct(basis_points(mw))))
        worst_tail = max(worst_tail, Fraction(c.tail, c.span_bytes))
        worst_mw = max(worst_mw, mw)
        prev = c.size
    w(" *")
    w(" * Largest tail waste: %s of a span. Largest max waste: %s (class 1)."
      % (fmt_pct(basis_points(worst_tail)), fmt_pct(basis_points(worst_mw))))
    w(" *")
    w(" * Lookup: goslab_size_to_class(size), for 0 < size <= GOSLAB_MAX_SMALL_SIZE,")
    w(" * reads goslab_size_to_class8[] by GOSLAB_CLASS8_INDEX(size) up to")
    w(" * GOSLAB_SMALL_SIZE_MAX and goslab_size_to_class128[] by")
    w(" * GOSLAB_CLASS128_INDEX(size) above.  Either gives the smallest class whose")
    w(" * objects hold size bytes (checked for every size).")
    w(" */")
    w("#ifndef _GOSLAB_SIZECLASSES_H")
    w("#define _GOSLAB_SIZECLASSES_H")
    w("")
    w("#include <linux/bits.h>")
    w("#include <linux/compiler.h>")
    w("#include <linux/types.h>")
    w("")
    defines = [
        ("GOSLAB_PAGE_SHIFT", str(PAGE_SHIFT)),
        ("GOSLAB_PAGE_SIZE", "BIT(GOSLAB_PAGE_SHIFT)"),
        ("GOSLAB_NUM_SIZE_CLASSES", str(NUM_SIZE_CLASSES)),
        ("GOSLAB_MAX_SMALL_SIZE", str(MAX_SMALL_SIZE)),
        ("GOSLAB_TINY_SIZE", str(TINY_SIZE)),
        ("GOSLAB_SMALL_SIZE_DIV", str(SMALL_SIZE_DIV)),
        ("GOSLAB_SMALL_SIZE_MAX", str(SMALL_SIZE_MAX)),
        ("GOSLAB_LARGE_SIZE_DIV", str(LARGE_SIZE_DIV)),
    ]
    for name, val in defines:
        col = len("#define " + name)
        tabs = "\t" * ((32 - col + 7) // 8) if col < 32 else "\t"
        w("#define %s%s%s" % (name, tabs, val))
    w("")
    w("/* Object size of each class; class 0 is unused. */")
    out += c_array("static const u16 goslab_class_to_size[GOSLAB_NUM_SIZE_CLASSES] __maybe_unused",
                   [c.size for c in classes], 8, 5)
    w("")
    w("/* Heap pages (GOSLAB_PAGE_SIZE bytes) per span of each class. */")
    out += c_array("static const u8 goslab_class_to_npages[GOSLAB_NUM_SIZE_CLASSES] __maybe_unused",
                   [c.npages for c in classes], 8, 2)
    w("")
    w("/* Objects per span of each class. */")
    out += c_array("static const u16 goslab_class_to_nobjs[GOSLAB_NUM_SIZE_CLASSES] __maybe_unused",
                   [c.nobjs for c in classes], 8, 4)
    w("")
    w("/* The index of size in each lookup table (the divisions are shifts). */")
    w("#define GOSLAB_CLASS8_INDEX(size) \\")
    w("\t(((size) + GOSLAB_SMALL_SIZE_DIV - 1) / GOSLAB_SMALL_SIZE_DIV)")
    w("#define GOSLAB_CLASS128_INDEX(size) \\")
    w("\t(((size) - GOSLAB_SMALL_SIZE_MAX + GOSLAB_LARGE_SIZE_DIV - 1) / GOSLAB_LARGE_SIZE_DIV)")
    w("")
    w("/* Class for 0 < size <= GOSLAB_SMALL_SIZE_MAX, by GOSLAB_CLASS8_INDEX(size). */")
    out += c_array("static const u8 goslab_size_to_class8"
                   "[GOSLAB_SMALL_SIZE_MAX / GOSLAB_SMALL_SIZE_DIV + 1]\n"
                   "\t__maybe_unused",
                   class8, 16, 2)
    w("")
    w("/*")
    w(" * Class for GOSLAB_SMALL_SIZE_MAX < size <= GOSLAB_MAX_SMALL_SIZE, by")
    w(" * GOSLAB_CLASS128_INDEX(size).")
    w(" */")
    out += c_array("static const u8 goslab_size_to_class128"
                   "[(GOSLAB_MAX_SMALL_SIZE - GOSLAB_SMALL_SIZE_MAX) /\n"
                   "\t\t\t\t\tGOSLAB_LARGE_SIZE_DIV + 1] __maybe_unused",
                   class128, 16, 2)
    w("")
    w("/* The smallest class whose objects hold @size, 0 < @size <= GOSLAB_MAX_SMALL_SIZE. */")
    w("static inline unsigned int goslab_size_to_class(size_t size)")
    w("{")
    w("\tif (size <= GOSLAB_SMALL_SIZE_MAX)")
    w("\t\treturn goslab_size_to_class8[GOSLAB_CLASS8_INDEX(size)];")
    w("\treturn goslab_size_to_class128[GOSLAB_CLASS128_INDEX(size)];")
    w("}")
    w("")
    w("#endif /* _GOSLAB_SIZECLASSES_H */")

    text = "\n".join(out) + "\n"
    for n, line in enumerate(text.splitlines(), 1):
        check(len(line.expandtabs(8)) <= 100, "generated line %d exceeds 100 columns" % n)
        check(line == line.rstrip(), "generated line %d has trailing whitespace" % n)
    return text


def summary(classes):
    lines = ["class  bytes/obj  bytes/span  objects  tail waste  max waste"]
    prev = 0
    worst_tail = (Fraction(0), 0)
    worst_mw = (Fraction(0), 0)
    over = []
    for i, c in enumerate(classes[1:], 1):
        mw = max_waste(c, prev)
        tw = Fraction(c.tail, c.span_bytes)
        lines.append("%5d  %9d  %10d  %7d  %5d %5s  %9s"
                     % (i, c.size, c.span_bytes, c.nobjs, c.tail,
                        fmt_pct(basis_points(tw)), fmt_pct(basis_points(mw))))
        worst_tail = max(worst_tail, (tw, i))
        worst_mw = max(worst_mw, (mw, i))
        if mw > TAIL_WASTE_LIMIT:
            over.append(i)
        prev = c.size
    tied = [i for i, c in enumerate(classes[1:], 1)
            if Fraction(c.tail, c.span_bytes) == worst_tail[0]]
    lines.append("max tail waste: %s (%s exactly; classes %s)"
                 % (fmt_pct(basis_points(worst_tail[0])), worst_tail[0],
                    " ".join(map(str, tied))))
    lines.append("max max-waste: %s (class %d)"
                 % (fmt_pct(basis_points(worst_mw[0])), worst_mw[1]))
    lines.append("classes whose max waste exceeds 12.5%% (as in Go): %s"
                 % " ".join(map(str, over)))
    return "\n".join(lines)


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description="Generate goslab's module/core/sizeclasses.h.")
    ap.add_argument("-o", "--output",
                    default=os.path.join(repo_root(), "module", "core", "sizeclasses.h"),
                    help="header to write or check (default: module/core/sizeclasses.h)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="regenerate to a temporary file and diff against OUTPUT; "
                           "exit 1 if it differs")
    mode.add_argument("--stdout", action="store_true", help="print the header")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the table")
    args = ap.parse_args()

    try:
        classes = derive_classes()
        class8, class128 = build_lookup(classes)
        verify(classes, class8, class128)
        text = render(classes, class8, class128)
    except CheckFailed as e:
        print("mksizeclasses: check failed: %s" % e, file=sys.stderr)
        return 1

    if args.stdout:
        sys.stdout.write(text)
        return 0

    if args.check:
        with tempfile.NamedTemporaryFile("w", prefix="sizeclasses.", suffix=".h",
                                         delete=False) as tmp:
            tmp.write(text)
        try:
            try:
                with open(args.output) as f:
                    current = f.read()
            except OSError as e:
                print("mksizeclasses: cannot read %s: %s" % (args.output, e), file=sys.stderr)
                return 1
            with open(tmp.name) as f:
                fresh = f.read()
            if current != fresh:
                sys.stdout.writelines(difflib.unified_diff(
                    current.splitlines(True), fresh.splitlines(True),
                    args.output, "regenerated"))
                print("mksizeclasses: %s is stale; run scripts/mksizeclasses.py"
                      % args.output, file=sys.stderr)
                return 1
        finally:
            os.unlink(tmp.name)
        if not args.quiet:
            print("mksizeclasses: %s is up to date" % args.output)
        return 0

    with open(args.output, "w") as f:
        f.write(text)
    if not args.quiet:
        print(summary(classes))
        print("wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
