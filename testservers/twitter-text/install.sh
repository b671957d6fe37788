#!/usr/bin/env bash
# Install twitter-text (X's own text library, the reference for envol's X count) into the shared
# npm cache (see ../npm-cache-install.sh). Plain JavaScript: the machine's Node runs it.
# Prints the install folder on the last line.
#
# Environment: ENVOL_TWITTER_TEXT_INSTALL_DIR (use this folder instead of the cache), XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check="echo '[\"a\"]' | NODE_PATH=node_modules node '$here/weigh.cjs' >/dev/null"
exec bash "$here/../npm-cache-install.sh" twitter-text "$here" twitter-text \
    ENVOL_TWITTER_TEXT_INSTALL_DIR bash -c "$check"
