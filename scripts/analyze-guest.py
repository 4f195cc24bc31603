#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a goslab guest run into test results.

Reads OUTDIR/console.log (ttyS0) and OUTDIR/results.log (ttyS1, written by
scripts/guest-init.sh) and appends one row per result to the rows file:
"pass|fail|skip <TAB> count <TAB> name".  What counts:

  - the guest reaching the end of its script and powering off;
  - every insmod/rmmod the guest ran ("@@ step");
  - each pass's KUnit results, as counted by the kernel tree's
    tools/testing/kunit/kunit.py parse (never by us);
  - selftest TAP lines ("ok"/"not ok" at top level, "# SKIP");
  - every splat found in the console log, as one failure each.
"""

import argparse
import os
import re
import subprocess
import sys

# A line that starts a kernel splat.  "Call Trace:" is handled apart: it is
# suspicious only when no splat header or known-benign line precedes it.
SPLAT = re.compile(
    r'\bBUG:|\bWARNING:|\bKASAN\b|\bOops\b|kernel BUG at|'
    r'general protection fault|Kernel panic|'
    r'possible recursive locking|inconsistent lock state|'
    r'circular locking|possible irq lock inversion|suspicious RCU usage|'
    r'DEBUG_LOCKS_WARN_ON|BUG: lockdep|'
    r'self-detected stall|detected stalls|rcu: INFO:|'
    r'hung_task|blocked for more than \d+ seconds')
CALL_TRACE = re.compile(r'Call Trace:')
# The panic that oops=panic turns an oops into is part of that oops.
PANIC = re.compile(r'Kernel panic')
# How many lines a splat header may precede its "Call Trace:" by.
TRACE_WINDOW = 60
# Headers this close to a reported one belong to the same splat (e.g. the
# "hung_task_timeout_secs" hint under "blocked for more than").
GROUP_WINDOW = 10
# goslab's last words on unload: every page it took must be back.
UNLOADED = re.compile(r'goslab: unloaded: (\d+) live objects .* (\d+) pages held')
TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
# A test that provokes a report on purpose brackets the access with these
# lines (kunit/kasan_test.c); one report of that kind is expected inside.
EXPECT_BEGIN = re.compile(r'goslab-expect: (KASAN) report: (.*)')
EXPECT_END = re.compile(r'goslab-expect: end')
EXPECTED_HEADER = {'KASAN': re.compile(r'BUG: KASAN: ')}


class Results:
    def __init__(self, path, label=''):
        self.path = path
        self.label = label

    def add(self, status, count, name):
        name = self.label + name
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(f'{status}\t{count}\t{name}\n')
        print(f'{status.upper()} {name}' + (f' ({count})' if count != 1 else ''))


def load_benign(path):
    pats = []
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith('#'):
                    pats.append(re.compile(line))
    return pats


def scan_splats(lines, benign, res):
    """Report each splat header, and each unexplained Call Trace.

    Between "goslab-expect:" lines, one report of the announced kind is the
    test's own and is counted as passed; a second one, another kind, or an
    announced report that never came is a failure.
    """
    last_header = group_end = -TRACE_WINDOW - 1
    found = 0
    expect = None   # (kind, what, seen) while a window is open
    for i, raw in enumerate(lines):
        line = TIMESTAMP.sub('', raw.rstrip())
        m = EXPECT_BEGIN.search(line)
        if m:
            expect = [m.group(1), m.group(2), False]
            continue
        if EXPECT_END.search(line) and expect:
            res.add('pass' if expect[2] else 'fail', 1,
                    f'expected {expect[0]} report: {expect[1]}')
            expect = None
            continue
        if any(p.search(line) for p in benign):
            last_header = i
            continue
        if expect and not expect[2] and \
                EXPECTED_HEADER[expect[0]].search(line):
            expect[2] = True
            last_header = group_end = i
            continue
        header = SPLAT.search(line)
        trace = CALL_TRACE.search(line) and i - last_header > TRACE_WINDOW
        if header:
            last_header = i
        if not (header or trace):
            continue
        # A header close after the last one reported extends that splat;
        # an oops storm stays one failure.
        if i - group_end <= GROUP_WINDOW or \
                (PANIC.search(line) and i - group_end <= TRACE_WINDOW):
            group_end = i
            continue
        group_end = i
        found += 1
        print(f'--- splat at console.log:{i + 1} ---')
        print(''.join(lines[max(0, i - 2):i + 25]), end='')
        print('---')
        res.add('fail', 1, f'splat: {line[:100]}')
    if not found:
        res.add('pass', 1, 'no splats in the guest log')


def check_unloads(lines, nr_rmmods, res):
    """Each unload of goslab.ko must leave 0 pages held."""
    seen = 0
    for raw in lines:
        m = UNLOADED.search(raw)
        if not m:
            continue
        seen += 1
        held = int(m.group(2))
        res.add('pass' if held == 0 else 'fail', 1,
                f'unload {seen}: {m.group(1)} live objects released, '
                f'{held} pages held')
    if seen != nr_rmmods:
        res.add('fail', 1, f'{nr_rmmods} rmmod goslab ran, {seen} unload reports')


def parse_records(lines):
    """Split results.log into steps, KTAP documents and selftest outputs."""
    steps, ktap, selftests, done = [], {}, [], False
    cur = None
    for line in lines:
        if line.startswith('@@ '):
            f = line[3:].rstrip('\n').split(' ')
            if f[0] == 'step':
                steps.append((int(f[1]), ' '.join(f[2:])))
            elif f[0] == 'ktap-begin':
                cur = ktap.setdefault(f[1], [])
            elif f[0] == 'selftest-begin':
                cur = []
                selftests.append({'name': f'{f[1]}: {f[2]}', 'out': cur,
                                  'rc': None})
            elif f[0] == 'selftest-end':
                selftests[-1]['rc'] = int(f[3])
                cur = None
            elif f[0] == 'ktap-end':
                cur = None
            elif f[0] == 'done':
                done = True
        elif cur is not None:
            cur.append(line)
    return steps, ktap, selftests, done


def failed_cases(doc):
    """Name each failed KUnit case as suite.case, with its first diagnostic.

    A case's diagnostics are the lines between the previous result line of
    its suite and its own "not ok" line; CI shows only the tail of the
    output, so the name and the first "EXPECTATION FAILED" line are what
    must survive there.
    """
    named, suite, diag = [], '?', []
    for line in doc:
        text = line.strip()
        m = re.match(r'# Subtest: (\S+)', text)
        if m:
            suite, diag = m.group(1), []
            continue
        m = re.match(r'(not )?ok \d+ (\S+)', text)
        if not m or not line[:1].isspace():   # top level: whole suites
            diag.append(text)
            continue
        if m.group(1):
            why = next((d for d in diag if 'FAILED' in d), diag[0] if diag
                       else 'no diagnostic')
            named.append((f'{suite}.{m.group(2)}', why.lstrip('# ')))
        diag = []
    return named


def run_kunit_parse(ksrc, name, doc, outdir, res):
    path = os.path.join(outdir, f'{name}.ktap')
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(doc)
    kunit = os.path.join(ksrc, 'tools/testing/kunit/kunit.py')
    p = subprocess.run([sys.executable, kunit, 'parse', path],
                       capture_output=True, text=True, check=False)
    print(p.stdout, end='')
    print(p.stderr, end='', file=sys.stderr)
    m = re.search(r'Testing complete\. Ran (\d+) tests:?(.*)', p.stdout)
    if not m:
        res.add('fail', 1, f'kunit {name}: kunit.py parse gave no summary')
        return
    counts = {k: int(v) for k, v in re.findall(r'(\w+): (\d+)', m.group(2))}
    bad = counts.get('failed', 0) + counts.get('crashed', 0) + \
        counts.get('errors', 0)
    if int(m.group(1)) == 0:
        res.add('fail', 1, f'kunit {name}: no KUnit test ran')
        return
    if counts.get('passed'):
        res.add('pass', counts['passed'], f'kunit {name}')
    named = failed_cases(doc)
    for case, why in named[:bad]:
        res.add('fail', 1, f'kunit {name}: {case}: {why}')
    if bad > len(named):
        res.add('fail', bad - len(named), f'kunit {name}')
    if counts.get('skipped'):
        res.add('skip', counts['skipped'], f'kunit {name}')


def count_tap(st, res):
    """Count a selftest's top-level TAP lines, falling back on its status."""
    ok = bad = skip = planned = 0
    for line in st['out']:
        m = re.match(r'(not )?ok\b', line)
        if m:
            if re.search(r'#\s*(SKIP|TODO)', line, re.I):
                skip += 1
            elif m.group(1):
                bad += 1
            else:
                ok += 1
        m = re.match(r'1\.\.(\d+)', line)
        if m:
            planned = int(m.group(1))
    name, rc = f'selftest {st["name"]}', st['rc']
    print(f'--- {name} (exit status {rc}) ---')
    print(''.join(st['out']), end='')
    for status, n in (('pass', ok), ('fail', bad), ('skip', skip)):
        if n:
            res.add(status, n, name)
    if ok + bad + skip < planned:
        res.add('fail', planned - (ok + bad + skip),
                f'{name}: results missing from its plan')
    # 4 is kselftest's "skip"; 124 is timeout(1) giving up on it.
    if rc is None:
        res.add('fail', 1, f'{name}: did not finish')
    elif rc == 124:
        res.add('fail', 1, f'{name}: timed out')
    elif rc not in (0, 4) and not bad:
        res.add('fail', 1, f'{name}: exited with status {rc}')
    elif ok + bad + skip == 0:
        res.add('skip' if rc == 4 else 'pass', 1, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--outdir', required=True)
    ap.add_argument('--ksrc', required=True, help='kernel source tree')
    ap.add_argument('--mode', choices=('check', 'demo'), required=True)
    ap.add_argument('--timed-out', type=int, default=0,
                    help='seconds after which QEMU was killed, if it was')
    ap.add_argument('--rows', required=True)
    ap.add_argument('--benign', help='file of known-benign line regexes')
    ap.add_argument('--passes', default='pass1 pass2',
                    help='the KUnit passes the guest was asked to run')
    ap.add_argument('--label', default='',
                    help='prefix for the names of this boot\'s results')
    a = ap.parse_args()
    res = Results(a.rows, a.label)

    def read(name):
        path = os.path.join(a.outdir, name)
        if not os.path.exists(path):
            return []
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.readlines()

    console, records = read('console.log'), read('results.log')
    steps, ktap, selftests, done = parse_records(records)

    if a.timed_out:
        res.add('fail', 1, f'guest did not power off within {a.timed_out}s')
    elif not done:
        res.add('fail', 1, 'guest stopped before the end of its script '
                '(crash or reboot; see the console log)')
    else:
        res.add('pass', 1, 'guest ran to the end and powered off')

    for rc, what in steps:
        res.add('pass' if rc == 0 else 'fail', 1, f'guest: {what}')

    if a.mode == 'check':
        for name in a.passes.split():
            if name not in ('pass1', 'pass2', 'kasan'):     # KUnit passes
                continue
            if name in ktap:
                run_kunit_parse(a.ksrc, name, ktap[name], a.outdir, res)
            else:
                res.add('fail', 1, f'kunit {name}: no KTAP came back')
        for st in selftests:
            count_tap(st, res)

    check_unloads(console, sum(1 for rc, what in steps
                               if rc == 0 and 'rmmod goslab' in what and
                               'rmmod goslab_' not in what), res)
    scan_splats(console, load_benign(a.benign) if a.benign else [], res)


if __name__ == '__main__':
    main()
