#!/bin/bash
# mksnapshot.sh CONSOLE_LOG DIR: split the debugfs files that make demo's
# guest prints ("--- /sys/kernel/debug/goslab/NAME" then the file) out of
# its console log into DIR/NAME.  Kernel messages interleaved with a file
# ("[   1.234] ...") are dropped; a "goslab-guest:" or "=====" line ends it.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 CONSOLE_LOG DIR" >&2; exit 1; }
log=$1 dir=$2
mkdir -p "$dir"
tr -d '\r' <"$log" | awk -v dir="$dir" '
	/^--- \/sys\/kernel\/debug\/goslab\// {
		if (out != "")
			close(out)
		name = $2
		sub(/.*\//, "", name)
		out = dir "/" name
		printf "" > out
		next
	}
	/^goslab-guest:|^=====/ {
		if (out != "")
			close(out)
		out = ""
		next
	}
	/^\[ *[0-9]+\.[0-9]+\]/ { next }
	out != "" { print > out }
'
ls "$dir"
