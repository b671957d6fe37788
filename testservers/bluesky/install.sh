#!/usr/bin/env bash
# Install the Bluesky PDS test server's npm dependencies into a cache folder keyed by the hash of
# package.json + package-lock.json, so every clone on this machine shares one install.
#
# The PDS needs Node >= 22: the pinned npm package `node` brings a Node 22 binary and its headers;
# better-sqlite3 is then compiled against those headers (node-gyp would otherwise try to download
# them). Only the npm registry is contacted. A marker file is written last, so an interrupted
# install is redone from scratch. Prints the install folder on the last line.
#
# Environment: ENVOL_PDS_INSTALL_DIR (use this folder instead of the cache), XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "[bluesky test server] $*"; }
die() { echo "[bluesky test server] ERROR: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun \`make testservers\`."
command -v node >/dev/null 2>&1 || die "node not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun \`make testservers\`."

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
target="${ENVOL_PDS_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/envol/pds-$key}"
marker="$target/.envol-installed"

if [[ -f "$marker" && "$(cat "$marker")" == "$key" ]]; then
    say "already installed in $target"
    echo "$target"
    exit 0
fi

say "installing @atproto/pds and a Node 22 runtime into $target (about 2 minutes, once per machine)"
staging="$target.partial-$$"
trap 'rm -rf "$staging"' EXIT
# Leftovers of killed installs (their process is gone) and a target without its marker go first.
for partial in "$target".partial-*; do
    [[ -d "$partial" ]] && ! kill -0 "${partial##*.partial-}" 2>/dev/null && rm -rf "$partial"
done
rm -rf "$target"
mkdir -p "$staging"
cp "$here/package.json" "$here/package-lock.json" "$staging/"
cd "$staging"

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
say "1/3 npm ci (scripts off; better-sqlite3 is built in step 3)"
npm ci --ignore-scripts --no-progress --loglevel=error

say "2/3 fetching the Node 22 binary (npm package node-linux-*)"
npm rebuild node --foreground-scripts --loglevel=error
node22="$staging/node_modules/.bin/node"
version="$("$node22" --version)" || die "the Node 22 binary from the npm package \`node\` does not run on this machine."
[[ "$version" == v22.* ]] || die "expected Node 22 from the npm package \`node\`, got $version."
headers="$(echo "$staging"/node_modules/node/node_modules/node-*/include/node)"
[[ -f "$headers/node.h" ]] || die "Node headers not found under node_modules/node/node_modules/node-*/include/node."

say "3/3 compiling better-sqlite3 against Node $version (about 1 minute)"
PATH="$staging/node_modules/.bin:$PATH" \
    npm_config_nodedir="$(dirname "$(dirname "$headers")")" \
    npm_config_build_from_source=true \
    npm rebuild better-sqlite3 --loglevel=error
"$node22" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
    || die "better-sqlite3 does not load under Node $version."

echo "$key" > "$staging/.envol-installed"
# -T: if a concurrent install finished first, keep its folder rather than nest ours inside it.
mv -T "$staging" "$target" 2>/dev/null || [[ -f "$marker" ]] || die "could not move the install to $target."
say "installed in $target"
echo "$target"
