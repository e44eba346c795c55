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
    import numpy as np
    from gguf import GGUFWriter

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.gguf"
        w = GGUFWriter(str(p), "llama")
        for add, v in [(w.add_embedding_length, 64), (w.add_block_count, 2), (w.add_head_count, 4),
                       (w.add_head_count_kv, 2), (w.add_vocab_size, 100), (w.add_feed_forward_length, 128)]:
            add(v)
        w.add_tensor("token_embd.weight", np.zeros((100, 64), dtype=np.float16))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return p.read_bytes()


def store_survival(n_procs: int = 3, per_proc: int = 40) -> tuple[int, int] | None:
    """(written and acknowledged, lost) across concurrent writers with one SIGKILLed, or None without a store."""
    try:
        from advisor.probe import store  # noqa: F401
    except ImportError:
        return None
    from benchmarks_store import hammer  # type: ignore[import-not-found]

    return hammer(n_procs, per_proc)


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
    lost = store_survival()
    if lost is None:
        print("measurements lost: n/a (probe store not installed)")
    else:
        print(f"measurements acknowledged: {lost[0]}, lost: {lost[1]} (must be 0)")
    return 0 if tally["traceback"] == 0 and (lost is None or lost[1] == 0) else 1


if __name__ == "__main__":
    raise SystemExit(main())
