# shellcheck shell=bash disable=SC2034 # the variables are for the sourcing scripts
# Helpers of goslab-top's host tests (test-tmux.sh, test-batch.sh).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixture=$here/tests/snapshot
failed=0

# result pass|fail NAME: one result row; a failure fails the script.
result() {
	printf '%s %s\n' "$1" "$2"
	[ "$1" = pass ] || failed=1
}

# expect NAME COMMAND...: pass if COMMAND succeeds.
expect() {
	local name=$1

	shift
	if "$@"; then
		result pass "$name"
	else
		result fail "$name"
	fi
}

# screen N FILE: the Nth screen of goslab-top's output (N = 1, 2, ...;
# $ = the last).
screen() {
	awk -v n="$1" '
		/^goslab-top - / { s++ }
		{ line[s] = line[s] $0 "\n" }
		END { printf "%s", line[n == "$" ? s : n] }' "$2"
}

# rows: the class table's rows of a screen on stdin, as
# KIND NAME SIZE SPANS OBJS USE% BYTES WASTE MOVED/S.
rows() {
	grep -E '^(class|cache) '
}

# field COL: column COL of the rows on stdin.
field() {
	awk -v c="$1" '{ print $c }'
}

# descending: the numbers on stdin never grow.
descending() {
	awk 'NR > 1 && $1 > prev { bad = 1 } { prev = $1 } END { exit bad || NR == 0 }'
}

# binary [PATH]: goslab-top, given or beside this script.
binary() {
	local bin=${1:-$here/goslab-top}

	[ -x "$bin" ] || { echo "no goslab-top at $bin: make -C $here" >&2; exit 1; }
	readlink -f "$bin"
}
