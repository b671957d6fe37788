#!/usr/bin/env bash
# Install axe-core (the accessibility engine the browser tests inject into every page) into the
# shared npm cache (see ../npm-cache-install.sh). Prints the install folder on the last line.
# Environment: ENVOL_AXE_INSTALL_DIR, XDG_CACHE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../npm-cache-install.sh" axe-core "$here" axe ENVOL_AXE_INSTALL_DIR \
    test -f node_modules/axe-core/axe.min.js
