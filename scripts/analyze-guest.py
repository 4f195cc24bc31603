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
  - coverage (scripts/coverage.txt): every KUnit suite and selftest
    program listed there reports all its cases, and a case that skips
    fails unless the list allows it on this boot, with its reason;
  - the results of goslab.ko's own white-box suites at every load of its
    test build, from the console log: the KUnit passes count them once,
    and a failure at another load must not go unseen;
  - every splat found in the console log, as one failure each.
"""

import argparse
import fnmatch
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
# lines (kunit/kasan_test.c); one report of that kind is expected inside,
# holding every text its "with" lines name (the bug type, the access and
# its address, the task).  Each kind: the report's first line, and the
# taint flag it sets.
EXPECT_BEGIN = re.compile(r'goslab-expect: (KASAN|sleep-in-atomic) report: (.*)')
EXPECT_WITH = re.compile(r'goslab-expect: with "(.*)"$')
EXPECT_END = re.compile(r'goslab-expect: end')
EXPECTED_HEADER = {
    'KASAN': re.compile(r'BUG: KASAN: '),
    # goslab's own (gs_might_alloc()), not slab's or the page allocator's
    'sleep-in-atomic': re.compile(
        r'BUG: sleeping function called from invalid context at \S*module/core/internal\.h:'),
}
EXPECTED_TAINT = {'KASAN': 5, 'sleep-in-atomic': 9}
# goslab's own reports of a caller's misuse (gs_debug_report(), names from
# module/core/debug.c) or of its collector's findings: splats, but inside the
# KUnit suites that provoke them ("reports" lines of scripts/coverage.txt).
# They are rate-limited, so the KUnit suites also compare goslab's misuse
# counters (the "MISUSE" lines below).
GOSLAB_REPORT = re.compile(
    r'goslab: (double_free|invalid_free|poison_corrupt): |goslab: gc checkmark: |'
    r'is not an object of this heap|frees pending from NMI context|'
    r'free of GC object .* ignored')
SUITE_START = re.compile(r'# Subtest: (\S+)')
PASS_EDGE = re.compile(r'goslab-guest: .* (begin|end) =====')


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


def holds(line, text):
    """Whether line holds text, ending where a word does ("/48" is not "/481")."""
    end = r'(?!\w)' if re.match(r'\w', text[-1:]) else ''
    return re.search(re.escape(text) + end, line) is not None


def scan_splats(lines, benign, res, reporting_suites=()):
    """Report each splat header, and each unexplained Call Trace.

    Between "goslab-expect:" lines, one report of the announced kind that
    holds all the announced texts is the test's own and is counted as
    passed; a second one, another kind, an announced report that never
    came or one that lacks a text is a failure.  Returns the taint flags
    (bit numbers) that the announced reports which came set.
    """
    last_header = group_end = -TRACE_WINDOW - 1
    found = 0
    expect = None   # (kind, what, seen, texts not yet seen) while open
    expected_taints = set()
    suite = None    # the KUnit suite running, from its "# Subtest:" line
    for i, raw in enumerate(lines):
        line = TIMESTAMP.sub('', raw.rstrip())
        m = SUITE_START.search(line)
        if m:
            suite = m.group(1)
        elif PASS_EDGE.search(line):
            suite = None
        if GOSLAB_REPORT.search(line):
            if suite in reporting_suites:
                continue
            found += 1
            res.add('fail', 1, f'goslab report outside the suites that '
                    f'provoke them: {line[:100]}')
            continue
        m = EXPECT_BEGIN.search(line)
        if m:
            expect = [m.group(1), m.group(2), False, []]
            continue
        m = EXPECT_WITH.search(line)
        if m and expect:
            expect[3].append(m.group(1))
            continue
        if EXPECT_END.search(line) and expect:
            missing = '' if not expect[3] else \
                ' (without "' + '", "'.join(expect[3]) + '")'
            res.add('pass' if expect[2] and not expect[3] else 'fail', 1,
                    f'expected {expect[0]} report: {expect[1]}' +
                    (missing if expect[2] else ''))
            expect = None
            continue
        if expect and expect[2]:
            expect[3] = [t for t in expect[3] if not holds(line, t)]
        if any(p.search(line) for p in benign):
            last_header = i
            continue
        if expect and not expect[2] and \
                EXPECTED_HEADER[expect[0]].search(line):
            expect[2] = True
            expect[3] = [t for t in expect[3] if not holds(line, t)]
            expected_taints.add(EXPECTED_TAINT[expect[0]])
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
    if expect:
        res.add('fail', 1, f'expected {expect[0]} report: {expect[1]}: '
                'the log ends inside its window')
    if not found:
        res.add('pass', 1, 'no splats in the guest log')
    return expected_taints


class Coverage:
    """scripts/coverage.txt: what every pass must report, and the allowed skips."""

    def __init__(self, path, boot):
        self.suites, self.selftests, self.skips = {}, {}, []
        self.suite_boots, self.reporting = {}, set()
        self.boot = boot
        with open(path, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                line = line.split('#', 1)[0].strip() if not \
                    line.startswith('skip') else line.strip()
                if not line:
                    continue
                word = line.split()
                if word[0] == 'suite' and len(word) in (3, 4):
                    self.suites[word[1]] = int(word[2])
                    if len(word) == 4:
                        self.suite_boots[word[1]] = word[3].split(',')
                elif word[0] == 'reports' and len(word) >= 2:
                    self.reporting.update(word[1:])
                elif word[0] == 'selftest' and len(word) == 3:
                    self.selftests[word[1]] = int(word[2])
                elif word[0] == 'skip' and ' -- ' in line:
                    head, reason = line.split(' -- ', 1)
                    _, boots, passes, test = head.split()
                    self.skips.append((boots, passes, test, reason.strip()))
                else:
                    raise SystemExit(f'{path}:{n}: cannot read "{line}"')

    def on_boot(self, globs):
        return any(fnmatch.fnmatchcase(self.boot, g) for g in globs)

    def allowed(self, pass_name, test, reason):
        return any(self.on_boot(b.split(',')) and
                   fnmatch.fnmatchcase(pass_name, p) and
                   fnmatch.fnmatchcase(test, t) and r in reason
                   for b, p, t, r in self.skips)

    def judge_skips(self, pass_name, kind, skipped, res):
        """Each skip is a failure unless allowed; returns how many were."""
        ok = 0
        for test, reason in skipped:
            if self.allowed(pass_name, test, reason):
                ok += 1
            else:
                res.add('fail', 1, f'{kind} {pass_name}: {test} skipped, '
                        f'not allowed on {self.boot}: {reason}')
        return ok


def kunit_cases(doc):
    """{suite: [(case, skip reason or None)]} from a pass's KTAP document."""
    suites, suite = {}, None
    for line in doc:
        text = line.strip()
        m = re.match(r'# Subtest: (\S+)', text)
        if m and line.startswith('    '):
            suite = suites.setdefault(m.group(1), [])
            continue
        m = re.match(r'(not )?ok \d+ (\S+)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?', text)
        if m and suite is not None and line.startswith('    ') and \
                not line.startswith('        '):
            suite.append((m.group(2), m.group(4) if m.group(3) else None))
    return suites


def check_kunit_coverage(cov, pass_name, doc, filter_glob, res):
    """Every listed suite reported all its cases; returns the allowed skips."""
    got = kunit_cases(doc)
    want_glob = filter_glob.split('.', 1)[0] if filter_glob else '*'
    for suite, n in sorted(cov.suites.items()):
        if not fnmatch.fnmatchcase(suite, want_glob) or \
                not cov.on_boot(cov.suite_boots.get(suite, ['*'])):
            continue
        cases = got.get(suite)
        if cases is None:
            res.add('fail', 1, f'kunit {pass_name}: suite {suite} did not report')
        elif len(cases) != n and not (filter_glob and '.' in filter_glob):
            res.add('fail', 1, f'kunit {pass_name}: suite {suite} reported '
                    f'{len(cases)} cases, scripts/coverage.txt says {n}')
    for suite in sorted(got):
        if suite not in cov.suites or \
                not cov.on_boot(cov.suite_boots.get(suite, ['*'])):
            res.add('fail', 1, f'kunit {pass_name}: suite {suite} is not '
                    f'listed for {cov.boot} in scripts/coverage.txt')
    skipped = [(f'{s}.{c}', why) for s, cases in got.items()
               for c, why in cases if why is not None]
    return cov.judge_skips(pass_name, 'kunit', skipped, res)


ON_PURPOSE = re.compile(r'goslab-kunit: (\S+): (\d+) objects left live on purpose')
SUITE_LEAK = re.compile(r'goslab-kunit: (LEAK|MISUSE): .*')


# A suite's closing line as KUnit logs it while a module loads.
SUITE_END = re.compile(r'^\[[ \d.]+\] (not ok|ok) \d+ (goslab_\w+_internal)\s*$')


def check_internal_suites(lines, res):
    """goslab.ko's white-box suites (its test build) at each load."""
    runs, failed = 0, []
    for line in lines:
        m = SUITE_END.match(line)
        if m:
            runs += 1
            if m.group(1) == 'not ok':
                failed.append(m.group(2))
    if failed:
        res.add('fail', 1, 'goslab.ko white-box suites at load: '
                + ', '.join(sorted(set(failed))) + f' failed ({len(failed)} '
                f'of {runs} runs; see the console log)')
    elif runs:
        res.add('pass', 1, f'goslab.ko white-box suites at load ({runs} runs)')


def check_unloads(lines, nr_rmmods, res):
    """Each unload of goslab.ko must leave 0 pages held, and release only
    the objects tests said they left live on purpose since the last one;
    a suite that left other objects live is named by its LEAK line."""
    seen = on_purpose = 0
    for raw in lines:
        m = ON_PURPOSE.search(raw)
        if m:
            on_purpose += int(m.group(2))
            continue
        m = SUITE_LEAK.search(raw)
        if m:
            res.add('fail', 1, m.group(0))
            continue
        m = UNLOADED.search(raw)
        if not m:
            continue
        seen += 1
        live, held = int(m.group(1)), int(m.group(2))
        res.add('pass' if held == 0 and live == on_purpose else 'fail', 1,
                f'unload {seen}: {live} live objects released '
                f'({on_purpose} left on purpose), {held} pages held')
        on_purpose = 0
    if seen != nr_rmmods:
        res.add('fail', 1, f'{nr_rmmods} rmmod goslab ran, {seen} unload reports')


def parse_records(lines):
    """Split results.log into steps, KTAP documents and selftest outputs."""
    steps, ktap, selftests, done = [], {}, [], False
    taint = None
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
                selftests[-1]['timed_out'] = f[4:] == ['timeout']
                cur = None
            elif f[0] == 'ktap-end':
                cur = None
            elif f[0] == 'taint':
                taint = int(f[1])
            elif f[0] == 'done':
                done = True
        elif cur is not None:
            cur.append(line)
    return steps, ktap, selftests, done, taint


# Taint flags that mean the kernel saw something wrong (kernel/panic.c):
# B bad page (KASAN reports set it too), D died, W warning, L soft lockup.
BAD_TAINTS = {5: 'B (bad page)', 7: 'D (oops)', 9: 'W (warning)',
              14: 'L (soft lockup)'}


def check_taint(taint, expected_taints, res):
    """The taint flags at the end of the run show nothing went wrong.

    Flags in expected_taints come from reports a test provoked on purpose.
    """
    if taint is None:
        res.add('fail', 1, 'the guest did not report its taint flags')
        return
    bad = [name for bit, name in BAD_TAINTS.items() if taint >> bit & 1 and
           bit not in expected_taints]
    allowed = [name for bit, name in BAD_TAINTS.items() if taint >> bit & 1 and
               bit in expected_taints]
    res.add('fail' if bad else 'pass', 1, f'taint flags {taint:#x}: ' +
            (', '.join(bad) if bad else
             'no warning or bad-page taint' + (' but from the expected reports (' +
                                               ', '.join(allowed) + ')' if allowed else '')))


def failed_cases(doc):
    """Name each failed KUnit case as suite.case, with its diagnostic.

    A case's diagnostics are the lines between the previous result line of
    its suite and its own "not ok" line; CI shows only the tail of the
    output, so the name, the first "EXPECTATION FAILED" line and the few
    lines that say what was expected and seen are what must survive there.
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
            first = next((i for i, d in enumerate(diag) if 'FAILED' in d), 0)
            why = ' | '.join(d.lstrip('# ').replace('\t', ' ')
                             for d in diag[first:first + 4]
                             if d.lstrip('# ')) or 'no diagnostic'
            named.append((f'{suite}.{m.group(2)}', why))
        diag = []
    return named


def run_kunit_parse(ksrc, name, doc, outdir, res, cov, filter_glob):
    path = os.path.abspath(os.path.join(outdir, f'{name}.ktap'))
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
    allowed = check_kunit_coverage(cov, name, doc, filter_glob, res)
    if allowed:
        res.add('skip', allowed, f'kunit {name} (allowed: scripts/coverage.txt)')


def count_tap(st, res, cov):
    """Count a selftest's top-level TAP lines, falling back on its status."""
    ok = bad = skip = planned = 0
    skipped = []
    pass_name, prog = st['name'].split(': ', 1)
    for line in st['out']:
        m = re.match(r'(not )?ok\b(?: \d+)?\s*([^#]*?)\s*(#.*)?$',
                     line.rstrip('\n'))
        if m:
            d = re.match(r'#\s*(SKIP|TODO|XFAIL)\b\s*(.*)', m.group(3) or '')
            if d and d.group(1) == 'XFAIL':
                bad += 1            # an expected failure is still not a pass
            elif d:
                skipped.append((f'{prog}:{m.group(2)}', d.group(2)))
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
    skip = cov.judge_skips(pass_name, 'selftest', skipped, res)
    for status, n in (('pass', ok), ('fail', bad), ('skip', skip)):
        if n:
            res.add(status, n, name)
    want = cov.selftests.get(prog)
    if want is None:
        res.add('fail', 1, f'{name}: not in scripts/coverage.txt')
    elif ok + bad + len(skipped) != want:
        res.add('fail', 1, f'{name}: {ok + bad + len(skipped)} results, '
                f'scripts/coverage.txt says {want}')
    if ok + bad + len(skipped) < planned:
        res.add('fail', planned - (ok + bad + len(skipped)),
                f'{name}: results missing from its plan')
    # 4 is kselftest's "skip"; the guest says when it killed a program
    # (and all its processes) at its time limit.
    if rc is None:
        res.add('fail', 1, f'{name}: did not finish')
    elif st.get('timed_out'):
        res.add('fail', 1, f'{name}: timed out (killed, rc {rc})')
    elif rc not in (0, 4) and not bad:
        res.add('fail', 1, f'{name}: exited with status {rc}')
    elif ok + bad + len(skipped) == 0:
        res.add('fail' if rc == 4 else 'pass', 1,
                name + (': skipped as a whole' if rc == 4 else ''))


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
    ap.add_argument('--boot', default='debug',
                    help='the boot\'s name, for the allowed skips')
    ap.add_argument('--coverage', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'coverage.txt'),
                    help='scripts/coverage.txt: what must report')
    ap.add_argument('--cmdline', default='',
                    help='the guest kernel\'s extra command line')
    a = ap.parse_args()
    res = Results(a.rows, a.label)
    cov = Coverage(a.coverage, a.boot)
    m = re.search(r'kunit\.filter_glob=(\S+)', a.cmdline)
    filter_glob = m.group(1) if m else ''

    def read(name):
        path = os.path.join(a.outdir, name)
        if not os.path.exists(path):
            return []
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.readlines()

    console, records = read('console.log'), read('results.log')
    steps, ktap, selftests, done, taint = parse_records(records)

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
                run_kunit_parse(a.ksrc, name, ktap[name], a.outdir, res,
                                cov, filter_glob)
            else:
                res.add('fail', 1, f'kunit {name}: no KTAP came back')
        for st in selftests:
            count_tap(st, res, cov)
        for name in a.passes.split():
            if name not in ('pass3', 'pass4'):              # selftest passes
                continue
            ran = {st['name'].split(': ', 1)[1] for st in selftests
                   if st['name'].startswith(name + ': ')}
            for prog in sorted(set(cov.selftests) - ran):
                res.add('fail', 1, f'selftest {name}: {prog} did not run')

    check_internal_suites(console, res)
    check_unloads(console, sum(1 for rc, what in steps
                               if rc == 0 and 'rmmod goslab' in what and
                               'rmmod goslab_' not in what), res)
    expected_taints = scan_splats(console, load_benign(a.benign)
                                  if a.benign else [], res, cov.reporting)
    if done:
        check_taint(taint, expected_taints, res)


if __name__ == '__main__':
    main()
