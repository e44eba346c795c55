"""Energy counters of this machine, where Linux exposes them: RAPL under /sys/class/powercap (Intel, and AMD since
Linux 5.8). Each top-level package domain (`intel-rapl:N`) counts microjoules and wraps at `max_energy_range_uj`.
Where there are none (most VMs, Arm boards, macOS) `reason()` says so plainly and nothing is recorded."""

from __future__ import annotations

import os
from pathlib import Path

POWERCAP = Path(os.environ.get("ADVISOR_POWERCAP_DIR", "/sys/class/powercap"))


def _domains(root: Path) -> list[Path]:
    """Package-level domains (intel-rapl:0, intel-rapl:1; not their sub-zones intel-rapl:0:0), readable ones only."""
    try:
        cands = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1)
    except OSError:
        return []
    return [p for p in cands if os.access(p / "energy_uj", os.R_OK)]


def reason(root: Path | None = None) -> str | None:
    """None when energy can be read; else why not, in one line."""
    root = root or POWERCAP
    if not root.is_dir():
        return f"no energy counters on this machine ({root} does not exist: no RAPL, e.g. a VM, an Arm board or macOS)"
    if not any(root.glob("intel-rapl:*")):
        return f"no RAPL domains under {root}: this machine does not expose package energy"
    if not _domains(root):
        return f"RAPL counters under {root} are not readable by this user (since Linux 5.10 they need root)"
    return None


def read(root: Path | None = None) -> dict[str, tuple[int, int]]:
    """{domain: (energy_uj, max_energy_range_uj)} for every readable package domain; {} when there are none."""
    out: dict[str, tuple[int, int]] = {}
    for d in _domains(root or POWERCAP):
        try:
            e = int((d / "energy_uj").read_text().strip())
            m = int((d / "max_energy_range_uj").read_text().strip()) if (d / "max_energy_range_uj").exists() else 0
        except (OSError, ValueError):
            continue
        out[d.name] = (e, m)
    return out


def joules(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> float | None:
    """Energy between two reads, summed over the domains both saw, counter wrap-around handled; None if none."""
    common = set(before) & set(after)
    if not common:
        return None
    total = 0
    for k in common:
        (b, _), (a, rng) = before[k], after[k]
        total += a - b if a >= b else a + (rng - b if rng > b else 0)
    return total / 1e6
