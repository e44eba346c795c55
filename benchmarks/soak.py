"""Many users of one measurement store: N concurrent clients for M minutes, one SIGKILLed every --kill-every seconds.

Each client is its own process (its own session, so a SIGKILL takes the commands it started too) and loops over
the kinds of user one ADVISOR_DATA_DIR has:
  write      store.save() of a result named soak-c<client>-i<incarnation>-<n> (what a sweep worker does);
  plan       `advisor plan -d raspberry-pi-5-8gb ... --json` (reads the store for quality corrections);
  list       `advisor measurements list --all-machines --json`;
  tui        the TUI, headless (Textual's run_test pilot, in the client): device, model, goals, up to the plan screen
             (making the plan reads the store: the local recalibration);
  calibrate  `advisor plan --device auto ... --json`: the local calibration of this machine from the stored probes
             (there is no `advisor calibrate` that reads the store: --check/--rebuild refit the public data, a minute
             of both cores each, and never open it);
  probe      a real probe of the shipped probe model (--probe-model tiny: SmolLM2-135M's first 2 layers, llama.cpp
             Q8_0, the cheapest), alternately `advisor probe` and `advisor plan --probe --probe-top 1`. At most one
             probe in flight across all clients (a flock) and one started per --probe-every seconds, none in the last
             --probe-margin seconds, so a 1-minute run still ends on time.
With --kill-probes each SIGKILL waits for a running probe and hits its client (the probe's worker with it).
Every row a client was told is stored (save() returned, the probe printed its id) goes to the client's ledger (fsync)
as `op id name`. A killed client is restarted as a new incarnation. At the end:
  failures   operations that failed (non-zero exit, an exception, a failed probe, "database is locked" or an
             unreadable store on stderr or in the log): target 0
  lost       ledger rows not in the store (by id, and the name must match): target 0
  duplicated rows stored twice (same name and body): target 0
  integrity  PRAGMA integrity_check and `store.check()` (keys, sharing): target ok
  left over  processes still running with the store, probe run folders in the run's own cache: target none

Usage: python benchmarks/soak.py --minutes 1            (quick)
       python benchmarks/soak.py --minutes 10 --clients 4 --kill-every 60
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import logging
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json"]
CALIBRATE = ["plan", "--device", "auto", "-m", "llama-3.2-1b-instruct", "--json"]
LIST = ["measurements", "list", "--all-machines", "--json"]
OPS = ("write", "plan", "list", "tui", "calibrate", "probe")
CYCLE = ["write", "plan", "probe", "write", "list", "tui", "write", "calibrate", "probe"]
PROBE_QUANT = "Q8_0"
TUI_LIMIT_S = 300  # only against a hang


class _StoreTrouble(logging.Handler):
    """Warnings a user would see: a locked or unreadable store (the TUI logs them instead of exiting)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record):
        msg = record.getMessage()
        if "locked" in msg or "measurement store" in msg:
            self.seen.append(msg)


# ------------------------------------------------------------------ operations (each returns the rows it stored)
def _cli(args: list[str], env: dict, timeout: float | None = None) -> dict | list:
    p = subprocess.run([sys.executable, "-m", "advisor", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=timeout)
    if p.returncode != 0 or "locked" in p.stderr or "measurement store" in p.stderr:
        raise RuntimeError((p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1][:200])
    return json.loads(p.stdout)


def _probe(env: dict, model: str, hf_dir: Path, via_plan: bool) -> list[tuple[int, str]]:
    if via_plan:
        d = _cli(["plan", "--device", "auto", "--model", str(hf_dir), "--backend", "llamacpp", "--probe",
                  "--probe-top", "1", "--json"], env)
        m = next((c["measured"] for c in d["candidates"] if c.get("measured")), None)
        if m is None:
            raise RuntimeError("plan --probe measured no candidate")
        rows = [(m["probe_id"], m["probe_model"] or "?")] if m.get("probe_id") else []
        ok, reason = m["ok"], m.get("reason")
    else:
        d = _cli(["probe", "--backend", "llamacpp", "--quant", PROBE_QUANT, "--model", model, "--gen-tokens", "8",
                  "--prompt-tokens", "32", "--json"], env)
        rows = [(d["id"], d["model"])] if d.get("id") else []
        ok, reason = d["ok"], d.get("reason")
    if not ok:
        raise ProbeFailed(f"probe failed: {reason}", rows)
    return rows


class ProbeFailed(RuntimeError):
    def __init__(self, msg: str, rows: list[tuple[int, str]]):
        super().__init__(msg)
        self.rows = rows  # a failed probe is stored too, with its reason


async def _tui_to_plan(lib, detect) -> int:
    from textual.widgets import Input

    from advisor.tui.app import build_app

    app = build_app(library=lib, detect=detect)

    async def until(pilot, cond):
        t0 = time.monotonic()
        while not cond():
            if time.monotonic() - t0 > TUI_LIMIT_S:
                raise RuntimeError(f"TUI: no plan screen after {TUI_LIMIT_S} s (on {type(app.screen).__name__})")
            await pilot.pause(0.05)

    async with app.run_test(size=(100, 30)) as pilot:
        for text in ("pi 5 8gb", "llama 3.2 1b"):
            await until(pilot, lambda: isinstance(app.focused, Input))
            app.focused.value = text
            app.focused.cursor_position = len(text)
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
        await pilot.press("enter")  # the goals as they are: plan
        await until(pilot, lambda: type(app.screen).__name__ == "PlanScreen" or app._notifications)
        if type(app.screen).__name__ != "PlanScreen":
            raise RuntimeError("TUI: " + "; ".join(n.message for n in app._notifications)[:200])
        n = len(app.plan.candidates)
        await pilot.press("ctrl+q")
    return n


class _ProbeTurn:
    """At most one probe in flight across the clients (flock, released by the kernel when a client is killed) and
    one started per `every` seconds."""

    def __init__(self, data: Path, every: float, margin: float, until: float, cid: int):
        self.f = open(data / "probe.lock", "a+")
        self.data, self.every, self.margin, self.until, self.cid = data, every, margin, until, cid

    def take(self) -> bool:
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        nxt = self.data / "probe-next.txt"
        now = time.time()
        due = float(nxt.read_text() or 0) if nxt.exists() else 0.0
        if now < due or self.until - now < self.margin:
            fcntl.flock(self.f, fcntl.LOCK_UN)
            return False
        nxt.write_text(str(now + self.every))
        (self.data / "probe-holder.txt").write_text(str(self.cid))  # who --kill-probes kills
        return True

    def started(self) -> int:
        """Count this probe; the number started before it (even: `advisor probe`, odd: `plan --probe`)."""
        cnt = self.data / "probe-count.txt"
        n = int(cnt.read_text() or 0) if cnt.exists() else 0
        cnt.write_text(str(n + 1))
        return n

    def done(self) -> None:
        """The next probe starts `every` seconds after this one ended; release the turn."""
        (self.data / "probe-next.txt").write_text(str(time.time() + self.every))
        (self.data / "probe-holder.txt").unlink(missing_ok=True)
        fcntl.flock(self.f, fcntl.LOCK_UN)


# ------------------------------------------------------------------ one client
def client(cid: int, incarnation: int, data: Path, until: float, a: argparse.Namespace) -> int:
    os.environ["ADVISOR_DATA_DIR"] = str(data)  # before the import: never the user's own store
    os.environ["ADVISOR_CACHE_DIR"] = str(data / "cache")  # the run's own run folders (see private_cache)
    os.environ["HF_HUB_OFFLINE"] = "1"
    sys.path.insert(0, str(ROOT))
    from advisor.probe import store

    if store.db_path().parent.resolve() != data.resolve():
        raise SystemExit(f"soak client: the store would be {store.db_path()}, not in {data}")
    from advisor.probe.models import resolve
    from advisor.probe.spec import Measured, ProbeResult
    from advisor.tui.app import Library

    trouble = _StoreTrouble()
    logging.getLogger().addHandler(trouble)
    lib = Library.load()
    this = lib.profiles["x86-laptop-avx2"].model_copy(update={"id": "this-machine", "name": "This machine"})
    hf_dir = resolve(a.probe_model).hf_dir
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ledger = open(data / f"ledger-{cid}.txt", "a")
    stats = open(data / f"stats-{cid}.txt", "a")
    turn = _ProbeTurn(data, a.probe_every, a.probe_margin, until, cid)

    def acknowledge(op: str, rows: list[tuple[int, str]]) -> None:
        for rid, name in rows:
            ledger.write(f"{op} {rid} {name}\n")
        ledger.flush()
        os.fsync(ledger.fileno())

    n = 0
    while time.time() < until:
        op = CYCLE[n % len(CYCLE)]
        n += 1
        if op == "probe" and not turn.take():
            continue
        t0 = time.perf_counter()
        ok, why, seen = True, "", len(trouble.seen)
        try:
            if op == "write":
                name = f"soak-c{cid}-i{incarnation}-{n}"
                res = ProbeResult(backend="llamacpp", quant="Q4_K_M", model=name, ok=True,
                                  measured=Measured(decode_tokens_per_s=random.uniform(20, 60)),
                                  env={"fingerprint": "soak"})
                acknowledge(op, [(store.save(res).id, name)])
            elif op == "tui":
                if asyncio.run(_tui_to_plan(lib, lambda: this)) < 1:
                    raise RuntimeError("TUI: a plan without candidates")
            elif op == "probe":
                try:
                    acknowledge(op, _probe(env, a.probe_model, hf_dir, via_plan=turn.started() % 2 == 1))
                except ProbeFailed as exc:
                    acknowledge(op, exc.rows)
                    raise
            else:
                out = _cli({"plan": PLAN, "list": LIST, "calibrate": CALIBRATE}[op], env)
                if op != "list" and not out["candidates"]:
                    raise RuntimeError(f"{op}: a plan without candidates")
            if len(trouble.seen) > seen:
                raise RuntimeError(trouble.seen[-1][:200])
        except Exception as exc:  # a benchmark counts failures, it does not stop at the first
            ok, why = False, f"{op}: {exc.__class__.__name__}: {exc}"[:240]
        finally:
            if op == "probe":
                turn.done()
        stats.write(json.dumps({"op": op, "s": round(time.perf_counter() - t0, 4), "ok": ok, "why": why}) + "\n")
        stats.flush()
    return 0


# ------------------------------------------------------------------ the driver
def spawn(cid: int, incarnation: int, data: Path, until: float, a: argparse.Namespace) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--client", str(cid), "--incarnation", str(incarnation),
                             "--data", str(data), "--until", str(until), "--probe-every", str(a.probe_every),
                             "--probe-margin", str(a.probe_margin), "--probe-model", a.probe_model],
                            start_new_session=True)


def drive(a: argparse.Namespace, data: Path) -> dict:
    until = time.time() + a.minutes * 60
    procs = {c: spawn(c, 0, data, until, a) for c in range(a.clients)}
    incarnations = dict.fromkeys(procs, 0)
    kills, probe_kills = 0, 0
    next_kill = time.time() + a.kill_every / 2
    holder = data / "probe-holder.txt"
    while time.time() < until:
        time.sleep(0.5)
        if time.time() >= next_kill and time.time() < until - 5:
            victim = random.choice(list(procs))
            if a.kill_probes:  # wait for a probe that has run a few seconds, then kill its client
                try:
                    held = time.time() - holder.stat().st_mtime
                    victim = int(holder.read_text())
                except (OSError, ValueError):
                    continue
                if held < a.probe_kill_after:
                    continue
            try:  # is the victim's probe running? (counted whether aimed at or hit by chance)
                if int(holder.read_text()) == victim:
                    holder.unlink(missing_ok=True)
                    probe_kills += 1
            except (OSError, ValueError):
                pass
            os.killpg(procs[victim].pid, signal.SIGKILL)  # the client and the commands it started
            procs[victim].wait()
            kills += 1
            incarnations[victim] += 1
            procs[victim] = spawn(victim, incarnations[victim], data, until, a)
            next_kill += a.kill_every
    for p in procs.values():
        p.wait()
    return {"kills": kills, "probe_kills": probe_kills, "overrun_s": round(max(0.0, time.time() - until), 1), "leftovers": leftovers(data)}


def _pct(xs: list[float], q: int) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return round(xs[0], 3)
    return round(statistics.quantiles(xs, n=100, method="inclusive")[q - 1], 3)


SHARED = ("smollm2-135m-2layer", "smollm2-135m", "local")  # what probes build once: kept in the user's cache


def private_cache(data: Path) -> Path:
    """An ADVISOR_CACHE_DIR for the run: the built probe models are the user's (symlinks, built once), the run
    folders and logs the probes leave are the soak's own, to count."""
    sys.path.insert(0, str(ROOT))
    from advisor.probe.models import cache_root

    shared = cache_root()
    cache = data / "cache"
    root = cache / shared.relative_to(shared.parents[1])
    root.mkdir(parents=True, exist_ok=True)
    for name in SHARED:
        (shared / name).mkdir(parents=True, exist_ok=True)
        if not (root / name).exists():
            (root / name).symlink_to(shared / name, target_is_directory=True)
    return cache


def left_behind(data: Path) -> list[str]:
    """Probe run folders still there after the run (a probe cleans its own up unless it is killed)."""
    runs = [p for p in (data / "cache").glob("*/*/runs/*")]
    return sorted(str(p.relative_to(data)) for p in runs)


def leftovers(data: Path) -> list[str]:
    """Processes still running with this store (a probe worker orphaned by a SIGKILL, say): should be none."""
    import psutil

    out = []
    for p in psutil.process_iter(["pid", "name"]):
        try:
            if p.pid != os.getpid() and p.environ().get("ADVISOR_DATA_DIR") == str(data):
                out.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except (psutil.Error, OSError):  # gone, a zombie, or not ours to read
            continue
    return out


def report(data: Path, run: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    from advisor.probe import store

    stats = [json.loads(line) for f in data.glob("stats-*.txt") for line in f.read_text().splitlines() if line]
    acked = [line.split(" ", 2) for f in data.glob("ledger-*.txt") for line in f.read_text().splitlines() if line]
    db = data / "measurements.sqlite"
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    stored = con.execute("SELECT id, model, result FROM probes").fetchall()
    con.close()
    problems = store.check(db)
    by_id = {rid: model for rid, model, _ in stored}
    lost = [(op, rid, name) for op, rid, name in acked if by_id.get(int(rid)) is None
            or (op == "write" and by_id[int(rid)] != name)]
    acked_ids = {int(rid) for _, rid, _ in acked}
    per_op = {}
    for op in OPS:
        ss = [s for s in stats if s["op"] == op]
        lat = sorted(s["s"] for s in ss if s["ok"])
        per_op[op] = {"count": len(ss), "failures": sum(not s["ok"] for s in ss), "p50_s": _pct(lat, 50),
                      "p99_s": _pct(lat, 99)}
    failures = [s for s in stats if not s["ok"]]
    return {
        "operations": per_op,
        "total_operations": len(stats),
        "sigkills": run["kills"], "sigkills_mid_probe": run.get("probe_kills", 0), "overrun_s": run["overrun_s"],
        "failures": len(failures), "failure_examples": sorted({f["why"] for f in failures})[:5],
        "acknowledged_rows": {op: sum(a[0] == op for a in acked) for op in ("write", "probe")},
        "rows": len(stored),
        "lost": len(lost), "lost_examples": lost[:5],
        "duplicated": len(stored) - len({(m, r) for _, m, r in stored}),
        "unacknowledged_rows": len(set(by_id) - acked_ids),  # committed, then the client was killed before its ledger
        "integrity": integrity if not problems else "; ".join(problems),
        "leftover_processes": run.get("leftovers", []),
        "probe_run_folders_left": left_behind(data),
    }


def summary(out: dict) -> str:
    lines = [f"{'operation':<10} {'count':>6} {'failed':>6} {'p50 s':>7} {'p99 s':>7}"]
    for op, s in out["operations"].items():
        f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(f"{op:<10} {s['count']:>6} {s['failures']:>6} {f(s['p50_s']):>7} {f(s['p99_s']):>7}")
    ack = out["acknowledged_rows"]
    lines.append(f"{out['total_operations']} operations, {out['sigkills']} SIGKILL(s) ({out['sigkills_mid_probe']} "
                 f"mid-probe), {out['failures']} failures, "
                 f"{ack['write']} + {ack['probe']} (probe) acknowledged rows, {out['rows']} stored, {out['lost']} lost, "
                 f"{out['duplicated']} duplicated, {out['unacknowledged_rows']} unacknowledged, integrity "
                 f"{out['integrity']}, {len(out['leftover_processes'])} leftover process(es), "
                 f"{len(out['probe_run_folders_left'])} probe run folder(s) left")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--kill-every", type=float, default=60.0, help="seconds between SIGKILLs of a random client")
    ap.add_argument("--probe-every", type=float, default=30.0, help="seconds between probe starts (all clients)")
    ap.add_argument("--probe-margin", type=float, default=25.0, help="no probe starts this close to the end")
    ap.add_argument("--probe-model", default="tiny", choices=("tiny", "builtin"), help="the shipped probe model")
    ap.add_argument("--kill-probes", action="store_true",
                    help="each SIGKILL waits for a probe that has run --probe-kill-after seconds and hits its client "
                         "(default: a random client at once)")
    ap.add_argument("--probe-kill-after", type=float, default=5.0, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help="store folder (default: a fresh temp folder)")
    ap.add_argument("--json", action="store_true", help="print the full report as JSON after the summary")
    ap.add_argument("--client", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--incarnation", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--until", type=float, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.client is not None:
        return client(a.client, a.incarnation, a.data, a.until, a)
    if a.minutes <= 0 or a.clients < 1 or a.kill_every <= 0 or a.probe_every <= 0 or a.probe_margin < 0:
        ap.error("--minutes, --clients, --kill-every and --probe-every must be positive, --probe-margin >= 0")
    data = (a.data or Path(tempfile.mkdtemp(prefix="advisor-soak-"))).resolve()
    data.mkdir(parents=True, exist_ok=True)
    if (data / "measurements.sqlite").exists() and not any(data.glob("ledger-*.txt")):
        ap.error(f"{data} holds a measurement store that is not a soak's; give an empty folder")
    print(f"soak: {a.clients} clients for {a.minutes:g} min, a SIGKILL every {a.kill_every:g} s, a probe every "
          f"{a.probe_every:g} s, store in {data}", file=sys.stderr)
    private_cache(data)
    out = report(data, drive(a, data))
    print(summary(out))
    if a.json or out["failures"] or out["lost"]:
        print(json.dumps(out, indent=2))
    good = out["failures"] == 0 and out["lost"] == 0 and out["duplicated"] == 0 and out["integrity"] == "ok"
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
