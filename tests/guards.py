"""Limits that only guard against a hang. A busy machine is slow, not wrong: 60-180 s limits failed under
`scripts/run_tests_under_load.sh`, so every wait on a subprocess, a worker or a queue uses this one generous figure.
No test may depend on how long anything takes."""

HANG_S = 900
