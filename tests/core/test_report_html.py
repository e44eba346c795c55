"""`plan --html` / `compare --html`: one self-contained file whose chart a real browser draws (issue 15).

The screenshot test runs headless Chromium (Debian's `chromium`, installed by scripts/setup.sh all) and is skipped
only where no Chromium is installed. It counts, in the screenshot, the pixels of each backend's marker colour:
a page whose chart did not render (an empty SVG, a broken inline, a missing figure) has none."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from advisor.chart import COLOURS
from guards import HANG_S

MODEL = "llama-3.1-8b-instruct"
# four classes: Intel laptop (NPU + iGPU), Apple Silicon, Arm board, Snapdragon phone
DEVICES = ["intel-core-ultra-7-258v-laptop", "apple-m3-16gb", "raspberry-pi-5-8gb", "galaxy-s24-ultra"]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _write(cli, tmp_path, device: str):
    out = tmp_path / f"{device}.html"
    r = cli("plan", "-d", device, "-m", MODEL, "--html", str(out), "--json")
    assert r.code == 0, r.err
    return out, r.json()


@pytest.mark.parametrize("device", DEVICES)
def test_html_is_self_contained_and_holds_every_part(cli, tmp_path, device):
    out, plan = _write(cli, tmp_path, device)
    html = out.read_text()
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    assert "<script" not in html.lower()
    assert html.count("<svg") == 1 and "id=chart" in html
    for backend in {c["backend"] for c in plan["candidates"]}:
        assert f'id="errors-{backend}"' in html  # every backend has its error bars in the chart
    assert 'id="usable-' in html
    for part in ("id=candidates", "id=eliminated", "Evidence behind each figure", "id=decision-path"):
        assert part in html
    for e in plan["eliminated"]:
        assert e["backend"] in html
    assert html.count("<tr>") == len(plan["candidates"]) + 1


def _colour_pixels(png, colour: str) -> int:
    import numpy as np
    from PIL import Image

    want = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    px = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    return int((np.abs(px - want).max(axis=2) <= 6).sum())


@pytest.mark.skipif(_chromium() is None, reason="no Chromium installed (scripts/setup.sh all installs Debian's)")
@pytest.mark.parametrize("device", DEVICES)
def test_headless_chromium_draws_the_chart(cli, tmp_path, device):
    out, plan = _write(cli, tmp_path, device)
    png = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-dev-shm-usage",
           "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: nothing may be fetched
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,800", f"--screenshot={png}",
           out.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=HANG_S, check=False)
    assert png.exists() and png.stat().st_size > 10_000, "Chromium wrote no screenshot"
    drawn = {c["backend"] for c in plan["candidates"] if c["feasible"]}
    assert drawn, "every chosen profile has feasible candidates (filled markers)"
    counts = {b: _colour_pixels(png, COLOURS[b]) for b in drawn}
    assert all(n >= 20 for n in counts.values()), counts  # each backend's filled markers are on screen


def test_compare_html_has_a_chart_per_device(cli, tmp_path):
    out = tmp_path / "cmp.html"
    r = cli("compare", "-m", "llama-3.2-1b-instruct", "-d", "raspberry-pi-5-8gb", "-d", "apple-m2-16gb",
            "--html", str(out), "--json")
    assert r.code == 0, r.err
    html = out.read_text()
    assert html.count("<svg") == 2 and not EXTERNAL.search(html)
    assert "raspberry-pi-5-8gb" in html and "apple-m2-16gb" in html


@pytest.mark.parametrize("target", ["missing-dir/x.html", "."])
def test_html_bad_path_is_one_line_exit_2(cli, tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    r = cli("plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--html", target)
    assert r.code == 2 and r.err.count("\n") == 1 and "--html" in r.err, r.err
    assert list(tmp_path.iterdir()) == []
