#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the synthetic series goslab-map's test reads: make-series.py DIR.

Sixteen snapshots 0.1 s apart, shaped like the demo's workload: a burst
of allocations grows the heap, the objects are freed, the scavenger
gives the free pages back in two runs; a GC heap goes through a cycle at
snapshots 0005, 0008 and 0011 (two cycles there).  Each NNNN/ holds
heap, totals, gc and uptime as the guest copies them.
"""

import os
import sys

# (pages in use, pages free, pages released, GC cycles so far) per
# snapshot; every rise of pages released is a scavenger run.
SHAPE = [(0, 0, 0, 0), (40, 88, 0, 0), (180, 76, 0, 0), (420, 92, 0, 0),
         (610, 158, 0, 0), (720, 176, 0, 1), (700, 196, 0, 1),
         (520, 376, 0, 1), (300, 596, 0, 2), (120, 776, 0, 2),
         (60, 836, 0, 2), (60, 324, 512, 4), (60, 324, 512, 4),
         (40, 344, 512, 4), (40, 0, 856, 4), (40, 0, 856, 4)]


def write(path, text):
    """One file of a snapshot."""
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def snapshot(root, rank, shape, scavenges):
    """DIR/NNNN/ for one row of SHAPE, after SCAVENGES scavenger runs."""
    inuse, free, released, cycles = shape
    snap = os.path.join(root, f'{rank:04d}')
    os.makedirs(snap, exist_ok=True)
    held = inuse + free
    pages = (f'pages_held {held}\npages_in_use {inuse}\n'
             f'pages_free {free}\npages_released {released}\n')
    write(os.path.join(snap, 'heap'),
          f'chunks {(held + released + 127) // 128}\n{pages}'
          'large_in_use 0\nretain_kb 4096\nscavenge_delay_ms 1000\n'
          f'scavenges {scavenges}\nscavenged_pages {released}\n')
    write(os.path.join(snap, 'totals'),
          f'{pages}objects_in_use {inuse * 40}\n'
          f'bytes_in_use {inuse * 6000}\n')
    write(os.path.join(snap, 'gc'),
          'gc_mode concurrent gc_percent 100 gc_checkmark 0 gc_trace 0\n'
          'heap demo\n  mode concurrent phase off gc_percent 100\n'
          f'  heap_live {inuse * 512}\n  heap_goal 4194304\n'
          f'  cycles {cycles}\n')
    write(os.path.join(snap, 'uptime'), f'{2 + rank / 10:.2f} 3.00\n')


def main(argv):
    """Write the series under argv[0]."""
    if len(argv) != 1:
        sys.exit('usage: make-series.py DIR')
    scavenges = 0
    for rank, shape in enumerate(SHAPE):
        if rank and shape[2] > SHAPE[rank - 1][2]:
            scavenges += 1
        snapshot(argv[0], rank, shape, scavenges)


if __name__ == '__main__':
    main(sys.argv[1:])
