#!/bin/bash
# tests/tools/check-layers.sh [ROOT [OBJ_DIR]] - the source tree's layering:
#
#   common/  depends on nothing else in the tree
#   conf/    depends on common/ only
#   pam_module/ helper/ tools/ systemd/  on common/ and conf/
#
# Checked two ways: every #include of a file in common/ or conf/
# must name a header of its own layer or one below (by where the header
# lives, whatever path the include spells); and with OBJ_DIR (a build's
# obj/ directory, e.g. build/test/obj) no object of common/ or conf/ may
# use a symbol that an object of a higher layer defines (nm).  Prints
# one line per violation; exit 1 if there is any, 0 if none.
# tests/unit/test-layers.sh runs it (make check-unit).
set -u
ROOT=${1:-.}
OBJ=${2:-}
cd "$ROOT" || exit 2
UPPER=(pam_module helper tools systemd)
bad=0

# One awk over every include line: a header is looked up where the
# compiler looks (the including file's directory, then -Icommon -Iconf);
# one it cannot reach is placed where it lives.  A path with a directory
# ("../helper/x.h") is resolved against the including file's directory.
if ! find common conf pam_module helper tools systemd -maxdepth 1 -name '*.h' 2>/dev/null |
	awk -v upper="${UPPER[*]}" '
	function layer(d) { return d == "common" ? 0 : d == "conf" ? 1 : (d in up) ? 2 : -1 }
	function norm(p,   n, i, k, part, out) {
		n = split(p, part, "/"); k = 0
		for (i = 1; i <= n; i++) {
			if (part[i] == "." || part[i] == "") continue
			if (part[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
			out[++k] = part[i]
		}
		p = ""
		for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i]
		return p
	}
	function report(f, line, name, d) {
		printf "%s:%d: includes \"%s\" from %s/ (a layer above %s/)\n", f, line, name, d, dirof(f)
		bad = 1
	}
	function dirof(f) { sub(/\/[^\/]*$/, "", f); return f }
	BEGIN { n = split(upper, u, " "); for (i = 1; i <= n; i++) up[u[i]] = 1 }
	FILENAME == "-" { have[$0] = 1; next }
	/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
		# <x.h> too: -I makes the tree'"'"'s headers reachable that way.
		name = $0; sub(/^[^<"]*[<"]/, "", name); sub(/[>"].*$/, "", name)
		own = dirof(FILENAME); mine = layer(own)
		if (name ~ /\//) {
			p = norm(own "/" name); d = dirof(p)
			if (layer(d) > mine) report(FILENAME, FNR, name, d)
			next
		}
		d = ((own "/" name) in have) ? own : ("common/" name) in have ? "common" : \
		    ("conf/" name) in have ? "conf" : ""
		if (d != "") {
			if (layer(d) > mine) report(FILENAME, FNR, name, d)
			next
		}
		for (i = 1; i <= n; i++)
			if ((u[i] "/" name) in have) report(FILENAME, FNR, name, u[i])
	}
	END { exit bad }' - common/*.[ch] conf/*.[ch]; then
	bad=1
fi

# Symbols: what the lower layers' objects use against what the higher
# layers' objects define.
if [ -n "$OBJ" ]; then
	if ! [ -d "$OBJ/common" ]; then
		echo "check-layers: $OBJ/common: no objects (build first)" >&2
		exit 2
	fi
	defs() {
		local d
		for d in "$@"; do
			[ -d "$OBJ/$d" ] || continue
			nm --defined-only -g "$OBJ/$d"/*.o 2>/dev/null | awk 'NF == 3 { print $3 }'
		done | sort -u
	}
	undef() {
		nm -u "$OBJ/$1"/*.o 2>/dev/null | awk 'NF >= 2 { print $NF }' | sort -u
	}
	up_conf=$(defs conf "${UPPER[@]}")
	up_top=$(defs "${UPPER[@]}")
	for s in $(comm -12 <(undef common) <(printf '%s\n' "$up_conf")); do
		echo "$OBJ/common: uses $s, defined in a layer above common/"
		bad=1
	done
	for s in $(comm -12 <(undef conf) <(printf '%s\n' "$up_top")); do
		echo "$OBJ/conf: uses $s, defined in a layer above conf/"
		bad=1
	done
fi
exit "$bad"
