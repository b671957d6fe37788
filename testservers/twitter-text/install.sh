#!/usr/bin/env bash
# Install twitter-text (X's own text library, the reference for envol's X count) into a cache
# folder keyed by the hash of package.json + package-lock.json, shared by every clone on this
# machine. Plain JavaScript: no install scripts run, the machine's Node runs it. A marker file is
# written last, so an interrupted install is redone. Prints the install folder on the last line.
#
# Environment: ENVOL_TWITTER_TEXT_INSTALL_DIR (use this folder instead of the cache), XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "[twitter-text] $*"; }
die() { echo "[twitter-text] ERROR: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun \`make testservers\`."

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${ENVOL_TWITTER_TEXT_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/twitter-text-$key}"
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
cd "$staging"
npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
    npm ci --ignore-scripts --no-progress --loglevel=error
echo '["a"]' | NODE_PATH="$staging/node_modules" node "$here/weigh.cjs" >/dev/null \
    || die "twitter-text does not run under $(node --version)."
echo "$key" > "$staging/.envol-installed"
mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || die "could not move the install to $target."
say "installed in $target"
echo "$target"
