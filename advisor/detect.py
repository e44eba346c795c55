"""`--device auto`: this machine as a DeviceProfile (CPU, ISA flags, RAM, measured bandwidth, GPUs, OS)."""

from __future__ import annotations

import logging
import os
import platform
import re
import shutil
import subprocess
import time
from functools import lru_cache
from pathlib import Path

from .schemas import Accelerator, Cpu, DeviceProfile, Memory

log = logging.getLogger(__name__)

# flags as /proc/cpuinfo (x86 "flags", Arm "Features") spells them -> the profile's names
_FLAG_MAP = {
    "avx2": "avx2", "avx512f": "avx512", "avx512_vnni": "avx512_vnni", "avx512vnni": "avx512_vnni",
    "avx_vnni": "avx_vnni", "amx_tile": "amx", "amx_int8": "amx", "avx512_bf16": "bf16", "f16c": "f16c", "fma": "fma",
    "asimd": "neon", "asimddp": "dotprod", "i8mm": "i8mm", "sve": "sve", "sve2": "sve2", "fphp": "fp16", "bf16": "bf16",
}


def _os_id() -> str:
    return {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(platform.system(), "linux")


def _cpuinfo() -> tuple[str, list[str], float | None]:
    """(model name, normalised feature flags, max GHz) from /proc/cpuinfo, falling back to py-cpuinfo."""
    model, raw, ghz = platform.processor() or platform.machine(), set(), None
    text = ""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        pass
    if text:
        m = re.search(r"^(model name|Hardware|Model)\s*:\s*(.+)$", text, re.M)
        if m:
            model = m.group(2).strip()
        for line in re.findall(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)[:1]:
            raw = set(line.split())
    else:
        try:
            import cpuinfo

            info = cpuinfo.get_cpu_info()
            model, raw = info.get("brand_raw", model), set(info.get("flags", []))
        except Exception as exc:  # py-cpuinfo probes many sources; any failure just means fewer details
            log.debug("py-cpuinfo failed: %s", exc)
    try:
        ghz = float(Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()) / 1e6
    except (OSError, ValueError):
        m = re.search(r"@\s*([\d.]+)\s*GHz", model)
        ghz = float(m.group(1)) if m else None
    feats = sorted({_FLAG_MAP[f] for f in raw if f in _FLAG_MAP})
    if platform.machine().lower() in {"arm64", "aarch64"} and "neon" not in feats:
        feats.append("neon")
    return model, feats, ghz


def measure_bandwidth_gbs(size_mb: int = 256, repeats: int = 5) -> float:
    """Best-of-N memory copy (read + write) bandwidth in GB/s, with numpy."""
    import numpy as np

    n = size_mb * 2**20 // 8
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return round(2 * src.nbytes / best / 1e9, 1)


def _nvidia_gpus() -> list[Accelerator]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, _, mem = line.partition(",")
        try:
            mem_gb = round(float(mem) / 1024, 1)
        except ValueError:
            mem_gb = None
        gpus.append(Accelerator(kind="gpu", vendor="nvidia", api=["cuda", "vulkan"], memory_gb=mem_gb, name=name.strip()))
    return gpus


@lru_cache(maxsize=1)
def detect_profile(measure: bool = True) -> DeviceProfile:
    import psutil

    model, feats, ghz = _cpuinfo()
    arch = "arm64" if platform.machine().lower() in {"arm64", "aarch64"} else "x86_64"
    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    threads = psutil.cpu_count(logical=True) or cores
    total_gb = round(psutil.virtual_memory().total / 2**30, 1)
    bw = measure_bandwidth_gbs() if measure else 10.0
    accels = _nvidia_gpus()
    os_id = _os_id()
    if os_id == "macos" and arch == "arm64":
        cls = "apple_silicon"
        accels = accels or [Accelerator(kind="gpu", vendor="apple", api=["metal"], name="Apple GPU")]
    elif accels:
        cls = "nvidia_gpu"
    else:
        cls = "x86_cpu" if arch == "x86_64" else "arm_sbc"
    return DeviceProfile(
        id="this-machine",
        name=f"This machine ({model})",
        **{"class": cls},
        os=[os_id],
        cpu=Cpu(arch=arch, cores=cores, features=feats, model=model, freq_ghz=round(ghz, 2) if ghz else None,
                threads=threads),
        memory=Memory(total_gb=total_gb, bandwidth_gbs=bw, unified=cls == "apple_silicon"),
        accelerators=accels,
        sources=["measured by `advisor detect` (/proc/cpuinfo, psutil, numpy copy test, nvidia-smi)"],
        notes=f"bandwidth_gbs: best of 5 copies of 256 MiB with numpy (read+write), measured {time.strftime('%Y-%m-%d')}",
    )
