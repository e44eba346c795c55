"""After the same probe, the TUI and the CLI show the same figures (issue 13): the TUI's probe runs the core
`probe_and_replan` that `advisor plan --probe` runs, for real (llama.cpp on the `tiny` probe model, this machine),
and the plan it shows equals what `advisor plan --json` prints from the same store right after."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.cli.common import load_inputs
from advisor.planner import make_plan
from advisor.probe.models import resolve
from advisor.probe.localcal import local_calibration
from advisor.schemas import Constraints
from advisor.tui.plan import PlanScreen
from guards import HANG_S

pytestmark = [pytest.mark.asyncio, pytest.mark.backend, pytest.mark.slow]
FIGURES = ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct")


def figures(plan_json: dict) -> dict:
    return {(c["backend"], c["quant"], c["compute"]): {k: (c[k]["value"], c[k]["low"], c[k]["high"]) for k in FIGURES}
            for c in plan_json["candidates"]}


async def test_tui_probe_shows_what_the_cli_shows(make_app, waiter, tmp_path):
    tiny = str(resolve("tiny").hf_dir)
    kb, cal, dev, spec = load_inputs("auto", tiny)
    here = tmp_path / "this-machine.json"  # the same detected machine for both (its bandwidth is measured per process)
    here.write_text(dev.model_dump_json(by_alias=True))
    cons = Constraints(backend=["llamacpp"])
    plan = make_plan(dev, spec, cons, kb, local_calibration(cal, dev))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = PlanScreen(plan, spec, kb, cal, probe_top=1)
        await app.push_screen(screen)
        await pilot.press("p")
        await waiter(pilot, lambda: screen.busy is None and ("probes done" in str(screen.query_one(
            "#plan-message").render()) or screen.query_one("#plan-message").has_class("error")))
        shown = screen.plan
    [probed] = [c for c in shown.candidates if c.measured]
    assert probed.measured.ok, probed.measured.reason
    cli = subprocess.run([sys.executable, "-m", "advisor", "plan", "-d", str(here), "-m", tiny, "--backend", "llamacpp",
                          "--json"], capture_output=True, text=True, timeout=HANG_S)
    assert cli.returncode == 0, cli.stderr
    assert figures(json.loads(shown.model_dump_json(by_alias=True))) == figures(json.loads(cli.stdout))
    if not probed.measured.under_load:  # a probe timed on a busy machine does not recalibrate (by design)
        assert probed.decode_tokens_per_s.evidence == "measured-here"
