"""Many users of one measurement store: N concurrent clients for M minutes, one SIGKILLed every --kill-every seconds.

Each client is its own process (its own session, so a SIGKILL takes the commands it started too) and loops over
three operations against one ADVISOR_DATA_DIR:
  write  store.save() of a probe result named soak-c<client>-i<incarnation>-<n>, appended to the client's ledger
         (fsync) only once save() returned: a ledger line is a write the client was told succeeded;
  plan   `advisor plan ... --json` (reads the store for local corrections), timed;
  list   `advisor measurements list --all-machines --json`.
A killed client is restarted as a new incarnation. At the end:
  failures  operations that failed (non-zero exit, an exception, "database is locked" on stderr): target 0
  lost      ledger lines whose row is not in the store: target 0
  duplicated names stored more than once: target 0
  integrity PRAGMA integrity_check: target ok

Usage: python benchmarks/soak.py --minutes 1            (quick)
       python benchmarks/soak.py --minutes 10 --clients 4 --kill-every 60
"""

from __future__ import annotations

import argparse
import json
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
LIST = ["measurements", "list", "--all-machines", "--json"]


# ------------------------------------------------------------------ one client
def client(cid: int, incarnation: int, data: Path, until: float) -> int:
    os.environ["ADVISOR_DATA_DIR"] = str(data)  # before the import: never the user's own store
    sys.path.insert(0, str(ROOT))
    from advisor.probe import store

    if store.db_path().parent.resolve() != data.resolve():
        raise SystemExit(f"soak client: the store would be {store.db_path()}, not in {data}")
    from advisor.probe.spec import Measured, ProbeResult

    env = {**os.environ, "ADVISOR_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    ledger = open(data / f"ledger-{cid}.txt", "a")
    stats = open(data / f"stats-{cid}.txt", "a")
    n = 0
    ops = ["write", "plan", "write", "list"]
    while time.time() < until:
        op = ops[n % len(ops)]
        t0 = time.perf_counter()
        ok, why = True, ""
        try:
            if op == "write":
                name = f"soak-c{cid}-i{incarnation}-{n}"
                res = ProbeResult(backend="llamacpp", quant="Q4_K_M", model=name, ok=True,
                                  measured=Measured(decode_tokens_per_s=random.uniform(20, 60)),
                                  env={"fingerprint": "soak"})
                store.save(res)
                ledger.write(name + "\n")
                ledger.flush()
                os.fsync(ledger.fileno())
            else:
                p = subprocess.run([sys.executable, "-m", "advisor", *(PLAN if op == "plan" else LIST)],
                                   capture_output=True, text=True, env=env, cwd=ROOT)
                if p.returncode != 0 or "locked" in p.stderr:
                    ok, why = False, (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1][:200]
                else:
                    json.loads(p.stdout)
        except Exception as exc:  # a benchmark counts failures, it does not stop at the first
            ok, why = False, f"{exc.__class__.__name__}: {exc}"[:200]
        stats.write(json.dumps({"op": op, "s": round(time.perf_counter() - t0, 4), "ok": ok, "why": why}) + "\n")
        stats.flush()
        n += 1
    return 0


# ------------------------------------------------------------------ the driver
def spawn(cid: int, incarnation: int, data: Path, until: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--client", str(cid), "--incarnation", str(incarnation),
                             "--data", str(data), "--until", str(until)], start_new_session=True)


def drive(minutes: float, clients: int, kill_every: float, data: Path) -> dict:
    until = time.time() + minutes * 60
    procs = {c: spawn(c, 0, data, until) for c in range(clients)}
    incarnations = dict.fromkeys(procs, 0)
    kills = 0
    next_kill = time.time() + kill_every / 2
    while time.time() < until:
        time.sleep(0.5)
        if time.time() >= next_kill and time.time() < until - 5:
            victim = random.choice(list(procs))
            os.killpg(procs[victim].pid, signal.SIGKILL)  # the client and the commands it started
            procs[victim].wait()
            kills += 1
            incarnations[victim] += 1
            procs[victim] = spawn(victim, incarnations[victim], data, until)
            next_kill += kill_every
    for p in procs.values():
        p.wait()
    return {"kills": kills}


def report(data: Path, kills: int) -> dict:
    stats = [json.loads(line) for f in data.glob("stats-*.txt") for line in f.read_text().splitlines() if line]
    acked = [n for f in data.glob("ledger-*.txt") for n in f.read_text().splitlines() if n]
    con = sqlite3.connect(data / "measurements.sqlite")
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    stored = [r[0] for r in con.execute("SELECT model FROM probes")]
    plans = sorted(s["s"] for s in stats if s["op"] == "plan" and s["ok"])
    failures = [s for s in stats if not s["ok"]]
    q = statistics.quantiles(plans, n=100) if len(plans) >= 2 else plans * 99 or [float("nan")] * 99
    return {
        "operations": {op: sum(s["op"] == op for s in stats) for op in ("write", "plan", "list")},
        "plan_latency_s": {"p50": round(statistics.median(plans), 3) if plans else None, "p99": round(q[98], 3)},
        "sigkills": kills, "failures": len(failures), "failure_examples": sorted({f["why"] for f in failures})[:5],
        "acknowledged_writes": len(acked), "rows": len(stored),
        "lost": len(set(acked) - set(stored)),
        "duplicated": len(stored) - len(set(stored)),
        "unacknowledged_rows": len(set(stored) - set(acked)),  # committed, then the client was killed before its ledger
        "integrity": integrity,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--kill-every", type=float, default=60.0, help="seconds between SIGKILLs of a random client")
    ap.add_argument("--data", type=Path, help="store folder (default: a fresh temp folder)")
    ap.add_argument("--client", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--incarnation", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--until", type=float, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.client is not None:
        return client(a.client, a.incarnation, a.data, a.until)
    if a.minutes <= 0 or a.clients < 1 or a.kill_every <= 0:
        ap.error("--minutes, --clients and --kill-every must be positive")
    data = (a.data or Path(tempfile.mkdtemp(prefix="advisor-soak-"))).resolve()
    data.mkdir(parents=True, exist_ok=True)
    if (data / "measurements.sqlite").exists() and not any(data.glob("ledger-*.txt")):
        ap.error(f"{data} holds a measurement store that is not a soak's; give an empty folder")
    print(f"soak: {a.clients} clients for {a.minutes:g} min, a SIGKILL every {a.kill_every:g} s, store in {data}",
          file=sys.stderr)
    run = drive(a.minutes, a.clients, a.kill_every, data)
    out = report(data, run["kills"])
    print(json.dumps(out, indent=2))
    good = out["failures"] == 0 and out["lost"] == 0 and out["duplicated"] == 0 and out["integrity"] == "ok"
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
