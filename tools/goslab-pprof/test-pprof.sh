#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test goslab-pprof on a heap profile dump whose stacks have different
# object sizes (so that a wrong scale cannot cancel out in a ratio): the
# converted profile, read back with `go tool pprof -raw`, must hold every
# stack of the dump, each with the four values Go's scaleHeapSample gives
# (computed here by awk from the dump, independently of goslab-pprof:
# avg = bytes / objects, values * 1 / (1 - exp(-avg / rate)), truncated),
# its mean object size as the "bytes" label, and the dump's rate as the
# period.
#
# usage: test-pprof.sh [DUMP]
#   default: tools/goslab-pprof/testdata/demo-profile.txt.  One result row
#   per check (scripts/common.sh's result()); exit status 1 if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/../../scripts/common.sh"

dump=${1:-$here/testdata/demo-profile.txt}
failed=0
command -v go >/dev/null || die "no go: apt-get install golang-go"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What the dump holds, one line per stack: "FRAMES\tVALUES LABEL", FRAMES
# the function names (or bare addresses) joined by ";", VALUES the four
# values scaled as Go's scaleHeapSample, LABEL the mean object size.
expect() {
	awk '
	function scale(count, size,	avg, f) {
		if (count == 0 || size == 0)
			return "0 0"
		if (rate <= 1)
			return count " " size
		avg = size / count
		f = 1 / (1 - exp(-avg / rate))
		return int(count * f) " " int(size * f)
	}
	function flush() {
		if (values != "")
			print (frames == "" ? "<unknown>" : frames) "\t" values
		values = ""; frames = ""
	}
	$1 == "rate" && NF == 2 { rate = $2 }
	$1 == "@" {
		flush()
		values = scale($2, $3) " " scale($4, $5) " " \
			($2 ? int($3 / $2) : "-")
	}
	/^\t/ {
		name = $1; sub(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, "", name)
		frames = frames (frames == "" ? "" : ";") name
	}
	END { flush() }' "$dump"
}

# What go tool pprof -raw shows, in the same form.
got() {
	awk '
	/^Samples:/ { part = "samples"; next }
	/^Locations/ { part = "locations"; next }
	/^Mappings/ { part = "" }
	part == "samples" && /^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {
		n++; sub(/:/, "", $4)
		values[n] = $1 " " $2 " " $3 " " $4
		ids[n] = ""
		for (i = 5; i <= NF; i++)
			ids[n] = ids[n] " " $i
		label[n] = "-"
	}
	part == "samples" && /bytes:\[[0-9]+ bytes\]/ {
		v = $0; sub(/.*bytes:\[/, "", v); sub(/ bytes\].*/, "", v)
		label[n] = v
	}
	part == "locations" && /^ *[0-9]+: / { sub(/:/, "", $1); loc[$1] = $4 }
	END {
		for (i = 1; i <= n; i++) {
			k = split(ids[i], id, " "); frames = ""
			for (j = 1; j <= k; j++)
				frames = frames (j > 1 ? ";" : "") loc[id[j]]
			print frames "\t" values[i] " " label[i]
		}
	}' "$tmp/raw.txt"
}

if ! "$here/goslab-pprof" -o "$tmp/profile.pb.gz" "$dump"; then
	result fail "goslab-pprof converts $dump"
	exit 1
fi
result pass "goslab-pprof converts $dump"
if ! go tool pprof -raw "$tmp/profile.pb.gz" >"$tmp/raw.txt" 2>&1; then
	result fail "pprof -raw reads the profile"
	exit 1
fi
result pass "pprof -raw reads the profile"

rate=$(awk '$1 == "rate" { print $2; exit }' "$dump")
period=$(awk '$1 == "Period:" { print $2; exit }' "$tmp/raw.txt")
if [ "$period" = "$rate" ]; then
	result pass "pprof -raw: period $period, the dump's rate"
else
	result fail "pprof -raw: period ${period:-none}, the dump's rate $rate"
fi

# Stacks of the same names and mean size, summed: pprof merges samples
# whose functions and labels are the same (two call sites in a function).
merge() {
	awk -F'\t' '{
		split($2, v, " "); k = $1 "\t" v[5]
		for (i = 1; i <= 4; i++)
			sum[k, i] += v[i]
		keys[k] = 1
	} END {
		for (k in keys) {
			split(k, f, "\t")
			print f[1] "\t" sum[k, 1] " " sum[k, 2] " " sum[k, 3] " " \
				sum[k, 4] " " f[2]
		}
	}'
}

expect | merge | sort >"$tmp/expect"
got | merge | sort >"$tmp/got"
[ -s "$tmp/expect" ] || die "no stack in $dump"
# values FILE FRAMES: the values of the stacks FRAMES names in FILE.
values() {
	awk -F'\t' -v f="$2" '$1 == f { print $2 }' "$1" | sort | paste -sd,
}

while IFS= read -r frames; do
	leaf=${frames%%;*}
	want=$(values "$tmp/expect" "$frames")
	have=$(values "$tmp/got" "$frames")
	if [ "$have" = "$want" ]; then
		result pass "pprof -raw: stack at $leaf: $want (scaled, mean size)"
	else
		result fail "pprof -raw: stack at $leaf: ${have:-missing}, want $want (scaled, mean size)"
	fi
done < <(cut -f1 "$tmp/expect" | uniq)
n=$(wc -l <"$tmp/got")
want=$(wc -l <"$tmp/expect")
if [ "$n" -eq "$want" ]; then
	result pass "pprof -raw: $n samples, one per stack of the dump (merged)"
else
	result fail "pprof -raw: $n samples, want one per stack of the dump (merged: $want)"
fi
exit "$failed"
