#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test goslab-map in a real browser: draw a snapshot and a series, render
# the page with Debian's chromium headless, and check that the screenshot
# is not blank and that the page's DOM has one row per chunk of the
# snapshot's spans file and one cell per heap page in those chunks, and
# the series charts with their GC cycles and scavenger runs.  Then check
# that a spans file of another format version is refused, clearly.
#
# usage: test-map.sh [SNAPSHOT_DIR [SERIES_DIR]]
#   default: the fixtures under tools/goslab-map/tests/.  GOSLAB_OUT keeps
#   heap.html, heap.png and dom.html there (default: a temporary directory,
#   removed).  One result row per check (scripts/common.sh's result());
#   exit status 1 if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/../../scripts/common.sh"

snapshot=${1:-$here/tests/snapshot}
series=${2:-$here/tests/series}
map=$here/goslab-map
failed=0

if [ -n "${GOSLAB_OUT:-}" ]; then
	work=$GOSLAB_OUT
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

# chromium_run ARGS...: chromium headless on our page, its own profile.
chromium_run() {
	timeout 180 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$work/profile" "$@" "file://$work/heap.html" \
		2>>"$work/chromium.log"
}

# What the snapshot's spans file says, read here without goslab-map:
# "CHUNKS PAGES", the chunks and the heap pages in them (huge objects
# excluded).
spans_expect() {
	awk 'NR > 2 && NF >= 4 && $1 != "-" {
		if (!($1 in seen)) { seen[$1] = 1; chunks++ }
		pages += $3
	} END { print chunks + 0, pages + 0 }' "$snapshot/spans"
}

# What the series holds between consecutive snapshots: "CYCLES SCAVENGES",
# the snapshots by which GC cycles were counted and those by which pages
# were given back.
series_expect() {
	local d cycles runs pc=-1 pr=-1 ncyc=0 nscav=0
	for d in "$series"/*/; do
		cycles=0
		[ ! -f "$d/gc" ] ||
			cycles=$(awk '$1 == "cycles" { n += $2 } END { print n + 0 }' "$d/gc")
		runs=$(awk '$1 == "scavenges" { print $2; exit }' "$d/heap")
		runs=${runs:-0}
		if [ "$pc" -ge 0 ]; then
			[ "$cycles" -le "$pc" ] || ncyc=$((ncyc + 1))
			[ "$runs" -le "$pr" ] || nscav=$((nscav + 1))
		fi
		pc=$cycles
		pr=$runs
	done
	echo "$ncyc $nscav"
}

# count PATTERN FILE: how many times the fixed string occurs.
count() { grep -oF -- "$1" "$2" | wc -l; }

if ! command -v chromium >/dev/null; then
	result fail "map: chromium is not installed (run: make deps)"
	exit 1
fi

if "$map" --series "$series" -o "$work/heap.html" "$snapshot"; then
	result pass "map: goslab-map draws $(basename "$snapshot") with a series of $(find "$series" -mindepth 1 -maxdepth 1 -type d | wc -l) snapshots"
else
	result fail "map: goslab-map draws the snapshot"
	exit 1
fi

# Not blank: a page of many colours (palette, hatching, charts).
rm -f "$work/heap.png"
chromium_run --screenshot="$work/heap.png" --window-size=1400,2000 >/dev/null || true
if [ ! -s "$work/heap.png" ]; then
	result fail "map: chromium renders a screenshot ($work/chromium.log)"
elif ! colours=$(/usr/bin/python3 -c '
import sys
from PIL import Image
print(len(Image.open(sys.argv[1]).convert("RGB").getcolors(1 << 24)))' "$work/heap.png"); then
	result fail "map: reading the screenshot (python3-pil: run make deps)"
elif [ "$colours" -ge 8 ]; then
	result pass "map: screenshot is not blank ($colours distinct colours)"
else
	result fail "map: screenshot is not blank (only $colours distinct colours)"
fi

# The DOM as the browser built it.
chromium_run --dump-dom >"$work/dom.html" || true
read -r chunks pages < <(spans_expect)
got_chunks=$(count '<g class="chunk"' "$work/dom.html")
got_rows=$(count '<tr class="chunk-row"' "$work/dom.html")
got_pages=$(count '<rect class="page"' "$work/dom.html")
if [ "$chunks" -gt 0 ] && [ "$got_chunks" -eq "$chunks" ] && [ "$got_rows" -eq "$chunks" ]; then
	result pass "map: one row per chunk ($chunks chunks in spans, $got_chunks drawn, $got_rows in the table)"
else
	result fail "map: one row per chunk ($chunks chunks in spans, $got_chunks drawn, $got_rows in the table)"
fi
if [ "$pages" -gt 0 ] && [ "$got_pages" -eq "$pages" ]; then
	result pass "map: one cell per heap page ($pages pages in the chunks' runs, $got_pages cells)"
else
	result fail "map: one cell per heap page ($pages pages in the chunks' runs, $got_pages cells)"
fi

# Hovering a cell names its span: each span's group carries a <title>.
spans=$(awk 'NR > 2 && NF >= 4 && $1 != "-"' "$snapshot/spans" | wc -l)
titled=$(grep -oE '<g class="span [a-z]+"[^>]*><title>' "$work/dom.html" | wc -l)
if [ "$titled" -eq "$spans" ]; then
	result pass "map: a tooltip for each of the $spans runs"
else
	result fail "map: a tooltip for each of the $spans runs ($titled)"
fi

# Every kind of run the snapshot has is drawn as that kind.
while read -r state; do
	want=$(awk -v s="$state" 'NR > 2 && $4 == s' "$snapshot/spans" | wc -l)
	if [ "$state" = huge ]; then
		got=$(count '<g class="huge"' "$work/dom.html")
	else
		got=$(count "<g class=\"span $state\"" "$work/dom.html")
	fi
	if [ "$got" -eq "$want" ]; then
		result pass "map: $want $state runs drawn"
	else
		result fail "map: $want $state runs drawn ($got)"
	fi
done < <(awk 'NR > 2 && NF >= 4 { print $4 }' "$snapshot/spans" | sort -u)
gc_bars=$(awk 'NR > 2 && $4 == "gc" && NF >= 11' "$snapshot/spans" | wc -l)
if [ "$(count '<rect class="gcbar-frame"' "$work/dom.html")" -eq "$gc_bars" ]; then
	result pass "map: a white/grey/black bar on each of the $gc_bars GC spans with colour counts"
else
	result fail "map: a white/grey/black bar on each of the $gc_bars GC spans with colour counts"
fi

# The series: its chart, a line per figure, an event per GC cycle and
# per scavenger run.
read -r cycles scavenges < <(series_expect)
got_cycles=$(count '<g class="event gc-cycle"' "$work/dom.html")
got_scav=$(count '<g class="event scavenge"' "$work/dom.html")
charts=$(count 'class="series-chart"' "$work/dom.html")
if grep -qF '<svg id="series"' "$work/dom.html" &&
	grep -qF 'data-series="pages_held"' "$work/dom.html" &&
	grep -qF 'data-series="pages_in_use"' "$work/dom.html" &&
	grep -qF 'data-series="pages_released"' "$work/dom.html"; then
	result pass "map: series chart of pages held, in use and released"
else
	result fail "map: series chart of pages held, in use and released"
fi
if [ "$charts" -gt 0 ] && [ "$got_cycles" -eq $((cycles * charts)) ] &&
	[ "$got_scav" -eq $((scavenges * charts)) ]; then
	result pass "map: series marks $cycles GC cycles and $scavenges scavenger runs in each of $charts charts"
else
	result fail "map: series marks $cycles GC cycles and $scavenges scavenger runs ($got_cycles, $got_scav marks in $charts charts)"
fi

# A spans file of another format, or of none, is refused with a message
# naming the version.
bad=$work/bad-version
rm -rf "$bad"
mkdir -p "$bad"
cp "$snapshot"/* "$bad/"
sed -i '1s/.*/goslab-spans 2/' "$bad/spans"
if ! "$map" "$bad" >/dev/null 2>"$work/bad.err" &&
	grep -q 'spans format version 2; goslab-map reads version 1 only' "$work/bad.err"; then
	result pass "map: refuses spans format version 2 ($(cat "$work/bad.err"))"
else
	result fail "map: refuses spans format version 2 ($(cat "$work/bad.err"))"
fi
sed -i '1d' "$bad/spans"
if ! "$map" "$bad" >/dev/null 2>"$work/bad.err" &&
	grep -q 'no version line' "$work/bad.err"; then
	result pass "map: refuses a spans file without a version line"
else
	result fail "map: refuses a spans file without a version line ($(cat "$work/bad.err"))"
fi

[ -z "${GOSLAB_OUT:-}" ] || log "heap map: $work/heap.html, screenshot $work/heap.png"
exit "$failed"
