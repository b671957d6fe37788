#!/usr/bin/env bash
# Install axe-core (the accessibility engine the browser tests inject into every page) from the
# npm registry into a cache folder keyed by the hash of package.json + package-lock.json, so
# every clone on this machine shares one install and the tests never touch the network.
# Prints the install folder on the last line. Environment: ENVOL_AXE_INSTALL_DIR, XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "[axe-core] $*"; }
command -v npm >/dev/null 2>&1 || { echo "[axe-core] ERROR: npm not found (Debian: apt-get install nodejs npm)" >&2; exit 1; }

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${ENVOL_AXE_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/axe-$key}"
marker="$target/.envol-installed"
if [[ -f "$marker" && "$(cat "$marker")" == "$key" ]]; then
    say "already installed in $target"
    echo "$target"
    exit 0
fi
say "installing into $target"
staging="$target.partial-$$"
trap 'rm -rf "$staging"' EXIT
rm -rf "$target"
mkdir -p "$staging"
cp "$here/package.json" "$here/package-lock.json" "$staging/"
(cd "$staging" && npm ci --ignore-scripts --no-audit --no-fund --no-progress --loglevel=error)
[[ -f "$staging/node_modules/axe-core/axe.min.js" ]] || { echo "[axe-core] ERROR: axe.min.js missing after install" >&2; exit 1; }
echo "$key" > "$staging/.envol-installed"
mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || { echo "[axe-core] ERROR: could not move the install to $target" >&2; exit 1; }
say "installed in $target"
echo "$target"
