"""`advisor sweep`: models x devices [x backends x quantizations] into one table, with optional probes scheduled on a
local process pool or on Ray (advisor/sweep/ray_pool.py), and Qualcomm AI Hub for QNN cells.

cells.py   turns --models / --devices / --backends / --quants into resolved cells (bad ones become error cells)
plan.py    plans every (model, device) cell in parallel and flattens candidates into rows
table.py   the journal under --out (resumable), sweep.csv and sweep.jsonl
probes.py  the probe jobs of a sweep: which to run, where, and storing each result exactly once
"""
