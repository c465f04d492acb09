#!/usr/bin/env bash
# Installs, or reuses from a cache outside the repo, Arize Phoenix from PyPI at the version
# scripts/otel-versions.env pins, in its own Python venv. The e2e test (test/e2e/phoenix.test.ts)
# starts `phoenix serve` from it.
#
#   bash scripts/phoenix.sh           install if missing, then print the path
#   bash scripts/phoenix.sh --paths   print the path; fail if it is not installed yet
#
# stdout carries only the `PHOENIX_BIN=...` line; progress and timings go to stderr.
# Cache: ${LANGCHAIN_OTEL_BIN_CACHE:-$HOME/.cache/langchain-otel}/phoenix-<version>/
# Needs Python >= 3.10 with venv and PyPI; a cold install takes about 6 minutes and 850 MB.
set -euo pipefail

script_tag=phoenix
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

venv_dir="$cache_root/phoenix-$PHOENIX_VERSION"
phoenix_bin="$venv_dir/bin/phoenix"
# Written last: a venv without it is a half-finished install and is rebuilt.
installed_marker="$venv_dir/.installed"


is_installed() { [[ -x "$phoenix_bin" && -f "$installed_marker" ]]; }
print_paths() { printf 'PHOENIX_BIN=%s\n' "$phoenix_bin"; }

if [[ "${1:-}" == "--paths" ]]; then
  is_installed || die "no Phoenix $PHOENIX_VERSION at $venv_dir: run 'bash scripts/phoenix.sh' (or 'npm run test:e2e')"
  print_paths
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: phoenix.sh [--paths])"
fi

install_phoenix() {
  local python started
  python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || die "$python not found (Phoenix needs Python >= 3.10; set PYTHON=...)"
  "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
    die "$python is $("$python" --version 2>&1); Phoenix needs Python >= 3.10 with the venv module"
  started="$(date +%s)"
  log "installing arize-phoenix==$PHOENIX_VERSION into $venv_dir (cold: several minutes)"
  rm -rf "$venv_dir"
  "$python" -m venv "$venv_dir"
  "$venv_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "arize-phoenix==$PHOENIX_VERSION" >&2 || die "pip install arize-phoenix==$PHOENIX_VERSION failed"
  touch "$installed_marker"
  log "installed Phoenix $PHOENIX_VERSION in $(( $(date +%s) - started )) s, $(du -sh "$venv_dir" | cut -f1) on disk"
}

if is_installed; then
  log "reusing Phoenix $PHOENIX_VERSION in $venv_dir"
else
  mkdir -p "$cache_root"
  # One install at a time per cache (two test runs starting together share the result).
  if command -v flock >/dev/null; then
    exec 9>"$cache_root/.phoenix.lock"
    flock 9
  fi
  is_installed || install_phoenix
fi
print_paths
