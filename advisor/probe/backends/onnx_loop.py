"""A Runner for decoder graphs with explicit past_key_values inputs (optimum's ONNX export), shared by ONNX
Runtime and OpenVINO (an IR converted from that ONNX keeps the input names)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np


def kv_dims(hf_dir: Path) -> tuple[int, int]:
    cfg = json.loads((hf_dir / "config.json").read_text())
    heads = cfg["num_attention_heads"]
    return cfg.get("num_key_value_heads") or heads, cfg.get("head_dim") or cfg["hidden_size"] // heads


class PastRunner:
    """run(feeds) -> {output name: array}; input names are read from the graph."""

    def __init__(self, run: Callable[[dict], dict], inputs: list[str], kv_heads: int, head_dim: int):
        self.run, self.inputs = run, set(inputs)
        self.past_names = sorted(n for n in inputs if n.startswith("past_key_values."))
        self.kv = (kv_heads, head_dim)
        self.past: dict[str, np.ndarray] = {}
        self.pos = 0

    def _feeds(self, ids: np.ndarray) -> dict:
        n = len(ids)
        f = {"input_ids": ids[None].astype(np.int64)}
        if "attention_mask" in self.inputs:
            f["attention_mask"] = np.ones((1, self.pos + n), dtype=np.int64)
        if "position_ids" in self.inputs:
            f["position_ids"] = np.arange(self.pos, self.pos + n, dtype=np.int64)[None]
        for name in self.past_names:
            f[name] = self.past.get(name, np.zeros((1, self.kv[0], 0, self.kv[1]), dtype=np.float32))
        return f

    def _forward(self, ids: np.ndarray) -> np.ndarray:
        out = self.run(self._feeds(ids))
        self.past = {n: out[n.replace("past_key_values.", "present.")] for n in self.past_names}
        self.pos += len(ids)
        return np.asarray(out["logits"])[0]

    def forward_all(self, ids: np.ndarray) -> np.ndarray:
        self.past, self.pos = {}, 0
        return self._forward(ids).astype(np.float32)

    def begin(self, ids: np.ndarray) -> np.ndarray:
        return self.forward_all(ids)[-1]

    def step(self, token: int) -> np.ndarray:
        return self._forward(np.array([token], dtype=np.int64))[-1]


def export_onnx(hf_dir: Path, out: Path, with_past: bool) -> None:
    """FP32 ONNX through optimum's exporter (the TorchScript path fails on current transformers; this one works)."""
    from optimum.exporters.onnx import main_export

    main_export(str(hf_dir), output=str(out), task="text-generation-with-past" if with_past else "text-generation",
                no_post_process=True, do_validation=False, library_name="transformers", device="cpu")
