# Sourced by the install scripts (otel-binaries.sh, phoenix.sh, sdk-latest.sh) after they set
# `script_tag`: the repo root, the pinned versions, the cache outside the repo, and logging to
# stderr (their stdout carries only the paths the tests read).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=otel-versions.env
source "$repo_root/scripts/otel-versions.env"
cache_root="${LANGCHAIN_OTEL_BIN_CACHE:-${HOME:?neither LANGCHAIN_OTEL_BIN_CACHE nor HOME is set}/.cache/langchain-otel}"

log() { printf '[%s] %s\n' "$script_tag" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$script_tag" "$*" >&2; exit 1; }
