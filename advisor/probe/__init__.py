"""Probe quantizations: really quantize a small probe model with each backend, measure it, store the result.

Layout: `models` builds/caches the probe model and its FP32 reference logits; `backends/*` convert and measure one
backend each behind the `ProbeBackend` protocol; `worker` runs one phase of one probe in a subprocess; `isolate`
runs that subprocess under a timeout and a memory watchdog; `store` keeps results in SQLite; `runner` orchestrates
a probe's phases; `request` validates what is asked, `persist` stores results, `progress` draws the terminal
progress, `replan` ties probes to the planner (`probe_and_replan`) and `localcal` turns stored probes into local
corrections (`local_calibration`, imported by every `plan` without the probe machinery).
"""
