"""Probe quantizations: really quantize a small probe model with each backend, measure it, store the result.

Layout: `models` builds/caches the probe model and its FP32 reference logits; `backends/*` convert and measure one
backend each behind the `ProbeBackend` protocol; `worker` runs one phase of one probe in a subprocess; `isolate`
runs that subprocess under a timeout and a memory watchdog; `store` keeps results in SQLite; `runner` ties it to
the CLI and the planner (`probe_plan`, `local_calibration`).
"""
