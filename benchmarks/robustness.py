"""Robustness under hostile input: inputs tried, errors handled, tracebacks (must be 0), measurements lost (must be 0).

Throws random and corrupted device profiles, constraints, config.json files and GGUF files at the real CLI entry
point (in-process, so an unhandled exception is seen as such), then, when the probe store is installed, has
processes write measurements concurrently while one of them is SIGKILLed mid-write, and counts what survived.

    python benchmarks/robustness.py [--inputs 400] [--seed 0]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.cli import cli  # noqa: E402
from advisor.errors import AdvisorError  # noqa: E402

VALUES = [None, True, -1, 0, 1, 2.5, 1e308, float("nan"), "", "x" * 300, [], {}, [1, 2], {"a": 1}, "llama", 10**12]
PROFILE = {"id": "rob", "name": "rob", "class": "arm_sbc", "os": ["linux"], "cpu": {"arch": "arm64", "cores": 4},
           "memory": {"total_gb": 8, "bandwidth_gbs": 17.1}, "accelerators": []}
CONFIG = {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
          "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}


def mutate(d: dict, rnd: random.Random) -> dict:
    d = json.loads(json.dumps(d))
    for _ in range(rnd.randint(1, 3)):
        node = d
        keys = list(node)
        k = rnd.choice(keys + ["extra_key"])
        if isinstance(node.get(k), dict) and rnd.random() < 0.5:
            node = node[k]
            k = rnd.choice(list(node) + ["extra_key"])
        if rnd.random() < 0.2:
            node.pop(k, None)
        else:
            node[k] = rnd.choice(VALUES)
    return d


def call(argv: list[str]) -> tuple[str, str]:
    """Run the click app without the top-level guard: ('ok'|'handled'|'traceback', detail)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main(args=argv, prog_name="advisor", standalone_mode=False)
        return "ok", ""
    except AdvisorError as exc:
        return ("handled", str(exc)) if "\n" not in str(exc) else ("traceback", f"multi-line message: {exc!r}")
    except Exception as exc:  # click usage errors are handled by main(); anything else is a bug
        import click

        if isinstance(exc, click.ClickException):
            return "handled", exc.format_message()
        return "traceback", "".join(traceback.format_exception(exc))[-600:]


def gguf_blob() -> bytes:
    from advisor.gguf_meta import minimal_gguf

    with tempfile.TemporaryDirectory() as d:
        return minimal_gguf(Path(d) / "m.gguf").read_bytes()


WRITER = r"""
import sys
from advisor.probe import store
from advisor.probe.spec import Measured, ProbeResult
tag, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    r = ProbeResult(backend="llamacpp", quant="Q8_0", model=f"{tag}:{i}", ok=True,
                    measured=Measured(decode_tokens_per_s=float(i), notes=["x" * 2000]), env={"fingerprint": tag})
    print(tag, i, store.save(r).id, flush=True)  # acknowledged: save() returned, the row is committed
"""


def store_survival(n_procs: int = 3, per_proc: int = 40, seed: int = 0) -> tuple[int, int, str] | None:
    """(acknowledged, lost, integrity) with `n_procs` writer processes saving at once into one fresh store while a
    victim writing in an endless loop is SIGKILLed mid-stream; None without the probe store."""
    import signal
    import sqlite3
    import subprocess
    import threading
    import time

    try:
        from advisor.probe import store  # noqa: F401
    except ImportError:
        return None
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "ADVISOR_DATA_DIR": d, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        acks: list[list[str]] = []
        procs = []
        for w in range(n_procs + 1):
            victim = w == n_procs
            p = subprocess.Popen([sys.executable, "-c", WRITER, f"{'victim' if victim else 'writer'}{w}",
                                  str(10**6 if victim else per_proc)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
            t = threading.Thread(target=lambda p=p: acks.extend(line.split() for line in p.stdout), daemon=True)
            t.start()
            procs.append((p, t))
        victim, _ = procs[-1]
        while not any(a[0].startswith("victim") for a in list(acks)) and victim.poll() is None:
            time.sleep(0.01)
        time.sleep(rnd.uniform(0.05, 0.3))  # inside its write loop, most likely inside save()
        victim.send_signal(signal.SIGKILL)
        for p, t in procs:
            p.wait()
            t.join()
        con = sqlite3.connect(Path(d) / "measurements.sqlite")
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        present = {(m, i) for m, i in con.execute("SELECT model, id FROM probes")}
        con.close()
        lost = sum(1 for tag, i, rid in acks if (f"{tag}:{i}", int(rid)) not in present)
        short = sum(per_proc - sum(1 for a in acks if a[0] == f"writer{w}") for w in range(n_procs))
        return len(acks), lost + short, integrity


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    blob = gguf_blob()
    tally = {"ok": 0, "handled": 0, "traceback": 0}
    first_tb = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["ADVISOR_DATA_DIR"] = str(tmp / "data")  # plans read the store: never the user's own
        for i in range(a.inputs):
            kind = i % 4
            if kind == 0:
                f = tmp / f"p{i}.json"
                f.write_text(json.dumps(mutate(PROFILE, rnd)))
                argv = ["plan", "--device", str(f), "--model", "llama-3.2-1b-instruct", "--json"]
            elif kind == 1:
                flag = rnd.choice(["--max-memory-gb", "--min-decode-tps", "--context", "--max-quality-loss", "--gen-tokens"])
                argv = ["plan", "--device", "raspberry-pi-5-8gb", "--model", "qwen3-8b", flag,
                        rnd.choice(["-1", "0", "nan", "inf", "1e400", "abc", "5", "100000000000", ""]), "--json"]
            elif kind == 2:
                d = tmp / f"m{i}"
                d.mkdir()
                (d / "config.json").write_text(json.dumps(mutate(CONFIG, rnd)))
                argv = ["plan", "--device", "apple-m2-16gb", "--model", str(d), "--json"]
            else:
                b = bytearray(blob)
                if rnd.random() < 0.5:
                    b = b[: rnd.randrange(len(b))]
                else:
                    for _ in range(rnd.randint(1, 6)):
                        b[rnd.randrange(len(b))] = rnd.randrange(256)
                f = tmp / f"g{i}.gguf"
                f.write_bytes(bytes(b))
                argv = ["plan", "--device", "raspberry-pi-5-8gb", "--model", str(f), "--json"]
            verdict, detail = call(argv)
            tally[verdict] += 1
            if verdict == "traceback" and first_tb is None:
                first_tb = (argv, detail)
    print(f"inputs tried: {a.inputs}")
    print(f"accepted (plan produced): {tally['ok']}")
    print(f"errors handled (one-line message): {tally['handled']}")
    print(f"tracebacks: {tally['traceback']} (must be 0)")
    if first_tb:
        print("first traceback:", first_tb[0], "\n", first_tb[1])
    lost = store_survival(seed=a.seed)
    if lost is None:
        print("measurements lost: n/a (probe store not installed)")
    else:
        print(f"measurements acknowledged: {lost[0]} (3 writers + 1 SIGKILLed mid-write), lost: {lost[1]} (must be 0), "
              f"integrity_check: {lost[2]}")
    return 0 if tally["traceback"] == 0 and (lost is None or (lost[1] == 0 and lost[2] == "ok")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
