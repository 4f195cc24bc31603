#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check-batch.py TOP_OUTPUT CLIENT_STATS: goslab-top's figures against
goslab_get_stats().

TOP_OUTPUT is goslab-top's batch output (or a captured interactive screen);
its last screen, from its last "goslab-top - " line, is checked.
CLIENT_STATS holds "name value" lines named as debugfs "totals" names
them (the demo client's goslab_get_stats() at a quiet point, or a totals
file).  The header's pages held / in use / free / released and objects
and bytes in use must equal the client's figures exactly.

Prints "pass NAME" or "fail NAME: why" per figure; exits 1 on any failure.
"""
import re
import sys

# The header line, the totals name, and the figure's pattern on that line.
FIGURES = [
    ("Pages:", "pages_held", r"(\d+) held\b"),
    ("Pages:", "pages_in_use", r"(\d+) in use\b"),
    ("Pages:", "pages_free", r"(\d+) free\b"),
    ("Pages:", "pages_released", r"(\d+) released\b"),
    ("Objects:", "objects_in_use", r"(\d+) in use\b"),
    ("Objects:", "bytes_in_use", r"(\d+) bytes in use\b"),
]


def last_screen(text):
    """The lines of the last screen: from the last 'goslab-top - ' line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines)
              if line.startswith("goslab-top - ")]
    return lines[starts[-1]:] if starts else None


def client_stats(text):
    stats = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2 and words[1].isdigit():
            stats[words[0]] = int(words[1])
    return stats


def check(screen, stats):
    """(ok, name, message) for each figure."""
    results = []
    for label, name, pattern in FIGURES:
        what = f"goslab-top {name}"
        line = next((l for l in screen if l.startswith(label)), None)
        match = re.search(pattern, line) if line else None
        if name not in stats:
            results.append((False, what, "not in the client's figures"))
        elif not match:
            results.append((False, what, f"no {label} figure on the screen"))
        elif int(match.group(1)) != stats[name]:
            results.append((False, what, f"{match.group(1)} on screen, "
                            f"{stats[name]} from goslab_get_stats()"))
        else:
            results.append((True, what, match.group(1)))
    return results


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        screen = last_screen(f.read())
    with open(sys.argv[2], encoding="utf-8") as f:
        stats = client_stats(f.read())
    if screen is None:
        print("fail goslab-top batch output: no screen "
              "(no line begins with 'goslab-top - ')")
        return 1
    failed = 0
    for ok, what, message in check(screen, stats):
        if ok:
            print(f"pass {what}: {message}")
        else:
            print(f"fail {what}: {message}")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
