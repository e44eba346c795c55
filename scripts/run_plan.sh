#!/usr/bin/env bash
# Set up the light core environment and print a deployment plan for Llama 3.2 1B Instruct on a
# Raspberry Pi 5 (8 GB). Extra arguments go to `advisor plan`, e.g. scripts/run_plan.sh --json
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

scripts/setup.sh core

exec .venv/bin/advisor plan --device raspberry-pi-5-8gb --model llama-3.2-1b-instruct "$@"
