#!/usr/bin/env bash
# Refresh and/or verify the vendored Apache ECharts build.
#
# Usage:
#   scripts/echarts.sh                    Download echarts@$VERSION from the npm
#                                         registry (npm pack), check the new
#                                         dist/echarts.min.js against
#                                         echarts.sha256 and, only if it matches,
#                                         copy it plus LICENSE/NOTICE into the
#                                         vendor directory.
#   scripts/echarts.sh --update-checksum  Same download, but install the file
#                                         unconditionally and rewrite
#                                         echarts.sha256 (use when bumping
#                                         VERSION; review the diff!).
#   scripts/echarts.sh --verify           Offline: only check the vendored
#                                         echarts.min.js against echarts.sha256.
#
# Files (relative to the repository root):
#   internal/web/static/vendor/echarts.min.js   <- package/dist/echarts.min.js
#   internal/web/static/vendor/ECHARTS-LICENSE  <- package/LICENSE
#   internal/web/static/vendor/ECHARTS-NOTICE   <- package/NOTICE (if present)
#   internal/web/static/vendor/echarts.sha256   "<sha256>  echarts.min.js"
#
# Exit status is non-zero on any failure, including a checksum mismatch.

set -euo pipefail

VERSION=5.6.0
PACKAGE=echarts

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
VENDOR_DIR="$ROOT/internal/web/static/vendor"
JS_NAME=echarts.min.js
SUM_NAME=echarts.sha256

die() {
	printf '\necharts.sh: ERROR: %s\n\n' "$*" >&2
	exit 1
}

log() {
	printf 'echarts.sh: %s\n' "$*" >&2
}

usage() {
	sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# sha256_of FILE -> prints the lowercase hex digest.
sha256_of() {
	local file=$1 out
	if command -v sha256sum >/dev/null 2>&1; then
		out=$(sha256sum -- "$file")
	elif command -v shasum >/dev/null 2>&1; then
		out=$(shasum -a 256 -- "$file")
	else
		die "neither sha256sum nor shasum is available"
	fi
	printf '%s\n' "${out%% *}"
}

# expected_sum -> prints the digest recorded in echarts.sha256 (validating its format).
expected_sum() {
	local sumfile="$VENDOR_DIR/$SUM_NAME" line hash name rest
	[ -f "$sumfile" ] || die "checksum file missing: $sumfile (run with --update-checksum to create it)"
	line=$(grep -v '^[[:space:]]*$' "$sumfile" || true)
	[ -n "$line" ] || die "checksum file is empty: $sumfile"
	[ "$(printf '%s\n' "$line" | wc -l | tr -d ' ')" = "1" ] || die "checksum file must contain exactly one line: $sumfile"
	read -r hash name rest <<<"$line"
	name=${name#\*} # sha256sum binary-mode marker
	[ -z "${rest:-}" ] || die "malformed checksum line in $sumfile: $line"
	[ "$name" = "$JS_NAME" ] || die "checksum file names '$name', expected '$JS_NAME': $sumfile"
	[[ "$hash" =~ ^[0-9a-fA-F]{64}$ ]] || die "malformed sha256 in $sumfile: $hash"
	printf '%s\n' "$hash" | tr 'A-F' 'a-f'
}

# check_version FILE -> the build must declare the pinned version.
check_version() {
	local file=$1
	grep -q "version=\"$VERSION\"" "$file" ||
		die "$file does not declare ECharts version $VERSION"
}

verify() {
	local file="$VENDOR_DIR/$JS_NAME" want got
	[ -f "$file" ] || die "vendored file missing: $file (run scripts/echarts.sh to fetch it)"
	want=$(expected_sum)
	got=$(sha256_of "$file")
	if [ "$got" != "$want" ]; then
		die "CHECKSUM MISMATCH for $file
    expected (echarts.sha256): $want
    actual:                    $got
The vendored ECharts file was modified or the checksum is stale.
Restore it with scripts/echarts.sh, or if the change is intentional run
scripts/echarts.sh --update-checksum and review the diff."
	fi
	check_version "$file"
	log "OK: $JS_NAME (ECharts $VERSION) sha256 $got"
}

refresh() {
	local update_checksum=$1 tmp tarball pkg got want pkg_version

	command -v npm >/dev/null 2>&1 || die "npm is required to download $PACKAGE@$VERSION"
	command -v tar >/dev/null 2>&1 || die "tar is required"

	tmp=$(mktemp -d "${TMPDIR:-/tmp}/echarts.XXXXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf -- '$tmp'" EXIT

	log "downloading $PACKAGE@$VERSION with npm pack"
	(cd "$tmp" && npm pack --silent --ignore-scripts "$PACKAGE@$VERSION" >/dev/null) ||
		die "npm pack $PACKAGE@$VERSION failed"

	tarball=
	for f in "$tmp"/"$PACKAGE"-*.tgz; do
		[ -f "$f" ] && tarball=$f
	done
	[ -n "$tarball" ] || die "npm pack produced no tarball in $tmp"

	mkdir "$tmp/x"
	tar -xzf "$tarball" -C "$tmp/x" || die "could not extract $tarball"
	pkg="$tmp/x/package"

	[ -f "$pkg/package.json" ] || die "tarball has no package/package.json"
	pkg_version=$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n 1)
	[ "$pkg_version" = "$VERSION" ] || die "downloaded package is version '$pkg_version', expected $VERSION"
	[ -f "$pkg/dist/$JS_NAME" ] || die "tarball has no dist/$JS_NAME"
	[ -f "$pkg/LICENSE" ] || die "tarball has no LICENSE"
	check_version "$pkg/dist/$JS_NAME"

	got=$(sha256_of "$pkg/dist/$JS_NAME")

	if [ "$update_checksum" = 1 ]; then
		log "installing $JS_NAME and rewriting $SUM_NAME"
	else
		want=$(expected_sum)
		if [ "$got" != "$want" ]; then
			die "CHECKSUM MISMATCH for downloaded $PACKAGE@$VERSION dist/$JS_NAME
    expected (echarts.sha256): $want
    actual (npm registry):     $got
Nothing was changed. If VERSION was bumped on purpose, rerun with
--update-checksum and review the diff."
		fi
	fi

	mkdir -p "$VENDOR_DIR"
	cp -- "$pkg/dist/$JS_NAME" "$VENDOR_DIR/$JS_NAME"
	cp -- "$pkg/LICENSE" "$VENDOR_DIR/ECHARTS-LICENSE"
	# Parts of ECharts come from d3 (BSD-3-Clause): its licence travels too.
	if [ -f "$pkg/licenses/LICENSE-d3" ]; then
		cp -- "$pkg/licenses/LICENSE-d3" "$VENDOR_DIR/ECHARTS-LICENSE-d3"
	fi
	if [ -f "$pkg/NOTICE" ]; then
		cp -- "$pkg/NOTICE" "$VENDOR_DIR/ECHARTS-NOTICE"
	else
		rm -f -- "$VENDOR_DIR/ECHARTS-NOTICE"
	fi

	if [ "$update_checksum" = 1 ]; then
		printf '%s  %s\n' "$got" "$JS_NAME" >"$VENDOR_DIR/$SUM_NAME"
	fi

	verify
}

main() {
	local mode=refresh
	if [ $# -gt 1 ]; then
		usage >&2
		die "expected at most one argument"
	fi
	case "${1:-}" in
	"") mode=refresh ;;
	--verify) mode=verify ;;
	--update-checksum) mode=update ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		die "unknown argument: $1"
		;;
	esac

	case "$mode" in
	verify) verify ;;
	refresh) refresh 0 ;;
	update) refresh 1 ;;
	esac
}

main "$@"
