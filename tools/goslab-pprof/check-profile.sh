#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-profile.sh DUMP [BIG SMALL RATIO]: does go tool pprof see in
# goslab's heap profile what the demo allocated?
#
# DUMP is a copy of debugfs "profile" taken while samples/demo_profile.c
# keeps its heap: RATIO (default 3) times as many bytes and objects from
# the function BIG (default demo_alloc_big_share) as from SMALL (default
# demo_alloc_small_share), all still in use.  The dump is converted with
# goslab-pprof and read with `go tool pprof -top`; for each of the four
# sample types, BIG must rank above SMALL, and each one's share of the
# two together must be within 20% of the truth (3/4 and 1/4 by default).
# Prints one result row per check, as scripts/common.sh's result()
# (appended to $rows if set), and exits 1 if any failed.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/../../scripts/common.sh"

if [ $# -lt 1 ] || [ $# -gt 4 ]; then
	die "usage: $0 DUMP [BIG SMALL RATIO]"
fi
dump=$1
big=${2:-demo_alloc_big_share}
small=${3:-demo_alloc_small_share}
ratio=${4:-3}
command -v go >/dev/null || die "no go: apt-get install golang-go"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
"$(dirname "$0")/goslab-pprof" -o "$tmp/profile.pb.gz" "$dump" ||
	die "goslab-pprof could not read $dump"

for index in inuse_space inuse_objects alloc_space alloc_objects; do
	# Flat values in bytes (or objects), every node.
	go tool pprof -top -unit=B -nodefraction=0 -sample_index="$index" \
		"$tmp/profile.pb.gz" >"$tmp/$index.txt" 2>&1 ||
		{ result fail "pprof: -top -sample_index=$index reads the profile"; continue; }
	awk -v big="$big" -v small="$small" -v ratio="$ratio" -v what="$index" '
		# "  16225279B 75.00% 75.00%  16225279B 75.00%  name"
		NF == 6 && ($6 == big || $6 == small) {
			v = $1; sub(/B$/, "", v); flat[$6] = v + 0; rank[$6] = ++n
		}
		END {
			if (!(big in flat) || !(small in flat)) {
				printf "fail\tpprof %s: %s and %s both listed\n", what, big, small
				exit
			}
			printf "%s\tpprof %s: %s ranks above %s\n",
				rank[big] < rank[small] ? "pass" : "fail", what, big, small
			total = flat[big] + flat[small]
			want = ratio / (ratio + 1)
			got = flat[big] / total
			printf "%s\tpprof %s: %s has %.1f%% of the two (truth %.1f%%, +-20%%)\n",
				(got >= want * 0.8 && got <= want * 1.2) ? "pass" : "fail",
				what, big, 100 * got, 100 * want
			want = 1 / (ratio + 1)
			got = flat[small] / total
			printf "%s\tpprof %s: %s has %.1f%% of the two (truth %.1f%%, +-20%%)\n",
				(got >= want * 0.8 && got <= want * 1.2) ? "pass" : "fail",
				what, small, 100 * got, 100 * want
		}' "$tmp/$index.txt" >"$tmp/rows"
	while IFS=$'\t' read -r status what; do
		result "$status" "$what"
	done <"$tmp/rows"
done

# -diff_base of the profile against itself: every function's change is 0.
if go tool pprof -top -nodefraction=0 -diff_base="$tmp/profile.pb.gz" \
	"$tmp/profile.pb.gz" >"$tmp/diff.txt" 2>&1 &&
	grep -q "Showing nodes accounting for 0, 0% of" "$tmp/diff.txt"; then
	result pass "pprof -diff_base: the profile against itself differs in nothing"
else
	result fail "pprof -diff_base: the profile against itself differs in nothing"
fi
exit "$failed"
