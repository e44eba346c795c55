"""Loading the energy knowledge (I/O): knowledge/energy.yaml, knowledge/workloads.yaml and the public power rows in
knowledge/data/energy_measurements.csv, validated once; the power model is fitted here, at load (31 rows: fast)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from .record import Field, field_validator, model_validator

from .energy_fit import PowerModel, PowerRow
from .errors import KnowledgeError
from .schemas import Strict

FORMS = ("handheld", "board", "laptop", "desktop")
POWER_KINDS = ("wall-peak", "wall", "battery-delta", "package", "gpu-board", "module")


class Band(Strict):
    value: float | None = Field(default=None, gt=0, le=10)
    low: float = Field(gt=0, le=10)
    high: float = Field(gt=0, le=10)
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> "Band":
        """low <= value <= high (else every energy interval built on it fails deep inside a plan)."""
        mid = self.value if self.value is not None else self.low
        if not self.low <= mid <= self.high:
            raise ValueError(f"needs low <= value <= high, got low {self.low:g}, value {self.value}, high {self.high:g}; put them in that order")
        return self


class EnergyFile(Strict):
    prefill_power_ratio: Band
    profile_power_band: Band


class WorkloadPreset(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,40}$")
    name: str
    prompt_tokens: int = Field(ge=1, le=10_000_000, strict=True)  # strict: `true` is not 1 token
    gen_tokens: int = Field(ge=1, le=10_000_000, strict=True)
    source: str


class WorkloadsFile(Strict):
    workloads: list[WorkloadPreset] = Field(min_length=1)

    @field_validator("workloads")
    @classmethod
    def _unique(cls, v: list[WorkloadPreset]) -> list[WorkloadPreset]:
        ids = [w.id for w in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate workload ids: {', '.join(dup)}")
        return v


def _num(row: dict, key: str, where: str, optional: bool = False) -> float | None:
    text = (row.get(key) or "").strip()
    if not text and optional:
        return None
    try:
        x = float(text)
    except ValueError:
        raise KnowledgeError(f"{where}: {key} {text!r} is not a number; fix the row") from None
    if not math.isfinite(x) or x <= 0:
        raise KnowledgeError(f"{where}: {key} {text!r} must be a positive number; fix the row")
    return x


def load_power_rows(path: Path) -> list[PowerRow]:
    """Every row sourced (a URL), every number positive, forms and kinds from the known lists."""
    rows: list[PowerRow] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh), start=2):
                where = f"{path.name} line {i}"
                if not (r.get("source_url") or "").startswith(("http://", "https://")):
                    raise KnowledgeError(f"{where}: no source_url; every power row needs the URL it comes from")
                if r.get("form") not in FORMS:
                    raise KnowledgeError(f"{where}: form {r.get('form')!r} is not one of {', '.join(FORMS)}")
                if r.get("unit") not in ("cpu", "gpu", "npu"):
                    raise KnowledgeError(f"{where}: unit {r.get('unit')!r} is not cpu, gpu or npu")
                if r.get("power_kind") not in POWER_KINDS:
                    raise KnowledgeError(f"{where}: power_kind {r.get('power_kind')!r} is not one of "
                                         f"{', '.join(POWER_KINDS)}")
                rows.append(PowerRow(
                    device=r["device"], form=r["form"], unit=r["unit"],
                    bandwidth_gbs=_num(r, "bandwidth_gbs", where) or 0.0, power_w=_num(r, "power_w", where) or 0.0,
                    decode_tps=_num(r, "decode_tps", where, optional=True), profile=(r.get("profile") or None),
                    source_url=r["source_url"], power_kind=r["power_kind"],
                    discrete=(r.get("discrete_gpu") or "no").strip() == "yes",
                ))
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not rows:
        raise KnowledgeError(f"{path}: no rows; the energy model needs public power measurements")
    return rows


def fit_power_model(rows: list[PowerRow]) -> PowerModel:
    return PowerModel().fit(rows)
