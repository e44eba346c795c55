#!/usr/bin/env bash
# Set up the full environment (scripts/setup.sh all; seconds when already done) and run the test suite.
# Extra arguments go to pytest, e.g. scripts/run_tests.sh -k probe -x
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

scripts/setup.sh all

export OMP_NUM_THREADS=1        # torch on 2 shared cores: 1 thread is ~15x faster than the default
export HF_HUB_OFFLINE=1         # fail at once instead of ~23 s of retries without network
export OLIVE_DISABLE_TELEMETRY=1

lint_rc=0
scripts/lint.sh || lint_rc=$?   # ruff + mypy (pyproject.toml); a finding fails the run after the suite has run

printf '[tests] .venv/bin/python -m pytest -q tests %s\n' "$*" >&2
rc=0
.venv/bin/python -m pytest -q tests "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
  printf '[tests] ERROR: pytest collected no tests (exit 5)\n' >&2
  exit 1
fi
if [[ $rc -eq 0 && $lint_rc -ne 0 ]]; then
  printf '[tests] ERROR: the suite passed but scripts/lint.sh found problems (above)\n' >&2
  exit 1
fi
exit "$rc"
