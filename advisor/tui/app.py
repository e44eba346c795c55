"""The app: loads the knowledge once, then walks device -> model -> goals -> plan, one screen per step.

`build_app()` is the factory the CLI (`advisor tui`) and the tests share. The app holds no domain logic: it passes
the screens' typed results to `make_plan()` and hands the plan to the plan screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import App
from textual.binding import Binding

from ..calibration import Calibration
from ..errors import AdvisorError
from ..knowledge import Knowledge
from ..schemas import Constraints, DeviceProfile, ModelSpec, Plan
from .device import DeviceScreen
from .goals import GoalsScreen
from .help import HelpScreen
from .model import ModelScreen
from .plan import PlanScreen


@dataclass(frozen=True)
class Library:
    """What every screen reads: the knowledge base, the calibration and the shipped device profiles."""

    kb: Knowledge
    cal: Calibration
    profiles: dict[str, DeviceProfile]

    @classmethod
    def load(cls) -> "Library":
        from ..calibration import load_calibration
        from ..knowledge import load_knowledge
        from ..resolve import load_profiles

        return cls(kb=load_knowledge(), cal=load_calibration(), profiles=load_profiles())


class AdvisorApp(App[Plan | None]):
    """The questionnaire. Its return value (from `run()`) is the last plan made, or None."""

    CSS_PATH = "app.tcss"
    TITLE = "advisor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, library: Library, detect: Callable[[], DeviceProfile]):
        super().__init__()
        self.library = library
        self.detect = detect
        self.device: DeviceProfile | None = None
        self.model: ModelSpec | None = None
        self.constraints: Constraints | None = None
        self.plan: Plan | None = None

    def on_mount(self) -> None:
        self.flow()

    @work(exclusive=True, group="flow")
    async def flow(self) -> None:
        """The questionnaire's state machine: each step returns the name of the next one."""
        step = "device"
        while step != "quit":
            step = await getattr(self, f"_ask_{step}")()
        self.exit(self.plan)

    async def _ask_device(self) -> str:
        self.device = await self.push_screen_wait(DeviceScreen(self.library.profiles, self.detect, self.device))
        return "model"

    async def _ask_model(self) -> str:
        spec = await self.push_screen_wait(ModelScreen(self.library.kb, self.model))
        if spec is None:
            return "device"
        self.model = spec
        return "goals"

    async def _ask_goals(self) -> str:
        assert self.device is not None and self.model is not None  # the flow's order guarantees both
        cons = await self.push_screen_wait(GoalsScreen(self.device, self.model, self.constraints))
        if cons is None:
            return "model"
        self.constraints = cons
        from ..planner import make_plan

        lib = self.library
        try:
            cal = _recalibrated(lib.cal, self.device)
            self.plan = await asyncio.to_thread(make_plan, self.device, self.model, cons, lib.kb, cal)
        except AdvisorError as exc:
            self.notify(str(exc), title="cannot plan", severity="error", timeout=10)
            return "goals"
        except Exception as exc:  # a bug, not the user's fault: say so here and keep the questionnaire running
            self.notify(f"unexpected {exc.__class__.__name__}: {exc}; run `advisor plan` with ADVISOR_DEBUG=1 for "
                        "the traceback and report it", title="cannot plan", severity="error", timeout=15)
            return "goals"
        return "plan"

    async def _ask_plan(self) -> str:
        assert self.plan is not None and self.model is not None
        screen = PlanScreen(self.plan, self.model, self.library.kb, self.library.cal)
        step = await self.push_screen_wait(screen)
        self.plan = screen.plan  # probes and script export replace the plan
        return step

    async def action_quit(self) -> None:
        """Ctrl+Q: leave from any step; `run()` returns the latest plan (with probe results or scripts, if any)."""
        screen = self.screen
        self.exit(screen.plan if isinstance(screen, PlanScreen) else self.plan)

    def action_help(self) -> None:
        screen = self.screen
        own = {b.action for b in [*screen.BINDINGS, *self.BINDINGS] if isinstance(b, Binding)}
        keys = [(self.get_key_display(b.binding), b.binding.description) for b in screen.active_bindings.values()
                if b.binding.action in own and b.binding.description and b.enabled]
        self.push_screen(HelpScreen(getattr(self.screen, "HELP", "") or "", keys))


def build_app(library: Library | None = None, detect: Callable[[], DeviceProfile] | None = None) -> AdvisorApp:
    """The app, ready to run. Tests pass a preloaded `library` and a fake `detect` (this machine)."""
    if detect is None:
        from ..detect import detect_profile

        detect = detect_profile
    return AdvisorApp(library or Library.load(), detect)


def _recalibrated(cal: Calibration, device) -> Calibration:
    """Stored probes recalibrate, as in `advisor plan`; without the probe package the shipped calibration."""
    try:
        from ..probe.localcal import local_calibration
    except ImportError:
        return cal
    return local_calibration(cal, device)
