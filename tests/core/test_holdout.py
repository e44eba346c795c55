"""The holdout measurements (knowledge/data/holdout): sourced like the fitted tables, from sources none of them uses,
never read by the fit, and every usable row predicted by benchmarks/holdout_accuracy.py."""

import csv
import math
import sys
from pathlib import Path

from advisor.calibration import load_calibration
from advisor.engines import load_engines
from advisor.knowledge import load_knowledge
from advisor.speed_data import HOLDOUT_DIR, SPEED_DIR, load_devices, load_speed_rows

ROOT = Path(__file__).resolve().parents[2]


def _read(folder: Path) -> tuple[list[str], list[dict]]:
    header, rows = [], []
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = header or list(reader.fieldnames or [])
            assert list(reader.fieldnames or []) == header, path.name
            rows += [{**r, "_file": path.name} for r in reader]
    return header, rows


def test_holdout_rows_are_sourced_like_the_fitted_ones_and_their_devices_described():
    fitted_header, _ = _read(SPEED_DIR)
    header, rows = _read(HOLDOUT_DIR)
    devices = load_devices()
    assert header == fitted_header
    assert len(rows) >= 20, "the holdout set is meant to be a test set, not a token"
    for r in rows:
        assert r["source_url"].startswith("http") and r["source_id"], (r["_file"], r["device"])
        assert r["device"].strip() in devices, (r["_file"], r["device"])
        assert r["tg_tps"] or r["pp_tps"], (r["_file"], r["device"], r["model"])


def test_no_holdout_source_is_fitted():
    """A holdout row is worth something only while the fit has never seen its source: neither its id nor any of its
    URLs may appear in a fitted table. Moving rows into knowledge/data/speed ends their life as a test."""
    _, fitted = _read(SPEED_DIR)
    _, held = _read(HOLDOUT_DIR)
    fitted_ids = {r["source_id"] for r in fitted}
    fitted_urls = {u.rstrip("/") for r in fitted for u in r["source_url"].split()}
    clash = sorted({r["source_id"] for r in held if r["source_id"] in fitted_ids}
                   | {u for r in held for u in r["source_url"].split() if u.rstrip("/") in fitted_urls})
    assert not clash, clash
    kb, engines = load_knowledge(), load_engines()
    rows, _, _ = load_speed_rows(kb, engines)
    assert not {r.source for r in rows} & {r["source_id"] for r in held}


def test_the_benchmark_predicts_every_usable_holdout_row():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import holdout_accuracy

    kb, engines = load_knowledge(), load_engines()
    rows, _ = holdout_accuracy.holdout_rows(kb, engines)
    assert len(rows) >= 20
    results = holdout_accuracy.predict_rows(rows, engines, load_calibration())
    assert {id(r) for _, r, _, _ in results} == {id(r) for r in rows}
    for kind, r, est, err in results:
        assert math.isfinite(err) and est.low <= est.value <= est.high, (kind, r.device, r.model)
    table = holdout_accuracy.summarise(results, "decode")
    assert table["all"]["n"] == sum(1 for r in rows if r.tg)
