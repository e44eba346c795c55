#!/usr/bin/env bash
# Lint (ruff) and type-check (mypy) the project with the settings in pyproject.toml. Called by
# scripts/run_tests.sh before the suite (and so by .ci/run); run it alone after scripts/setup.sh all.
#   scripts/lint.sh            # both; exit 1 if either finds something
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
PY="${PYTHON:-.venv/bin/python}"

rc=0
printf '[lint] ruff check advisor benchmarks scripts tests\n' >&2
"$PY" -m ruff check --quiet advisor benchmarks scripts tests || rc=1
printf '[lint] mypy (packages in pyproject.toml)\n' >&2
"$PY" -m mypy --no-error-summary || rc=1
exit "$rc"
