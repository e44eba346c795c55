"""Plan every (model, device) cell and flatten each candidate into one row; a cell that cannot be planned becomes one
row with the reason. Cells run in a local process pool (one task per model: the knowledge base loads once per
worker, not once per cell)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ProcessPoolExecutor, as_completed

from ..errors import AdvisorError

log = logging.getLogger(__name__)

ESTIMATES = ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct")
_STATE: dict = {}  # per worker process: knowledge, calibration, local corrections per device


def cell_key(model: str, device: str) -> str:
    return f"{model}|{device}"


def _is_estimate(annotation) -> bool:
    from typing import get_args

    from ..schemas import Estimate

    return annotation is Estimate or Estimate in get_args(annotation)


def candidate_columns() -> list[str]:
    """The flat columns of a candidate, from its schema (a key another module adds to Candidate shows up here):
    an estimate becomes KEY, KEY_low, KEY_high, KEY_evidence, KEY_rows; `basis` stays in `advisor plan`."""
    from ..schemas import Candidate

    cols: list[str] = []
    for name, annotation in Candidate.field_types().items():
        if name == "measured":
            continue
        cols += [name, f"{name}_low", f"{name}_high", f"{name}_evidence", f"{name}_rows"] if _is_estimate(
            annotation) else [name]
    return cols


def flat_candidate(c: dict) -> dict:
    """A candidate's keys flattened (candidate_columns()); lists become one string, other dicts JSON."""
    row: dict = {}
    for k, v in c.items():
        if k == "measured":
            continue
        if isinstance(v, dict) and "value" in v:
            row[k], row[f"{k}_low"], row[f"{k}_high"] = v.get("value"), v.get("low"), v.get("high")
            row[f"{k}_evidence"], row[f"{k}_rows"] = v.get("evidence"), v.get("rows")
        elif isinstance(v, list):
            row[k] = (" > " if k == "rule_path" else "; ").join(str(x) for x in v)
        elif isinstance(v, dict):
            row[k] = json.dumps(v, sort_keys=True)
        else:
            row[k] = v
    return row


def _init(cons_json: dict, backends: list[str] | None, quants: list[str] | None) -> None:
    from ..calibration import load_calibration
    from ..knowledge import load_knowledge
    from ..schemas import Constraints

    cons = Constraints.model_validate({**cons_json, **({"backend": backends} if backends else {})})
    _STATE.update(kb=load_knowledge(), cal=load_calibration(), cons=cons, quants=set(quants or ()), local={})


def _calibration(dev):
    from ..probe.localcal import local_calibration

    local = _STATE["local"]
    if dev.id not in local:
        local[dev.id] = local_calibration(_STATE["cal"], dev)
    return local[dev.id]


def plan_cell(model: str, spec, device: str, dev) -> list[dict]:
    """The rows of one cell (never raises for a bad cell: the reason becomes the row)."""
    from ..planner import make_plan

    base = {"cell": cell_key(model, device), "model": model, "device": device}
    try:
        plan = make_plan(dev, spec, _STATE["cons"], _STATE["kb"], _calibration(dev))
    except AdvisorError as exc:
        return [{**base, "status": "error", "reason": str(exc)}]
    except Exception as exc:  # one broken cell must not abort hundreds of others: the row says what broke
        log.debug("cell %s failed", base["cell"], exc_info=True)
        return [{**base, "status": "error", "reason": f"unexpected {exc.__class__.__name__}: {exc}"}]
    quants = _STATE["quants"]
    cands = [c for c in plan.candidates if not quants or c.quant.upper() in quants]
    if not cands:
        why = "; ".join(f"{e.backend}: {e.reason}" for e in plan.eliminated) or "no candidate left"
        if quants and plan.candidates:
            why = f"none of --quants {', '.join(sorted(quants))} is a candidate here"
        return [{**base, "status": "none", "reason": why}]
    return [{**base, "status": "ok", "reason": None, "rank": i,
             **flat_candidate(c.model_dump(mode="json", by_alias=True))} for i, c in enumerate(cands, 1)]


def _plan_model(model: str, spec, devices: list[tuple[str, object]]) -> list[tuple[list[dict], str, str]]:
    """The rows of each cell with their journal and CSV text, serialized here in the worker, not in the parent."""
    from .table import csv_text, jsonl_text

    out = []
    for name, dev in devices:
        rows = plan_cell(model, spec, name, dev)
        out.append((rows, jsonl_text(rows), csv_text(rows)))
    return out


def plan_cells(todo: list[tuple[str, object, list[tuple[str, object]]]], cons_json: dict, backends, quants,
               workers: int, on_cell) -> None:
    """Plan (model, spec, [(device, profile)...]) groups; on_cell(rows) is called in this process for every cell as
    it completes, with the cell's journal and CSV text (the journal writes it at once)."""
    if workers <= 1 or len(todo) <= 1:
        _init(cons_json, backends, quants)
        for model, spec, devs in todo:
            for cell in _plan_model(model, spec, devs):
                on_cell(*cell)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(cons_json, backends, quants)) as pool:
        futs = [pool.submit(_plan_model, m, s, d) for m, s, d in todo]
        try:
            for f in as_completed(futs):
                for cell in f.result():
                    on_cell(*cell)
        except BaseException:
            for f in futs:
                f.cancel()
            raise
