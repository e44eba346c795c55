#!/usr/bin/env bash
# Build a portable llama-cpp-python wheel into a wheel-house outside the repo, and
# extract llama.cpp's HF->GGUF converter (plus its bundled gguf-py) from the same sdist.
#
# llama-cpp-python has no Linux wheel on PyPI; a plain `pip install` compiles the
# 77 MB sdist with -march=native (8.5-16 min on 2 cores). This recipe (see
# /work/shared/BACKENDS.md and docs/install.md) takes ~3-4 min and gives a 14 MB AVX2 wheel:
#   * LLAMA_BUILD_COMMON forced ON -> OFF in CMakeLists.txt (the bindings never load it)
#   * CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" pip wheel --no-deps
#
# Usage: scripts/build_llama_cpp_wheel.sh [--force] [--python PY]
#   --force       rebuild the wheel and re-extract the converter even if present
#   --python PY   interpreter that runs pip (default: .venv/bin/python, else python3.11)
# Env:   LLAMA_CPP_PYTHON_VERSION (default: the pin in requirements/constraints.txt)
#        XDG_CACHE_HOME (cache root, default ~/.cache)
# Output (stdout, last line): path of the wheel.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
PY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1; shift ;;
    --python) PY="${2:?--python needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

if [[ -z "$PY" ]]; then
  if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PY="$REPO_ROOT/.venv/bin/python"; else PY="python3.11"; fi
fi
command -v "$PY" >/dev/null 2>&1 || die "python not found: $PY"

VERSION="${LLAMA_CPP_PYTHON_VERSION:-}"
if [[ -z "$VERSION" && -f "$REPO_ROOT/requirements/constraints.txt" ]]; then
  VERSION="$(sed -n 's/^llama-cpp-python==\([^ ;#]*\).*/\1/p' "$REPO_ROOT/requirements/constraints.txt" | head -n1)" || true
fi
[[ -n "$VERSION" ]] || VERSION="0.3.36"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/advisor"
WHEELHOUSE="$CACHE_ROOT/wheelhouse"
SDIST_DIR="$CACHE_ROOT/sdist"
CONVERTER_DIR="$CACHE_ROOT/llama.cpp-converter"
mkdir -p "$WHEELHOUSE" "$SDIST_DIR"

# The wheel is tagged py3-none-linux_<arch> (the bindings load libllama via ctypes).
ARCH="$(uname -m)"
find_wheel() {
  local w
  for w in "$WHEELHOUSE"/llama_cpp_python-"$VERSION"-*-linux_"$ARCH".whl; do
    [[ -f "$w" ]] && { printf '%s\n' "$w"; return 0; }
  done
  return 1
}
converter_ok() {
  [[ -f "$CONVERTER_DIR/convert_hf_to_gguf.py" && -d "$CONVERTER_DIR/gguf-py/gguf" \
     && "$(cat "$CONVERTER_DIR/VERSION" 2>/dev/null)" == "llama-cpp-python==$VERSION" ]]
}

# One builder at a time (two setup.sh runs in parallel would both compile).
exec 9>"$CACHE_ROOT/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock -n 9 || { log "another build holds $CACHE_ROOT/.build.lock; waiting"; flock 9; }
fi

if [[ $FORCE -eq 0 ]] && WHEEL="$(find_wheel)" && converter_ok; then
  log "llama-cpp-python $VERSION wheel cached: $WHEEL"
  log "llama.cpp converter cached: $CONVERTER_DIR"
  printf '%s\n' "$WHEEL"
  exit 0
fi

TMP="$(mktemp -d "$CACHE_ROOT/build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

SDIST="$SDIST_DIR/llama_cpp_python-$VERSION.tar.gz"
if [[ ! -s "$SDIST" ]]; then
  log "downloading llama-cpp-python==$VERSION sdist (77 MB) ..."
  "$PY" -m pip download --disable-pip-version-check --progress-bar off -q --no-binary :all: --no-deps \
      -d "$TMP/dl" "llama-cpp-python==$VERSION" >&2 \
    || die "pip download of llama-cpp-python==$VERSION sdist failed"
  f="$TMP/dl/llama_cpp_python-$VERSION.tar.gz"
  [[ -f "$f" ]] || die "sdist not found after pip download (got: $(cd "$TMP/dl" && echo *))"
  mv -f "$f" "$SDIST"
else
  log "using cached sdist $SDIST"
fi

log "unpacking sdist ..."
tar -xzf "$SDIST" -C "$TMP" || die "cannot unpack $SDIST"
SRC="$TMP/llama_cpp_python-$VERSION"
[[ -f "$SRC/CMakeLists.txt" ]] || die "unexpected sdist layout: no $SRC/CMakeLists.txt"

# --- converter -------------------------------------------------------------------------
if [[ $FORCE -eq 1 ]] || ! converter_ok; then
  V="$SRC/vendor/llama.cpp"
  [[ -f "$V/convert_hf_to_gguf.py" && -d "$V/gguf-py" ]] \
    || die "sdist lacks vendor/llama.cpp/convert_hf_to_gguf.py or gguf-py/"
  NEW="$TMP/converter"
  mkdir -p "$NEW"
  cp -p "$V/convert_hf_to_gguf.py" "$NEW/"
  [[ -d "$V/conversion" ]] && cp -rp "$V/conversion" "$NEW/"
  cp -rp "$V/gguf-py" "$NEW/"
  [[ -f "$V/LICENSE" ]] && cp -p "$V/LICENSE" "$NEW/LICENSE.llama.cpp"
  printf 'llama-cpp-python==%s\n' "$VERSION" >"$NEW/VERSION"
  rm -rf "$CONVERTER_DIR.old"
  [[ -e "$CONVERTER_DIR" ]] && mv "$CONVERTER_DIR" "$CONVERTER_DIR.old"
  mv "$NEW" "$CONVERTER_DIR"
  rm -rf "$CONVERTER_DIR.old"
  log "llama.cpp converter extracted to $CONVERTER_DIR"
fi

# --- wheel -----------------------------------------------------------------------------
if [[ $FORCE -eq 0 ]] && WHEEL="$(find_wheel)"; then
  log "llama-cpp-python $VERSION wheel cached: $WHEEL"
  printf '%s\n' "$WHEEL"
  exit 0
fi

# The forced `set(LLAMA_BUILD_COMMON ON ... FORCE)` is 44 % of compile time and unused.
if grep -q 'set(LLAMA_BUILD_COMMON ON CACHE BOOL' "$SRC/CMakeLists.txt"; then
  sed -i 's/set(LLAMA_BUILD_COMMON ON CACHE BOOL/set(LLAMA_BUILD_COMMON OFF CACHE BOOL/' "$SRC/CMakeLists.txt"
  log "patched CMakeLists.txt: LLAMA_BUILD_COMMON ON -> OFF"
else
  log "WARNING: LLAMA_BUILD_COMMON line not found in CMakeLists.txt; building unpatched (slower)"
fi

JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
log "building llama-cpp-python $VERSION wheel (GGML_NATIVE=OFF, LLAVA_BUILD=OFF, $JOBS jobs; ~3-4 min on 2 cores) ..."
start=$SECONDS
CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF ${LLAMA_CPP_EXTRA_CMAKE_ARGS:-}" \
CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" \
  "$PY" -m pip wheel --disable-pip-version-check --no-deps -w "$TMP/wheel" "$SRC" >"$TMP/build.log" 2>&1 \
  || { tail -n 40 "$TMP/build.log" >&2; die "llama-cpp-python wheel build failed (log tail above)"; }
built=""
for w in "$TMP"/wheel/llama_cpp_python-*.whl; do if [[ -f "$w" ]]; then built="$w"; fi; done
[[ -n "$built" ]] || die "pip wheel finished but produced no wheel"
mv -f "$built" "$WHEELHOUSE/"
WHEEL="$WHEELHOUSE/$(basename "$built")"
log "wheel built in $((SECONDS - start)) s: $WHEEL ($(du -h "$WHEEL" | cut -f1))"
printf '%s\n' "$WHEEL"
