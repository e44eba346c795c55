#!/usr/bin/env bash
# Run the test suite with an artificial CPU load beside it: BUSY busy-looping processes (default: one per core),
# which is what a developer's or CI's busy machine looks like. Nothing in the suite may depend on timing, so it
# must pass here as it does alone. The busy processes are this script's own and go when it ends, however it ends.
#
#   scripts/run_tests_under_load.sh                 # the whole suite, one busy process per core
#   RUNS=3 scripts/run_tests_under_load.sh          # three times in a row (issue 12's bar); a line per run
#   BUSY=4 scripts/run_tests_under_load.sh -x -k probe
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
PY="${PYTHON:-.venv/bin/python}"
BUSY="${BUSY:-$(nproc)}"
RUNS="${RUNS:-1}"

pids=()
stop_load() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT
trap 'exit 130' INT   # stop the remaining runs too (a trap that only cleaned up would let the loop go on)
trap 'exit 143' TERM

for ((i = 0; i < BUSY; i++)); do
  "$PY" -c 'while True: pass' &
  pids+=("$!")
done
printf '[load] %d busy processes beside the suite: %s\n' "$BUSY" "${pids[*]}" >&2

export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 OLIVE_DISABLE_TELEMETRY=1
rc=0
summary=()
for ((run = 1; run <= RUNS; run++)); do
  t0=$SECONDS
  run_rc=0
  "$PY" -m pytest -q -p no:cacheprovider tests "$@" || run_rc=$?
  summary+=("$(printf '[load] run %d/%d: exit %d in %d s (busy processes: %d, load average %s)' \
    "$run" "$RUNS" "$run_rc" "$((SECONDS - t0))" "$BUSY" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')")")
  printf '%s\n' "${summary[-1]}" >&2
  if [[ $run_rc -ne 0 ]]; then rc=$run_rc; fi
done
printf '%s\n' "${summary[@]}" >&2
exit "$rc"
