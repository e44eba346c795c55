"""advisor.detect on this machine (real) and on fake sysfs trees (parsing)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

from advisor import detect
from advisor.detect import device_class, sysfs_accelerators


def test_this_machine_real():
    detect.detect_profile.cache_clear()
    p = detect.detect_profile(measure=True)  # how long it takes: benchmarks/detect_latency.py (no timing here)
    assert p.memory.bandwidth_gbs > 0 and p.memory.total_gb > 0
    assert p.cpu.cores >= 1 and p.cpu.threads >= p.cpu.cores and p.cpu.model
    assert p.os == ["linux"] or platform.system() != "Linux"
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    if " avx2" in cpuinfo:
        assert "avx2" in p.cpu.features
    if platform.machine() == "x86_64" and not p.accelerators:
        assert p.class_ == "x86_cpu"
    detect.detect_profile.cache_clear()


def _card(root: Path, n: int, vendor: str, device: str = "0x1234", extra: dict | None = None) -> Path:
    dev = root / "sys/class/drm" / f"card{n}" / "device"
    dev.mkdir(parents=True)
    (dev / "vendor").write_text(vendor + "\n")
    (dev / "device").write_text(device + "\n")
    for k, v in (extra or {}).items():
        (dev / k).write_text(v)
    return dev


def test_sysfs_amd_intel_gpu_and_intel_npu(tmp_path):
    _card(tmp_path, 0, "0x1002", extra={"mem_info_vram_total": str(16 * 2**30), "product_name": "Radeon RX 7800"})
    _card(tmp_path, 1, "0x8086", "0x7d55")
    (tmp_path / "sys/class/drm/card1-DP-1").mkdir()  # a connector, not a card
    drv = tmp_path / "bus/pci/drivers/intel_vpu"
    drv.mkdir(parents=True)
    npu = tmp_path / "sys/class/accel/accel0/device"
    npu.mkdir(parents=True)
    os.symlink(drv, npu / "driver")
    found = sysfs_accelerators(tmp_path)
    assert [(a.kind, a.vendor) for a in found] == [("gpu", "amd"), ("gpu", "intel"), ("npu", "intel")]
    assert found[0].memory_gb == 16.0 and found[0].name == "Radeon RX 7800" and "rocm" in found[0].api
    assert "7d55" in found[1].name
    assert "intel_vpu" in found[2].name
    assert device_class("linux", "x86_64", found) == "intel_npu"
    assert device_class("linux", "x86_64", found[:1]) == "amd_gpu"


def test_sysfs_qualcomm(tmp_path):
    k = tmp_path / "sys/class/kgsl/kgsl-3d0"
    k.mkdir(parents=True)
    (k / "gpu_model").write_text("Adreno750v2\n")
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/fastrpc-cdsp").write_text("")
    found = sysfs_accelerators(tmp_path)
    assert [(a.kind, a.vendor) for a in found] == [("gpu", "qualcomm"), ("npu", "qualcomm")]
    assert found[0].name == "Adreno750v2" and found[1].api == ["qnn"] and "fastrpc-cdsp" in found[1].name
    assert device_class("android", "arm64", found) == "snapdragon"


def test_sysfs_nvidia_skipped_when_smi_saw_it_and_odd_entries_ignored(tmp_path):
    _card(tmp_path, 0, "0x10de")
    _card(tmp_path, 1, "0xffff")  # unknown vendor
    (tmp_path / "sys/class/drm/card2").mkdir()  # no device/ at all
    assert [a.vendor for a in sysfs_accelerators(tmp_path)] == ["nvidia"]
    assert sysfs_accelerators(tmp_path, skip_nvidia=True) == []
    assert sysfs_accelerators(tmp_path / "missing") == []


@pytest.mark.parametrize("os_id,arch,cls", [("macos", "arm64", "apple_silicon"), ("linux", "arm64", "arm_sbc"),
                                            ("linux", "x86_64", "x86_cpu")])
def test_device_class_without_accelerators(os_id, arch, cls):
    assert device_class(os_id, arch, []) == cls

def test_sysfs_rockchip_npu_from_the_device_tree(tmp_path):
    """A Rockchip board's device tree names its SoC (NUL-separated compatibles); the NPU found drives RKLLM, and the
    chip decides which quantizations its kernels run (RK3588: w8a8 only)."""
    from advisor.knowledge import load_knowledge

    (tmp_path / "proc/device-tree").mkdir(parents=True)
    (tmp_path / "proc/device-tree/compatible").write_bytes(b"radxa,rock-5b\x00rockchip,rk3588\x00")
    found = sysfs_accelerators(tmp_path)
    assert [(a.kind, a.vendor, a.api) for a in found] == [("npu", "rockchip", ["rknpu"])]
    assert "RK3588" in found[0].name and device_class("linux", "arm64", found) == "arm_sbc"
    kb = load_knowledge()
    opt = kb.compute_option("rkllm", "npu", found[0])
    assert opt is not None and opt.quants and "w8a8" in opt.quants and "w4a16" not in opt.quants
    (tmp_path / "proc/device-tree/compatible").write_bytes(b"rockchip,rk3576-evb\x00rockchip,rk3576\x00")
    rk3576 = sysfs_accelerators(tmp_path)[0]
    assert "w4a16" in kb.compute_option("rkllm", "npu", rk3576).quants
    (tmp_path / "proc/device-tree/compatible").write_bytes(b"raspberrypi,5-model-b\x00brcm,bcm2712\x00")
    assert sysfs_accelerators(tmp_path) == []
