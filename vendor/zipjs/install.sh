#!/usr/bin/env bash
# Vendor zip.js (BSD-3-Clause) from the npm registry into envol's static files: the archive page
# reads the X archive in the browser and sends only the lists envol needs. Installed into a cache
# folder keyed by the hash of package.json + package-lock.json (one install per machine), then
# copied to envol/web/static/envol/vendor/ (not in git). Never a CDN: the CSP allows only
# envol's own scripts. Environment: ENVOL_ZIPJS_INSTALL_DIR, XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
static="$here/../../envol/web/static/envol/vendor"
say() { echo "[zip.js] $*"; }
command -v npm >/dev/null 2>&1 || { echo "[zip.js] ERROR: npm not found (Debian: apt-get install nodejs npm)" >&2; exit 1; }

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${ENVOL_ZIPJS_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/zipjs-$key}"
marker="$target/.envol-installed"
if [[ ! -f "$marker" || "$(cat "$marker")" != "$key" ]]; then
    say "installing into $target"
    staging="$target.partial-$$"
    trap 'rm -rf "$staging"' EXIT
    rm -rf "$target"
    mkdir -p "$staging"
    cp "$here/package.json" "$here/package-lock.json" "$staging/"
    (cd "$staging" && npm ci --ignore-scripts --no-audit --no-fund --no-progress --loglevel=error)
    [[ -f "$staging/node_modules/@zip.js/zip.js/dist/zip-core.min.js" ]] || { echo "[zip.js] ERROR: dist/zip-core.min.js missing after install" >&2; exit 1; }
    echo "$key" > "$staging/.envol-installed"
    mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || { echo "[zip.js] ERROR: could not move the install to $target" >&2; exit 1; }
fi
mkdir -p "$static"
cp "$target/node_modules/@zip.js/zip.js/dist/zip-core.min.js" "$static/zip-core.min.js"
cp "$target/node_modules/@zip.js/zip.js/LICENSE" "$static/zip-core.LICENSE.txt"
say "vendored into envol/web/static/envol/vendor/"
