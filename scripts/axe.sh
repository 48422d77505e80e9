#!/usr/bin/env bash
# Fetch axe-core for the browser tests' accessibility checks (cmd/plandash
# axe_test.go) from the npm registry with `npm pack`, into
# cmd/plandash/testdata/axe/axe-core-VERSION/ (git-ignored). The version is
# the one axe_test.go pins. Nothing is done when it is already there.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=$(sed -n 's/^const axeVersion = "\(.*\)"$/\1/p' "$ROOT/cmd/plandash/axe_test.go")
[ -n "$VERSION" ] || { echo "axe.sh: no axeVersion in cmd/plandash/axe_test.go" >&2; exit 1; }
DEST="$ROOT/cmd/plandash/testdata/axe/axe-core-$VERSION"
if [ -f "$DEST/axe.min.js" ]; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "axe.sh: npm is needed to fetch axe-core@$VERSION" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/axe.XXXXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts "axe-core@$VERSION" >/dev/null)
tar -xzf "$tmp/axe-core-$VERSION.tgz" -C "$tmp"
grep -q "axe v$VERSION" "$tmp/package/axe.min.js" || { echo "axe.sh: the package is not axe-core $VERSION" >&2; exit 1; }
mkdir -p "$DEST"
cp "$tmp/package/LICENSE" "$DEST/LICENSE"
cp "$tmp/package/axe.min.js" "$DEST/axe.min.js.tmp"
mv "$DEST/axe.min.js.tmp" "$DEST/axe.min.js"
echo "axe.sh: axe-core $VERSION in $DEST" >&2
