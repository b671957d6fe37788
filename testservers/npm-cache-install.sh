#!/usr/bin/env bash
# Install the npm packages of a testservers/<name> folder into a cache folder keyed by the hash of
# its package.json + package-lock.json, shared by every clone on this machine (the tests then
# never touch the network). No install scripts run. A marker file is written last, so an
# interrupted install is redone. Prints the install folder on the last line.
#
# Usage: npm-cache-install.sh LABEL FOLDER CACHE_NAME INSTALL_DIR_VARIABLE CHECK...
#   CHECK: a command run inside the fresh install before it is kept (fails: nothing is kept).
# Environment: $INSTALL_DIR_VARIABLE (use this folder instead of the cache), XDG_CACHE_HOME.
set -euo pipefail

label="$1" here="$2" name="$3" variable="$4"
shift 4
say() { echo "[$label] $*"; }
die() { echo "[$label] ERROR: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun \`make testservers\`."

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${!variable:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/$name-$key}"
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
(cd "$staging" && npm_config_update_notifier=false \
    npm ci --ignore-scripts --no-audit --no-fund --no-progress --loglevel=error)
(cd "$staging" && "$@") || die "the installed packages fail their check: $*"
echo "$key" > "$staging/.envol-installed"
mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || die "could not move the install to $target."
say "installed in $target"
echo "$target"
