#!/usr/bin/env bash
# Set up a fresh machine (pnpm 12.4.2, dependencies, build) and run the main job once.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.4.2
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  # better-sqlite3 builds from source against the machine's Node headers, offline.
  export npm_config_nodedir=/usr
  gyp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/node-gyp/$(node -p process.versions.node)"
  if [ ! -e "$gyp_dir/include/node/common.gypi" ]; then
    mkdir -p "$gyp_dir/include"
    ln -sfn /usr/include/node "$gyp_dir/include/node"
    echo 11 > "$gyp_dir/installVersion"
  fi
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if p="$(command -v pnpm)" && readlink -f "$p" | grep -q corepack; then
    corepack disable --install-directory "$(dirname "$p")" pnpm || true
  fi
  npm install --global --allow-scripts=pnpm "pnpm@$PNPM_VERSION"
  hash -r
fi
pnpm install --frozen-lockfile
pnpm exec turbo telemetry disable >/dev/null 2>&1 || true
pnpm build
pnpm --silent run demo
