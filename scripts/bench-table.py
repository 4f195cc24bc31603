#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn goslab_bench's result lines into markdown tables.

usage: bench-table.py TITLE=RESULTS.LOG...

Each RESULTS.LOG is one boot's results channel (scripts/bench.sh); its
lines "goslab-bench: key=value ..." are what bench/harness.c's put() prints.
A figure line has an alloc= field (goslab, slub or memset) and ends with
the figure (insns= under icount, ns= otherwise); the fields before alloc=
name its row.  For every boot this prints one table of goslab against
SLUB with their ratio, the memset floor where there is one, and the goal
of issue #5 with "met" or "MISSED" (goals are judged on instruction
counts only), then a table of the memory case, then one of the gc case
(lines "case=gc mode=... what=mark|pause ...", no alloc= field).
"""

import re
import sys

LINE = re.compile(r'goslab-bench: (.*)$')

# irq-off/popf/locked instructions executed per alloc+free pair, goslab |
# SLUB, from the disassembly of goslab.ko built for Debian's kernel and
# from mm/slub.c (Documentation/bench.rst, "Fast paths").  SLUB's fast
# path has an unlocked cmpxchg16b per alloc and per free instead; "+ slow"
# marks rows where refills, flushes or new slabs add their locks.
ATOMICS = {
    'pair': '2/0/0 \\| 0/0/0',
    'batch': '2/0/0 + slow \\| 0/0/1 + slow',
    'mixed': '2/0/0 + slow \\| 0/0/≤1 + slow',
    'cache': '2/0/0 \\| 0/0/0',
    'pair-page': '2/0/0 \\| 0/0/≥2 (page allocator)',
    'bulk': '2/0/0 per call \\| 1/0/0 per call',
    'remote': '2/0/0 + slow \\| 0/0/1 + slow',
    'large': '2/0/2 \\| ≥2/0/≥2',
}


def parse(path):
    info, rows, order = {}, {}, []
    with open(path, encoding='utf-8', errors='replace') as f:
        for raw in f:
            m = LINE.search(raw)
            if not m:
                continue
            text = m.group(1)
            if text.startswith('info '):
                for kv in text.split()[1:]:
                    if '=' in kv:
                        k, v = kv.split('=', 1)
                        info[k] = v
                continue
            fields = [kv.split('=', 1) for kv in text.split() if '=' in kv]
            keys = [k for k, _ in fields]
            if 'alloc' not in keys:
                if keys[:1] == ['case'] and fields[0][1] == 'gc':
                    gc = dict(fields)
                    info.setdefault('gc', {}).setdefault(
                        gc.get('mode', '?'), {})[gc.get('what')] = gc
                    continue
                if keys and keys[0] == 'case':
                    info['case_' + fields[0][1]] = text
                continue
            i = keys.index('alloc')
            rowkey = tuple(tuple(kv) for kv in fields[:i])
            alloc = fields[i][1]
            rest = dict(fields[i + 1:])
            if rowkey not in rows:
                rows[rowkey] = {}
                order.append(rowkey)
            rows[rowkey][alloc] = rest
    return info, rows, order


def figure(d):
    """The figure of one allocator's line: insns= or ns=."""
    for k in ('insns', 'ns'):
        if k in d:
            return float(d[k])
    return None


def goal(case, params, ratio, over_floor, init_on, icount):
    """The goal of this row as text, with met/MISSED, or '' if none."""
    if not icount or ratio is None:
        return ''
    if case == 'pair':
        size = int(params.get('size', 0))
        if size <= (256 if init_on else 4096):
            return ('met' if ratio <= 0.5 else 'MISSED') + ' (≤0.5x)'
        if init_on and size >= 1024 and over_floor is not None:
            return ('met' if over_floor <= 50 else 'MISSED') + ' (floor+50)'
        return ''
    if case == 'mixed' and params.get('phase') == 'churn':
        return ('met' if ratio <= 0.7 else 'MISSED') + ' (≤0.7x)'
    if case == 'bulk' or (case == 'remote' and params.get('op') == 'pair'):
        return ('met' if ratio <= 1.0 else 'MISSED') + ' (≤1.0x)'
    return ''


def fmt(v):
    if v is None:
        return '—'
    return f'{v:.1f}' if v < 1000 else f'{v:.0f}'


def table(title, path):
    info, rows, order = parse(path)
    init_on = info.get('init_on_alloc') == '1'
    unit = info.get('unit', 'insns')
    icount = unit == 'insns'
    floors = {}
    for key in order:
        d = dict(key)
        if d.get('case') == 'memset':
            floors[d.get('size')] = figure(rows[key].get('memset', {}))

    out = [f'### {title}', '',
           f'init_on_alloc={info.get("init_on_alloc", "?")}, '
           f'{info.get("cpus", "?")} CPUs, best of {info.get("reps", "?")} after a '
           f'warm-up, figures in {"instructions (icount)" if icount else "ns (TCG wall clock)"}'
           ' per alloc+free pair (per operation for op=alloc/free).', '',
           '| case | parameters | goslab | SLUB | goslab/SLUB | memset floor '
           '| goslab − floor | goal | irq-off/popf/locked goslab \\| SLUB |',
           '|---|---|--:|--:|--:|--:|--:|---|---|']
    head = len(out)
    for key in order:
        d = dict(key)
        case = d.pop('case', '?')
        if case in ('memset', 'memory', 'gc'):
            continue
        g = figure(rows[key].get('goslab', {}))
        s = figure(rows[key].get('slub', {}))
        ratio = g / s if g is not None and s else None
        floor = floors.get(d.get('size')) if case in ('pair', 'large') else None
        if case == 'pair' and not init_on:
            floor = None
        over = g - floor if g is not None and floor is not None else None
        params = ' '.join(f'{k}={v}' for k, v in d.items())
        akey = case
        if case == 'pair' and int(d.get('size', 0)) > 8192:
            akey = 'pair-page'
        atom = ATOMICS.get(akey, '')
        if d.get('op') in ('alloc', 'free') or d.get('phase') in ('build', 'teardown'):
            atom = ''
        out.append(f'| {case} | {params} | {fmt(g)} | {fmt(s)} | '
                   f'{"—" if ratio is None else f"{ratio:.2f}"} | {fmt(floor)} | '
                   f'{"—" if over is None else f"{over:+.0f}"} | '
                   f'{goal(case, d, ratio, over, init_on, icount)} | {atom} |')
    if len(out) == head:
        # No allocator case ran (cases=gc): no allocator table.
        out = out[:2]
    else:
        out.append('')

    mem = [k for k in order if dict(k).get('case') == 'memory']
    req = int(info.get('requested', 0))
    if mem and req:
        out += [f'Memory for the mixed live set ({info.get("live", "?")} objects, '
                f'{req} bytes requested), kernel pages of {info.get("page_size", "?")} bytes:', '',
                '| state | goslab heap + meta | SLUB slab | goslab/SLUB '
                '| goslab held/requested | SLUB held/requested | goal |',
                '|---|--:|--:|--:|--:|--:|---|']
        psize = int(info.get('page_size', 4096))
        for key in mem:
            state = dict(key).get('state')
            g = rows[key].get('goslab', {})
            s = rows[key].get('slub', {})
            gp, sp = int(g.get('pages', 0)), int(s.get('pages', 0))
            ratio = gp / sp if sp else None
            gl = ''
            if icount and ratio is not None:
                gl = ('met' if ratio <= 1.0 else 'MISSED') + ' (≤1.0x)'
            out.append(f'| {state} | {gp} ({g.get("heap")} + {g.get("slab")}) | {sp} | '
                       f'{"—" if ratio is None else f"{ratio:.2f}"} | '
                       f'{gp * psize / req:.2f} | {sp * psize / req:.2f} | {gl} |')
        out.append('')
    out += gc_table(info, unit, icount)
    print('\n'.join(out))


def gc_table(info, unit, icount):
    """The gc case: mark cost per object, throughput, pauses per mode."""
    gc = info.get('gc')
    if not gc:
        return []
    modes = [m for m in ('stw', 'incremental', 'concurrent') if m in gc]
    mark0 = next((gc[m]['mark'] for m in modes if 'mark' in gc[m]), {})
    size = int(mark0.get('size', 64))

    def num(d, k):
        return float(d[k]) if k in d else None

    def longest(m):
        p = gc[m].get('pause', {})
        if m == 'stw':
            return num(p, 'pause_max')
        vals = [num(p, k) for k in ('pause_max', 'assist_max') if k in p]
        return max(vals) if vals else None

    def ratio(v, base):
        return f'{v / base:.3f}' if v is not None and base else '—'

    stw_pause = longest('stw') if 'stw' in gc else None
    stw_mut = num(gc.get('stw', {}).get('pause', {}), 'mutator_max')
    what = 'instructions' if icount else 'ns'
    out = [f'Garbage collector: a {mark0.get("objects", "?")}-object graph of '
           f'{size}-byte objects (4 pointer fields), goslab_gc_collect() per '
           f'cycle.  Mark cost: {what} per object scanned (mark_ns / '
           f'objects_scanned), cheapest of {info.get("reps", "?")} quiescent '
           'cycles after a warm-up'
           + ('' if icount else '; objects/s and MiB/s from it') +
           '.  Pauses: the longest over the cycles run with a mutator on '
           f'another CPU, in {what}: the GC\'s own (pause_max_ns in stw, '
           'else the longer of pause_max_ns and assist_max_ns) and the '
           'longest section the mutator saw (enter to exit), with the '
           'longest wait in goslab_gc_enter(), the longest time after '
           'it (walks, stores, allocation, preemption) and the longest '
           'section during which the mutator was never switched out.', '',
           f'| mode | mark {what}/object | objects scanned | objects/s | MiB/s '
           f'| longest GC pause | vs stw | assists | mutator\'s longest section '
           '| vs stw | longest enter | longest after enter | longest on-CPU '
           '| mutator ops |',
           '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|']
    for m in modes:
        mk, p = gc[m].get('mark', {}), gc[m].get('pause', {})
        cost = num(mk, unit)
        ops = cost and 1e9 / cost if not icount else None
        mib = ops * size / 2**20 if ops else None
        lp, mut = longest(m), num(p, 'mutator_max')
        out.append(f'| {m} | {fmt(cost)} | {mk.get("scanned", "—")} | '
                   f'{"—" if ops is None else f"{ops:.3g}"} | {fmt(mib)} | '
                   f'{fmt(lp)} | {ratio(lp, stw_pause)} | '
                   f'{p.get("assists", "—")} | {fmt(mut)} | '
                   f'{ratio(mut, stw_mut)} | {fmt(num(p, "enter_max"))} | '
                   f'{fmt(num(p, "body_max"))} | {fmt(num(p, "oncpu_max"))} | '
                   f'{p.get("mutator_ops", "—")} |')
    out.append('')
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        title, _, path = arg.rpartition('=')
        table(title, path)


if __name__ == '__main__':
    main()
