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

# Placeholder when the bandwidth is not measured (detect --no-bandwidth): a deliberately low figure, below any profile in
# profiles/, so unmeasured speeds err slow; the reason is docs/policy.md#unmeasured-bandwidth.
UNMEASURED_BANDWIDTH_GBS = 10.0


def _os_id() -> str:
    name = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(platform.system(), "linux")
    return "android" if name == "linux" and Path("/system/build.prop").is_file() else name


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


def _run(cmd: list[str], timeout: float = 3.0) -> str:
    """stdout of a command, or "" when it is missing, fails or is slow (never raises)."""
    if not shutil.which(cmd[0]):
        return ""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return ""


def _nvidia_gpus() -> list[Accelerator]:
    out = _run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], timeout=5)
    gpus = []
    for line in out.strip().splitlines():
        name, _, mem = line.partition(",")
        try:
            mem_gb = round(float(mem) / 1024, 1) or None
        except ValueError:
            mem_gb = None
        gpus.append(Accelerator(kind="gpu", vendor="nvidia", api=["cuda", "vulkan"], memory_gb=mem_gb, name=name.strip()))
    return gpus


def _read(p: Path) -> str:
    try:
        return p.read_text(errors="replace").strip()
    except (OSError, ValueError):
        return ""


def _driver(dev: Path) -> str:
    try:
        return (dev / "driver").resolve().name if (dev / "driver").exists() else ""
    except OSError:
        return ""


_PCI_GPU = {"0x1002": ("amd", ["rocm", "vulkan", "opencl"]), "0x8086": ("intel", ["sycl", "openvino", "vulkan"]),
            "0x10de": ("nvidia", ["cuda", "vulkan"])}


def sysfs_accelerators(root: Path = Path("/"), skip_nvidia: bool = False) -> list[Accelerator]:
    """GPUs and NPUs the OS shows under `root` (a fake tree in tests): DRM cards (AMD 0x1002, Intel 0x8086, NVIDIA
    0x10de), accel devices (Intel NPU driver intel_vpu, AMD XDNA amdxdna), Qualcomm Adreno (kgsl) and Hexagon
    (/dev/fastrpc-*), Rockchip RKNPU (device tree). Every read is guarded; a missing or odd entry is skipped."""
    found: list[Accelerator] = []
    seen: set[str] = set()
    for card in sorted((root / "sys/class/drm").glob("card[0-9]*")):
        dev = card / "device"
        vendor = _read(dev / "vendor").lower()
        if "-" in card.name or vendor not in _PCI_GPU or (vendor == "0x10de" and skip_nvidia):
            continue
        key = str(dev.resolve()) if dev.exists() else str(card)
        if key in seen:
            continue
        seen.add(key)
        name, api = _PCI_GPU[vendor]
        vram = _read(dev / "mem_info_vram_total")
        mem = round(int(vram) / 2**30, 1) if vram.isdigit() and int(vram) >= 2**27 else None
        label = _read(dev / "product_name") or f"{name.upper() if name != 'nvidia' else 'NVIDIA'} GPU " \
            f"(PCI {vendor}:{_read(dev / 'device').removeprefix('0x')}, driver {_driver(dev) or '?'})"
        found.append(Accelerator.model_validate(dict(kind="gpu", vendor=name, api=api, memory_gb=mem, name=label)))
    accel = sorted((root / "sys/class/accel").glob("accel*")) or sorted((root / "dev/accel").glob("accel*"))
    for a in accel:
        drv, vendor = _driver(a / "device"), _read(a / "device" / "vendor").lower()
        if drv == "intel_vpu" or vendor == "0x8086":
            found.append(Accelerator(kind="npu", vendor="intel", api=["openvino"], name=f"Intel NPU ({drv or a.name})"))
        elif drv == "amdxdna" or vendor in {"0x1022", "0x1002"}:
            found.append(Accelerator(kind="npu", vendor="amd", api=[], name=f"AMD XDNA NPU ({drv or a.name})"))
        else:
            found.append(Accelerator(kind="npu", vendor="other", api=[], name=f"NPU {a.name} ({drv or 'unknown driver'})"))
    for kgsl in sorted((root / "sys/class/kgsl").glob("kgsl-3d*")):
        model = _read(kgsl / "gpu_model") or "Adreno GPU"
        found.append(Accelerator(kind="gpu", vendor="qualcomm", api=["opencl", "vulkan"], name=model))
    soc = re.search(r"rockchip,(rk3588|rk3576|rk3562|rv1126b)", _read(root / "proc/device-tree/compatible").lower())
    if soc:  # Rockchip SoCs with an RKNPU: the device tree names the chip, which decides what RKLLM runs
        found.append(Accelerator(kind="npu", vendor="rockchip", api=["rknpu"],
                                 name=f"Rockchip {soc.group(1).upper()} NPU (from /proc/device-tree/compatible)"))
    dsp = sorted(p.name for p in (root / "dev").glob("fastrpc-*")) or sorted(p.name for p in (root / "dev").glob("adsprpc-smd*"))
    if dsp:
        found.append(Accelerator(kind="npu", vendor="qualcomm", api=["qnn"], name=f"Hexagon DSP/NPU ({', '.join(dsp)})"))
    return found


def _macos() -> tuple[str, float | None, list[Accelerator]]:
    """(CPU brand, RAM GiB, GPUs) from sysctl on macOS; system_profiler is too slow for detect."""
    brand = _run(["sysctl", "-n", "machdep.cpu.brand_string"]).strip()
    mem = _run(["sysctl", "-n", "hw.memsize"]).strip()
    gpus = []
    if platform.machine().lower() == "arm64":
        gpus.append(Accelerator(kind="gpu", vendor="apple", api=["metal"], name=f"{brand or 'Apple'} GPU"))
    return brand, round(int(mem) / 2**30, 1) if mem.isdigit() else None, gpus


def _accelerators(os_id: str) -> list[Accelerator]:
    accels = _nvidia_gpus()
    try:
        accels += sysfs_accelerators(skip_nvidia=bool(accels)) if os_id == "linux" else []
    except Exception as exc:  # detect must never fail on an odd /sys
        log.debug("sysfs scan failed: %s", exc)
    return accels


def device_class(os_id: str, arch: str, accels: list[Accelerator]) -> str:
    vendors = {(a.kind, a.vendor) for a in accels}
    if os_id == "macos" and arch == "arm64":
        return "apple_silicon"
    if ("gpu", "nvidia") in vendors:
        return "nvidia_gpu"
    if ("npu", "qualcomm") in vendors or ("gpu", "qualcomm") in vendors:
        return "snapdragon"
    if ("npu", "intel") in vendors:
        return "intel_npu"
    if ("gpu", "amd") in vendors:
        return "amd_gpu"
    return "x86_cpu" if arch == "x86_64" else "arm_sbc"


@lru_cache(maxsize=1)
def detect_profile(measure: bool = True) -> DeviceProfile:
    import psutil

    model, feats, ghz = _cpuinfo()
    arch = "arm64" if platform.machine().lower() in {"arm64", "aarch64"} else "x86_64"
    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    threads = psutil.cpu_count(logical=True) or cores
    total_gb = round(psutil.virtual_memory().total / 2**30, 1)
    bw = measure_bandwidth_gbs() if measure else UNMEASURED_BANDWIDTH_GBS
    os_id = _os_id()
    accels = _accelerators(os_id)
    if os_id == "macos":
        brand, mem, gpus = _macos()
        model, total_gb, accels = brand or model, mem or total_gb, accels or gpus
    cls = device_class(os_id, arch, accels)
    src = "nvidia-smi, /sys/class/{drm,accel,kgsl}, /dev/fastrpc-*" if os_id == "linux" else "sysctl"
    return DeviceProfile(  # class, os and arch come from this machine and are validated by the model
        id="this-machine",
        name=f"This machine ({model})",
        **{"class": cls},  # type: ignore[arg-type]
        os=[os_id],  # type: ignore[list-item]
        cpu=Cpu(arch=arch, cores=cores, features=feats, model=model,  # type: ignore[arg-type]
                freq_ghz=round(ghz, 2) if ghz else None, threads=threads),
        memory=Memory(total_gb=total_gb, bandwidth_gbs=bw, unified=cls in {"apple_silicon", "snapdragon"}),
        accelerators=accels,
        sources=[f"measured by `advisor detect` (/proc/cpuinfo, psutil, numpy copy test, {src})"],
        notes=f"bandwidth_gbs: best of 5 copies of 256 MiB with numpy (read+write), measured {time.strftime('%Y-%m-%d')}",
    )
