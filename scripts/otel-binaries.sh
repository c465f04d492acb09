#!/usr/bin/env bash
# Builds, or reuses from a cache outside the repo, the real `jaeger`, `otelcol` and `prometheus`
# binaries that the e2e tests run, at the versions docker-compose.yml pins (scripts/otel-versions.env).
# Needs Go (>= 1.25) and the Go module proxy; no Docker.
#
#   bash scripts/otel-binaries.sh           build what is missing, then print the paths
#   bash scripts/otel-binaries.sh --paths   print the paths; fail if a binary is not built yet
#
# stdout carries only `JAEGER_BIN=...`, `OTELCOL_BIN=...` and `PROMETHEUS_BIN=...` lines
# (test/e2e/stack.ts reads them); progress and timings go to stderr.
# Cache: ${LANGCHAIN_OTEL_BIN_CACHE:-$HOME/.cache/langchain-otel}/<name>-<version>/<name>; the
# collector's directory also carries a hash of the builder manifest, so branches with different
# component lists keep one build each.
set -euo pipefail

script_tag=otel-binaries
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
builder_manifest="$repo_root/scripts/otelcol-builder.yaml"

manifest_hash="$(sha256sum "$builder_manifest" | cut -c1-12)"
jaeger_dir="$cache_root/jaeger-$JAEGER_VERSION"
otelcol_dir="$cache_root/otelcol-$OTELCOL_VERSION-$manifest_hash"
prometheus_dir="$cache_root/prometheus-$PROMETHEUS_VERSION"
jaeger_bin="$jaeger_dir/jaeger"
otelcol_bin="$otelcol_dir/otelcol"
prometheus_bin="$prometheus_dir/prometheus"
# The manifest the cached otelcol was built from: a changed component list means a rebuild.
otelcol_built_manifest="$otelcol_dir/otelcol-builder.yaml"


jaeger_is_current() { [[ -x "$jaeger_bin" ]]; }
otelcol_is_current() { [[ -x "$otelcol_bin" ]] && cmp -s "$builder_manifest" "$otelcol_built_manifest"; }
prometheus_is_current() { [[ -x "$prometheus_bin" ]]; }

print_paths() {
  printf 'JAEGER_BIN=%s\nOTELCOL_BIN=%s\nPROMETHEUS_BIN=%s\n' "$jaeger_bin" "$otelcol_bin" "$prometheus_bin"
}

if [[ "${1:-}" == "--paths" ]]; then
  jaeger_is_current || die "no jaeger $JAEGER_VERSION at $jaeger_bin: run 'bash scripts/otel-binaries.sh' (or 'npm run test:e2e')"
  otelcol_is_current || die "no otelcol $OTELCOL_VERSION for the current manifest at $otelcol_bin: run 'bash scripts/otel-binaries.sh' (or 'npm run test:e2e')"
  prometheus_is_current || die "no prometheus $PROMETHEUS_VERSION at $prometheus_bin: run 'bash scripts/otel-binaries.sh' (or 'npm run test:e2e')"
  print_paths
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: otel-binaries.sh [--paths])"
fi

require_go() {
  command -v go >/dev/null || die "Go is not installed (needed to build jaeger and otelcol; Go >= 1.25)"
  local minor
  minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
  [[ "$minor" =~ ^[0-9]+$ && "$minor" -ge 25 ]] || die "Go >= 1.25 needed, found $(go env GOVERSION)"
}

# Seconds since the epoch with decimals, for build timings without `time` parsing.
now() { date +%s.%N; }
elapsed_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.0f", end - start }'; }

# The directory of a module (path@version) downloaded through the Go module proxy.
go_module_dir() {
  go mod download -json "$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);if(m.Error||!m.Dir){console.error(m.Error||"no Dir");process.exit(1)}console.log(m.Dir)})' ||
    die "could not download $1 from the Go module proxy"
}

# `go install module@version` refuses modules whose go.mod has a replace directive (Jaeger's and
# Prometheus's do): they are built from a writable copy in <build dir>/src. A fixed build
# directory keeps Go's build cache keys stable between rebuilds.
copy_to_build_dir() {
  rm -rf "$2" && mkdir -p "$2"
  cp -r "$1" "$2/src" && chmod -R u+w "$2/src"
}

build_jaeger() {
  local started module_dir build_dir
  started="$(now)"
  log "building jaeger $JAEGER_VERSION (module github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION); a cold build takes several minutes"
  module_dir="$(go_module_dir "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION")"
  # Guard the v1/v2 pairing: the release notes head each release "v1.N / v2.M".
  grep -q "^v${JAEGER_MODULE_VERSION#v} / v$JAEGER_VERSION " "$module_dir/CHANGELOG.md" ||
    die "Jaeger module $JAEGER_MODULE_VERSION is not release v$JAEGER_VERSION (see $module_dir/CHANGELOG.md); fix scripts/otel-versions.env"
  build_dir="$cache_root/build/jaeger-$JAEGER_VERSION"
  copy_to_build_dir "$module_dir" "$build_dir"
  mkdir -p "$jaeger_dir"
  (cd "$build_dir/src" && CGO_ENABLED=0 go build -buildvcs=false \
    -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$JAEGER_VERSION" \
    -o "$jaeger_bin.partial" ./cmd/jaeger) || die "go build of jaeger failed"
  mv "$jaeger_bin.partial" "$jaeger_bin"
  rm -rf "$build_dir"
  log "built jaeger $JAEGER_VERSION in $(elapsed_since "$started") s -> $jaeger_bin"
}

build_prometheus() {
  local started module_dir build_dir
  started="$(now)"
  log "building prometheus $PROMETHEUS_VERSION (module github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION)"
  module_dir="$(go_module_dir "github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION")"
  [[ "$(cat "$module_dir/VERSION")" == "$PROMETHEUS_VERSION" ]] ||
    die "Prometheus module $PROMETHEUS_MODULE_VERSION is release $(cat "$module_dir/VERSION"), not $PROMETHEUS_VERSION; fix scripts/otel-versions.env"
  build_dir="$cache_root/build/prometheus-$PROMETHEUS_VERSION"
  copy_to_build_dir "$module_dir" "$build_dir"
  mkdir -p "$prometheus_dir"
  # The module's go.work names tool modules that are not in the module zip. `remove_all_sd`
  # (Prometheus's own build tag) leaves out the cloud service discoveries and their SDKs, most
  # of the build: prometheus.yml uses static targets only. Without the `builtinassets` tag the
  # web UI is not embedded; the HTTP API, which the tests use, is whole.
  (cd "$build_dir/src" && GOWORK=off CGO_ENABLED=0 go build -buildvcs=false -tags remove_all_sd \
    -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    -o "$prometheus_bin.partial" ./cmd/prometheus) || die "go build of prometheus failed"
  mv "$prometheus_bin.partial" "$prometheus_bin"
  rm -rf "$build_dir"
  log "built prometheus $PROMETHEUS_VERSION in $(elapsed_since "$started") s -> $prometheus_bin"
}

build_otelcol() {
  local started tools_dir build_dir
  started="$(now)"
  log "building otelcol $OTELCOL_VERSION from $builder_manifest"
  tools_dir="$cache_root/tools/builder-$OTELCOL_VERSION"
  if [[ ! -x "$tools_dir/builder" ]]; then
    GOBIN="$tools_dir" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION" ||
      die "could not install the collector builder v$OTELCOL_VERSION"
  fi
  build_dir="$cache_root/build/otelcol-$OTELCOL_VERSION"
  rm -rf "$build_dir" && mkdir -p "$build_dir" "$otelcol_dir"
  cp "$builder_manifest" "$build_dir/manifest.yaml"
  (cd "$build_dir" && CGO_ENABLED=0 "$tools_dir/builder" --config manifest.yaml >&2) ||
    die "the collector builder failed (manifest $builder_manifest)"
  mv "$build_dir/otelcol-src/otelcol" "$otelcol_bin"
  cp "$builder_manifest" "$otelcol_built_manifest"
  rm -rf "$build_dir"
  log "built otelcol $OTELCOL_VERSION in $(elapsed_since "$started") s -> $otelcol_bin"
}

if jaeger_is_current && otelcol_is_current && prometheus_is_current; then
  log "reusing cached binaries in $cache_root"
else
  require_go
  mkdir -p "$cache_root"
  # One build at a time per cache (two test runs starting together share the result).
  if command -v flock >/dev/null; then
    exec 9>"$cache_root/.build.lock"
    flock 9
  fi
  jaeger_is_current || build_jaeger
  otelcol_is_current || build_otelcol
  prometheus_is_current || build_prometheus
fi
print_paths
