#!/usr/bin/env bash
# Install axe-core (the accessibility engine the browser tests inject into pages) into a cache
# folder keyed by the hash of package.json + package-lock.json, so every clone on this machine
# shares one install. Only the npm registry is contacted. A marker file is written last, so an
# interrupted install is redone. Prints the install folder on the last line.
#
# Environment: ENVOL_AXE_INSTALL_DIR (use this folder instead of the cache), XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "[axe-core] $*"; }
die() { echo "[axe-core] ERROR: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun \`make testservers\`."

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${ENVOL_AXE_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/axe-$key}"
marker="$target/.envol-installed"

if [[ -f "$marker" && "$(cat "$marker")" == "$key" ]]; then
    say "already installed in $target"
    echo "$target"
    exit 0
fi

staging="$target.partial-$$"
trap 'rm -rf "$staging"' EXIT
for partial in "$target".partial-*; do
    [[ -d "$partial" ]] && ! kill -0 "${partial##*.partial-}" 2>/dev/null && rm -rf "$partial"
done
rm -rf "$target"
mkdir -p "$staging"
cp "$here/package.json" "$here/package-lock.json" "$staging/"
cd "$staging"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
say "npm ci (axe-core, scripts off)"
npm ci --ignore-scripts --no-progress --loglevel=error
[[ -f node_modules/axe-core/axe.min.js ]] || die "node_modules/axe-core/axe.min.js is missing after npm ci."
echo "$key" > "$staging/.envol-installed"
mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || die "could not move the install to $target."
say "installed in $target"
echo "$target"
