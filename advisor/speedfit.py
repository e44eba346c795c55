"""Fitting the speed model (advisor/speedmodel.py) on public measurements, scikit-learn style.

`SpeedFit(kind).fit(rows, engines)` estimates, by robust non-linear least squares in log space:
- one efficiency per engine, shrunk toward the mean of its compute unit (a hierarchical prior: engines with few
  rows stay near their unit's average instead of chasing one source);
- one effect per (unit, quantization family), shrunk toward 0;
- per unit: the compute coefficient (kappa) and per-layer cost (tau) of decode, the attention weight (alpha) of
  prefill.
Each (source, device, engine) cell weighs as one observation however many rows it holds, so one big table cannot
outvote ten small sources. Constants below are policy, explained in docs/predictions.md ("Fitting").
"""

from __future__ import annotations

import math
from collections import Counter

from .engines import Engine
from .jacobian import grouped_jacobian
from .speed_data import SpeedRow
from .speedmodel import (BETA_SCALE, UNITS, decode_seconds, device_key, fam_key, port_bandwidth, port_owner,
                         predict_log, prefill_seconds, vendor_key)

SIGMA_ENGINE = 1.0  # prior sd of an engine's log-efficiency around its unit's mean (a factor of ~2.7)
SIGMA_FAMILY = 0.3  # prior sd of a quantization family's effect on one unit
SIGMA_VENDOR = 0.5  # prior sd of an engine's effect on one maker's hardware (llama.cpp Vulkan on Intel vs AMD)
SIGMA_UNIT = 3.0  # weak prior keeping every parameter finite where a unit has no rows
SIGMA_EXTRA = 3.0  # weak prior on the per-unit kappa, tau, alpha and t0 (log scale, around the physical 1)
# Parameters held at a value instead of fitted: CPU threads synchronise per op in microseconds, so a per-layer
# launch cost (tau) belongs to GPUs and NPUs; left free it soaks up the compute limit of weak CPUs.
# Decode attention's extra weight (beta) is fitted for CPUs only, where llama.cpp's float attention over an F16 KV
# cache is what slows long contexts (Qualcomm's 512 vs 4,096-token CPU rows); GPUs and NPUs keep attention at its
# FLOPs (beta x BETA_SCALE = 1): left free there it trades off against tau on few devices and generalised worse. One
# engine may pay for its attention on its own (GAMMA_ENGINES below).
# A phone's CPU carries a further prefill attention weight (log_alpha_phone; GPUs and NPUs hold it at 0): Qualcomm's
# llama.cpp CPU runs on the Galaxy S25 and S26 lose about half their prefill rate from a 512- to a 4,096-token prompt
# beyond what the X Elite / X2 Elite laptops and the IQ-9075 board lose (a passively cooled phone cannot hold its
# clocks through a minute-long prefill). Free on phone GPUs it fitted +0.02; the same term on decode made it worse.
FIXED = {"log_tau:cpu": -20.0, "zero": 0.0, "log_beta:gpu": -math.log(BETA_SCALE), "log_beta:npu": -math.log(BETA_SCALE),
         "log_alpha_phone:gpu": 0.0, "log_alpha_phone:npu": 0.0}
CELL_POWER = 0.25  # a (source, device, engine) cell of n rows weighs n^(1 - 2 x CELL_POWER) observations
# Robust losses: decode rows hold a few whole devices far off the rest (an older NPU generation on a fast bus),
# where a Cauchy loss follows the majority; prefill rows are noisier throughout, where soft-L1 does better out of
# sample (benchmarks/prediction_accuracy.py, docs/policy.md#speed-fit).
LOSS = {"decode": "cauchy", "prefill": "soft_l1"}
# Source random effects (decode only): a source measures with its own harness, build and settings, so its rows sit
# a common factor off the truth (all its engines: SIGMA_SOURCE; one engine in it: SIGMA_SOURCE_ENGINE). Fitted as
# offsets with these prior sds and left out of predictions (a new user is a new source), they keep one source's
# offset out of the engine's efficiency: what a source shows on all its engines is its own, and an engine seen by
# few sources stays nearer its unit's mean. On prefill both made every split worse, so it has none.
SIGMA_SOURCE = {"decode": 0.4, "prefill": 0.0}
SIGMA_SOURCE_ENGINE = {"decode": 0.4, "prefill": 0.0}
# Device offsets: what one measured device's unit shows beyond its stated bandwidth and compute (a laptop NPU that
# reaches no more than a phone's despite a wider bus), shrunk toward 0 with this prior sd. Unlike source offsets
# they enter predictions, for that device only: a plan for a measured device uses them, a new device gets 0.
# On prefill they helped a new source (36.4 % -> 35.1 %) but hurt a new device (30.5 % -> 32.7 %), so it has none.
SIGMA_DEVICE = {"decode": 0.3, "prefill": 0.0}
# Architecture generation (Adreno 6xx / 7xx / 8xx from the GPU's name, Hexagon HTP v68 / v73 / v75 / v79 / v81 from
# the NPU's: speedmodel.unit_arch): one engine's effect on one generation, shrunk toward 0 with this prior sd; unlike a
# device offset it carries to a new device of a measured generation. Decode only, measured there
# (docs/policy.md#speed-fit). The HTP generations (2026-12-05): QNN decode on a new device 15.4 % -> 14.0 %, Hexagon
# 25.2 % -> 24.4 %, all decode 76 % -> 77 % within +-30 %; on a new source 15.5 % -> 15.5 %.
# Intel's Xe and Xe2 GPUs count as generations too. Under the robust loss (GAUSS_PRIORS) they moved nothing:
# every generation effect came out within 0.05 of 0, the device offsets taking what the generations share.
SIGMA_ARCH = {"decode": 0.65, "prefill": 0.0}
# One engine's per-layer cost on one generation (arch_tau per engine|arch, added to the engine's log tau; prior sd, 0:
# none): a generation sets what a decode step costs beyond its bytes as well as how fast the bytes stream. OpenVINO
# decodes a 0.5B model at 42-55 tok/s on Meteor Lake's Xe-LPG (xe1, 120 GB/s) and at 91 on Lunar Lake's Xe2 (136
# GB/s), a 7B one at 10-11 and 23-25: with the 155H left out its small models came out 70-120 % too fast, its 7B ones
# 30-40 %, the part a bandwidth effect (SIGMA_ARCH) cannot carry. llama.cpp's SYCL backend on the Arc A770 (xe1) spends
# 15-25 ms per token beyond its bytes, the Arc Pro B70 (xe2) about 3. At sd 0.5 to 1.0 the per-layer effects moved
# little (OpenVINO on a new device 10.7 % -> 10.1 %, SYCL 34.8 % unchanged), at 2.0 SYCL went to 23.1 % and OpenVINO
# to 9.0 %, at 3.0 OpenCL got worse (21.7 % -> 22.8 %) (out-of-fold fits of the folds holding those engines'
# devices, 2026-12-06).
SIGMA_ARCH_TAU = {"decode": 2.0, "prefill": 0.0}
# Engines whose per-layer cost takes no generation factor. llama.cpp's OpenCL backend on Adreno: its Adreno 7xx
# factor (x4.3) rested on the X Elite's rows and carried to no new device (OpenCL on a new device 21.7 % with none,
# 22.9 % with it; on a new source 21.0 % and 24.5 %, 2026-12-06). Qualcomm's rows decode a 4B Q4_0 model over OpenCL
# at 21-24 tok/s on 85, 135 and 152 GB/s alike: what bounds it is the backend's kernels, which its engine effect and
# device offsets carry, not a generation's per-layer cost.
ARCH_TAU_EXCLUDED = frozenset({"llamacpp-gpu-opencl"})
# One engine on one measured device beyond the device's offset on that unit (llama.cpp's SYCL backend on a Core
# Ultra 155H reaches half of what the fit expects where OpenVINO's 156 rows there sit on it), used like the device
# offset: for that device only. Decode only: it also keeps one device's quirks out of the engine's shared efficiency
# (SYCL on a new device 50.6 % -> 27.7 %); on prefill it made a new device worse (30.0 % -> 31.4 %). 0.4, not 0.3:
# at 0.3 SYCL's figure on a new device flipped between 28 % and 48 % with rows of other engines added or dropped (the
# Arc Pro B70's fold: without it, 0.3 made the Arc A770's slow rows set the engine's efficiency, 47 % under the B70);
# at 0.4 the A770 keeps its slowness as its own offset (2026-12-05: SYCL 48.5 % -> 27.6 %, all decode 15.1 % ->
# 15.1 % on a new device and 15.5 % -> 15.5 % on a new source); since 2026-12-06 that slowness is Xe's per-layer cost
# instead, SIGMA_ARCH_TAU, and the A770's offset is near 0).
SIGMA_DEVICE_ENGINE = {"decode": 0.4, "prefill": 0.0}
# The fitted offset groups: name -> (prior sds, a row's level or ''). Calibration keys and SpeedInput fields match.
OFFSETS = {
    "device": (SIGMA_DEVICE, lambda x: device_key(x.device, x.unit) if x.device else ""),
    "device_engine": (SIGMA_DEVICE_ENGINE, lambda x: device_key(x.device, x.engine) if x.device else ""),
    "arch": (SIGMA_ARCH, lambda x: vendor_key(x.engine, x.arch) if x.arch else ""),
}
# Decode's Cauchy loss has several minima; steps scaled by the Jacobian's columns reach the same one whatever the
# BLAS thread count (unscaled, one and two threads ended 0.16 apart on OpenCL's efficiency, 2026-12-04 data), so a
# rebuild on another machine matches the shipped calibration.
X_SCALE = {"decode": "jac", "prefill": 1.0}
# Fitted once for every unit: the fixed cost of a prefill call (log_t0). Only short prompts pin it down, and nearly
# all of them are one source per unit (OpenVINO's 32-token first-token latencies on Intel GPUs); fitted per unit it
# was left to that one source, and leaving it out moved the GPU's cost freely (new source: 45 % -> 37 % with one).
# The extra prefill cost of a mixture-of-experts model (log_moe) is one figure too: its few dozen rows are spread over
# every unit, and the cause (experts splitting each batch of prompt tokens) is the same on all of them.
# The share of the bandwidth at which a prefill call's one pass over the weights streams (log_pass) is one figure too:
# fitted per unit it came out alike on all three (x0.71 CPU, x0.70 GPU, x0.53 NPU) and did no better out of sample.
# With that pass a prefill on a new source missed by 33.2 % instead of 36.8 % (OpenVINO's 32-token first-token rows
# of 8B models: 1.5-1.8x too fast before), on a new device 28.6 % instead of 29.0 % (2026-12-05).
SHARED = {"log_t0", "log_moe", "log_pass"}
# Prefill on a GPU whose stated peak is a matrix engine's (speedmodel.MATRIX_GPU: NVIDIA tensor cores, Intel XMX, AMD
# RDNA 4) reaches a different share of it than a GPU stated by its vector units does: one log factor per unit
# (log_matrix; only GPUs have such rows). Without it OpenVINO's one engine efficiency served the Core Ultra 155H
# (vector FP16 9.2 TFLOPS, no XMX) and the 255H / 268V (XMX 38.5 / 32.8) alike, and each was missed by 20-35 % when
# left out. It fitted x1.6; a prefill on a new device 28.6 % -> 24.0 %, on a new source 33.2 % -> 33.1 %, a new
# engine 51.5 % with it (48.6 % without: leaving OpenVINO out, the GPU average no longer carries its XMX devices).
# Counting RDNA 3/3.5 (one FP16 rate for vector and WMMA) as matrix GPUs instead made a new device 29.2 %.
# Engines whose decode streams the weights through their unit's own port, fitted as one port bandwidth per generation
# of that unit (log_port per engine|arch, keyed like the generation effects; prior sd SIGMA_EXTRA around PORT_SCALE) and
# combined with the device's bandwidth as a soft minimum. An NPU reads the weights over its own path to memory, and
# each HTP generation widened it. In Qualcomm's rows the X Elite CRD (135 GB/s, v73) decodes QNN's builds of the same
# models 1.15-1.25x faster than the 77 GB/s IQ-9075 (same v73), where the X2 Elite (152 GB/s, v81) decodes them 1.5-2x
# faster than the 85 GB/s Galaxy S26 (same v81); llama.cpp's Hexagon backend, through the NPU's DMA, runs no faster on
# the X Elite than on the IQ-9075 and no faster on the X2 Elite than on the S26. Fitted on all rows QNN's ports widen
# with the generation: v68 30, v73 57, v75 98, v79 104, v81 151 GB/s. An engine without ports of its own that runs
# QNN's HTP backend (ONNX Runtime's QNN EP: `like: [qnn-npu]`) streams at QNN's (speedmodel.port_owner).
# History. 2026-12-05, one port for the Hexagon backend: decode on a new device 15.1 % -> 14.9 % (Hexagon 28.8 % ->
# 24.6 %), a new source 15.6 % -> 15.5 %; one QNN port for every generation made QNN worse (15.9 % -> 26.3 %). Under
# the Gaussian generation prior (2026-12-06): a port for llama.cpp's OpenCL backend too gave 14.3 % with OpenCL
# unchanged (22.3 %); Hexagon streaming at its port alone, the device's bandwidth left out, 15.2 % (RKLLM 19.5 % ->
# 33.5 %). 2026-12-06, ports per generation for QNN and Hexagon: a new device 14.0 % -> 14.7 % but 77 % -> 80 % within
# +-30 % (Hexagon 25.3 % -> 19.5 %; QNN 11.9 % -> 16.0 %, 76 % -> 82 % within: the X Elite's QNN rows +55 % -> +6 %,
# the X2 Elite's and the IQ-9075's -4 % / -6 % -> about -20 %, a generation left with one device keeping its port near
# the prior's centre); a new source 15.1 % -> 13.7 %, 75 % -> 80 % within (QNN 17.4 % -> 14.0 %); a new engine 20.6 %
# -> 24.2 % (QNN left out: the one QNN-EP row sets the port). A sharper soft minimum ((bw^-2 + port^-2)^(-1/2)) gave
# 14.9 % on a new device.
PORT_ENGINES = {"decode": ("llamacpp-npu-hexagon", "qnn-npu"), "prefill": ()}
# Engines whose decode attention costs time of its own, at the memory's rate rather than the unit's compute: gamma x
# attention GFLOPs / bandwidth (GB/s) seconds a token (engine_gamma = log gamma), beside the unit's attention term.
# llama.cpp's OpenCL backend on Adreno: Qualcomm's rows lose 20-40 % of their decode rate from a 512- to a
# 4,096-token context (a 4B Q4_0 model on the Galaxy S26: 21.0 -> 12.5 tok/s, 32 ms a token more, of which the KV
# cache's bytes explain about 10), where attention at its FLOPs left the short rows 20-40 % too slow and the long ones
# too fast. Out of fold (2026-12-06): OpenCL on a new device 21.6 % -> 17.5 % (70 % -> 78 % within +-30 %), on a new
# source 21.3 % -> 17.4 % (Qualcomm's fold, the only long OpenCL contexts, 22.9 % -> 17.2 %). The same cost as a
# weight on the attention FLOPs at the GPU's compute (the CPU's beta, BETA_SCALE) did as well on a new device
# (17.7 %) but not on a new source (27.3 %; Qualcomm's fold 32.1 %): an Adreno's compute is imputed from its
# bandwidth by a factor fitted on every GPU, which moved with Qualcomm's rows left out; free (sd 3) that weight ran to
# x1,800 without them (53.7 %). Tried as a weight for llama.cpp's SYCL and Vulkan backends: moved nothing (23.5 %,
# 11.7 %); for the Hexagon backend and QNN: traded one for the other (Hexagon 19.5 % -> 18.2 %, QNN 17.0 % -> 17.3 %).
GAMMA_ENGINES = {"decode": ("llamacpp-gpu-opencl",), "prefill": ()}
# Its prior: log gamma ~ N(GAMMA_START, SIGMA_GAMMA), gamma = 1 a GFLOP per GB/s (the fit starts there). The Cauchy loss
# is flat in it: started at -1 under sd 3 it fitted 0.31, at 0 under sd 1 0.09, at 1 under sd 1 0.74.
GAMMA_START = 0.0
SIGMA_GAMMA = 1.0
F_SCALE = 0.25  # soft-L1 loss: residuals beyond ~25 % in log space count linearly (robust to odd rows)
# Offset groups whose prior is Gaussian. The robust loss applies to every residual scipy is given, the priors' too:
# a prior that cheap in its tails lets a few offsets grow large and holds the rest near 0, and with the device
# offsets beside them the generation effects stayed near 0 (the X Elite's slow NPU went to its device, not to v73,
# so a new v73 device learned nothing). Fitted Gaussian with a wider sd (0.5), the generations carry: decode on a
# new device 15.2 % -> 14.4 % (QNN 14.4 % -> 12.2 %; OpenCL 20.7 % -> 22.3 %, Hexagon 24.1 % -> 26.3 %), on a new
# source 15.8 % -> 15.1 % (2026-12-05). All priors Gaussian made decode worse (17.6 % on a new device), as did prefill's
# (24.2 % -> 26.4 %); the arch group alone at sd 0.3 gave 15.1 % and 15.3 % with OpenCL at 26.7 %.
# Its sd, 0.65 (2026-12-06): decode on a new device 14.4 % -> 14.0 % (OpenCL 22.3 % -> 21.3 %, Hexagon 26.3 % ->
# 25.3 %), 76 % -> 77 % within +-30 %; a new source 15.1 % either way, a new engine 19.0 % -> 20.6 %. 0.8 gave 14.4 %
# on a new device (SYCL 34.8 % -> 39.2 %) and 14.7 % on a new source.
# Also tried: the device or device-engine offsets Gaussian too (14.4 %, 14.8 %; SYCL 36.7 %).
GAUSS_PRIORS = {"decode": ("arch",), "prefill": ()}


class SpeedFit:
    """Estimator for one kind of speed ('decode' or 'prefill')."""

    def __init__(self, kind: str, sigma_engine: float | None = None, sigma_family: float | None = None):
        self.kind = kind
        self.sigma_engine = sigma_engine or SIGMA_ENGINE
        self.sigma_family = sigma_family or SIGMA_FAMILY

    def _target(self, r: SpeedRow) -> float | None:
        v = r.measured(self.kind)
        return math.log(v) if v else None

    def fit(self, rows: list[SpeedRow], engines: dict[str, Engine]) -> "SpeedFit":
        import numpy as np
        from scipy.optimize import least_squares

        use = [r for r in rows if self._target(r) is not None]
        if not use:
            raise ValueError(f"no {self.kind} rows to fit")
        eng_ids = sorted({r.x.engine for r in use})
        fams = sorted({fam_key(r.x.unit, r.x.family) for r in use})
        vends = sorted({vendor_key(r.x.engine, r.x.vendor) for r in use})
        names = ([f"engine:{e}" for e in eng_ids] + [f"unit_mean:{u}" for u in UNITS] + [f"family:{f}" for f in fams]
                 + [f"vendor:{v}" for v in vends])
        extra = (["log_kappa", "log_tau", "log_beta"] if self.kind == "decode"
                 else ["log_alpha", "log_alpha_phone", "log_t0", "log_moe", "log_pass", "log_matrix"]) + ["log_impute"]
        names += [f"{p}:{u}" for p in extra for u in (("all",) if p in SHARED else UNITS)]
        unit_of = {r.x.engine: r.x.unit for r in use}
        # decode: each GPU/NPU engine's per-layer cost varies around its unit's (llama.cpp's Hexagon ops that fall
        # back to the CPU cost far more per layer than a QNN context binary)
        tau_engines = [e for e in eng_ids if self.kind == "decode" and f"log_tau:{unit_of[e]}" not in FIXED]
        self.engines_ = engines
        owner = {e: port_owner(e, self._like(e), PORT_ENGINES[self.kind]) for e in eng_ids}
        row_port = [vendor_key(o, r.x.arch) if (o := owner[r.x.engine]) and r.x.arch else "" for r in use]
        port_keys = sorted(set(row_port) - {""})
        # keyed like the generation effects (only GPU and NPU rows name a generation, and they all have a tau)
        row_atau = [OFFSETS["arch"][1](r.x) if SIGMA_ARCH_TAU[self.kind] and r.x.engine not in ARCH_TAU_EXCLUDED
                    else "" for r in use]
        atau_keys = sorted(set(row_atau) - {""})
        names += [f"engine_tau:{e}" for e in tau_engines] + [f"engine_port:{e}" for e in port_keys] + ["zero"]
        names += [f"arch_tau:{k}" for k in atau_keys]
        gamma_engines = [e for e in eng_ids if e in GAMMA_ENGINES[self.kind]]
        names += [f"engine_gamma:{e}" for e in gamma_engines]
        sd_src, sd_srceng = SIGMA_SOURCE[self.kind], SIGMA_SOURCE_ENGINE[self.kind]
        srcs = sorted({r.source for r in use}) if sd_src else []
        srceng = sorted({(r.source, r.x.engine) for r in use}) if sd_srceng else []
        names += [f"source:{s}" for s in srcs] + [f"srceng:{s}|{e}" for s, e in srceng]
        row_level = {g: [key(r.x) for r in use] for g, (_, key) in OFFSETS.items()}
        levels = {g: sorted(set(row_level[g]) - {""}) if sd[self.kind] else [] for g, (sd, _) in OFFSETS.items()}
        names += [f"{g}:{v}" for g in OFFSETS for v in levels[g]]
        names = [n for n in names if n not in FIXED] + [n for n in names if n in FIXED]
        n_free = sum(1 for n in names if n not in FIXED)
        ix = {n: i for i, n in enumerate(names)}
        ix.update({f"{p}:{u}": ix[f"{p}:all"] for p in extra if p in SHARED for u in UNITS})
        ie = np.array([ix[f"engine:{r.x.engine}"] for r in use])
        ifam = np.array([ix[f"family:{fam_key(r.x.unit, r.x.family)}"] for r in use])
        iven = np.array([ix[f"vendor:{vendor_key(r.x.engine, r.x.vendor)}"] for r in use])
        i_ven = np.array([ix[f"vendor:{v}"] for v in vends])
        iu = {p: np.array([ix[f"{p}:{r.x.unit}"] for r in use]) for p in extra}
        itau = np.array([ix.get(f"engine_tau:{r.x.engine}", ix["zero"]) for r in use])
        i_tau_e = np.array([ix[f"engine_tau:{e}"] for e in tau_engines], dtype=int)
        iatau = np.array([ix[f"arch_tau:{k}"] if k else ix["zero"] for k in row_atau])
        i_atau_e = np.array([ix[f"arch_tau:{k}"] for k in atau_keys], dtype=int)
        igamma = np.array([ix.get(f"engine_gamma:{r.x.engine}", ix["zero"]) for r in use])
        i_gamma_e = np.array([ix[f"engine_gamma:{e}"] for e in gamma_engines], dtype=int)
        has_gamma = igamma != ix["zero"]
        iport = np.array([ix[f"engine_port:{k}"] if k else ix["zero"] for k in row_port])
        has_port = np.array([bool(k) for k in row_port])
        i_port_e = np.array([ix[f"engine_port:{e}"] for e in port_keys], dtype=int)
        y = np.array([self._target(r) for r in use])
        isrc = np.array([ix.get(f"source:{r.source}", ix["zero"]) for r in use])
        isrceng = np.array([ix.get(f"srceng:{r.source}|{r.x.engine}", ix["zero"]) for r in use])
        i_src = np.array([ix[f"source:{s}"] for s in srcs], dtype=int)
        i_srceng = np.array([ix[f"srceng:{s}|{e}"] for s, e in srceng], dtype=int)
        i_off = {g: np.array([ix.get(f"{g}:{v}", ix["zero"]) for v in row_level[g]]) for g in OFFSETS}
        i_off_prior = {g: np.array([ix[f"{g}:{v}"] for v in levels[g]], dtype=int) for g in OFFSETS}
        cells = Counter((r.source, r.device, r.x.engine) for r in use)
        w = np.array([cells[(r.source, r.device, r.x.engine)] ** -CELL_POWER for r in use])
        col = {k: np.array([getattr(r.x, k) for r in use], dtype=float) for k in
               ("decode_gb_per_token", "bandwidth_gbs", "active_params_b", "compute_tops", "layers",
                "attn_gflop_per_token", "attn_gflop_decode", "prompt_tokens", "attn_tops", "moe")}
        imputed = np.array([1.0 if r.x.compute_imputed else 0.0 for r in use])
        attn_cpu = np.array([r.x.attn_on_cpu for r in use], dtype=bool)
        phone = np.array([r.x.phone for r in use], dtype=float)
        matrix = np.array([r.x.matrix for r in use], dtype=float)
        iu_attn = {p: np.where(attn_cpu, ix[f"{p}:cpu"], iu[p]) for p in ("log_beta", "log_kappa") if p in iu}
        unit_of_engine = np.array([ix[f"unit_mean:{use[[r.x.engine for r in use].index(e)].x.unit}"] for e in eng_ids])
        i_eng = np.array([ix[f"engine:{e}"] for e in eng_ids])
        i_fam = np.array([ix[f"family:{f}"] for f in fams])
        i_unit = np.array([ix[f"unit_mean:{u}"] for u in UNITS])
        i_extra = np.array([ix[n] for n in names if n.split(":", 1)[0] in extra and n not in FIXED])
        fixed = np.array([FIXED[n] for n in names[n_free:]])

        def full(free):
            return np.concatenate([free, fixed])

        def predict(theta):
            log_eff = theta[ie] + theta[ifam] + theta[iven] + theta[i_off["arch"]]
            if self.kind == "prefill":
                log_eff = log_eff + matrix * theta[iu["log_matrix"]]
            tops = col["compute_tops"] * np.exp(imputed * theta[iu["log_impute"]])
            attn_tops = np.where((col["attn_tops"] > 0) & ((imputed == 0) | attn_cpu), col["attn_tops"], tops)
            if self.kind == "decode":
                bw = np.where(has_port, port_bandwidth(col["bandwidth_gbs"], theta[iport], exp=np.exp),
                              col["bandwidth_gbs"])
                t = decode_seconds(col["decode_gb_per_token"], bw, col["active_params_b"],
                                   col["attn_gflop_decode"], tops, col["layers"], log_eff, theta[iu["log_kappa"]],
                                   theta[iu["log_tau"]] + theta[itau] + theta[iatau], theta[iu_attn["log_beta"]],
                                   attn_tops, exp=np.exp, log_kappa_attn=theta[iu_attn["log_kappa"]],
                                   gamma=has_gamma * np.exp(theta[igamma]))
            else:
                t = prefill_seconds(col["active_params_b"], col["attn_gflop_per_token"], tops,
                                    col["prompt_tokens"], log_eff,
                                    theta[iu["log_alpha"]] + phone * theta[iu["log_alpha_phone"]], theta[iu["log_t0"]],
                                    exp=np.exp, log_moe=col["moe"] * theta[iu["log_moe"]],
                                    pass_gb=col["decode_gb_per_token"], bw=col["bandwidth_gbs"],
                                    log_pass=theta[iu["log_pass"]])
            return -np.log(t) + theta[i_off["device"]] + theta[i_off["device_engine"]]

        gauss = GAUSS_PRIORS[self.kind]

        def robust(r):
            """A residual whose square is the robust loss of `r` (scipy's own loss, used where every block is robust,
            cannot leave a prior block Gaussian)."""
            if not gauss:
                return r
            z = (r / F_SCALE) ** 2
            rho = np.log1p(z) if LOSS[self.kind] == "cauchy" else 2.0 * (np.sqrt(1.0 + z) - 1.0)
            return np.sign(r) * F_SCALE * np.sqrt(rho)

        prior_order = sorted(OFFSETS, key=lambda g: g in gauss)  # the Gaussian groups last, else as in OFFSETS
        n_gauss = sum(g in gauss for g in OFFSETS)

        def residuals(free):
            theta = full(free)
            blocks = [
                w * (y - predict(theta) - theta[isrc] - theta[isrceng]),  # source offsets: fit only
                (theta[i_eng] - theta[unit_of_engine]) / self.sigma_engine,
                theta[i_fam] / self.sigma_family,
                theta[i_ven] / SIGMA_VENDOR,
                theta[i_unit] / SIGMA_UNIT,
                theta[i_extra] / SIGMA_EXTRA,
                theta[i_tau_e] / self.sigma_engine,
                theta[i_port_e] / SIGMA_EXTRA,
                theta[i_atau_e] / (SIGMA_ARCH_TAU[self.kind] or 1.0),
                (theta[i_gamma_e] - GAMMA_START) / SIGMA_GAMMA,
                theta[i_src] / (sd_src or 1.0),
                theta[i_srceng] / (sd_srceng or 1.0),
                *(theta[i_off_prior[g]] / (OFFSETS[g][0][self.kind] or 1.0) for g in prior_order),
            ]
            cut = len(blocks) - n_gauss
            return np.concatenate([robust(b) for b in blocks[:cut]] + blocks[cut:])

        # Which parameters each residual depends on (a data row: its engine, family, vendor, unit and source
        # parameters; a prior row: its own), so the Jacobian's finite differences perturb many at once.
        dep = np.zeros((len(use), len(names)), dtype=bool)
        for idx in [ie, ifam, iven, itau, iatau, igamma, iport, isrc, isrceng, *i_off.values(), *iu.values(),
                    *iu_attn.values()]:
            dep[np.arange(len(use)), idx] = True
        for cols in ([i_eng, unit_of_engine], [i_fam], [i_ven], [i_unit], [i_extra], [i_tau_e], [i_port_e], [i_atau_e],
                     [i_gamma_e], [i_src], [i_srceng],
                     *([i_off_prior[g]] for g in prior_order)):
            block = np.zeros((len(cols[0]), len(names)), dtype=bool)
            for c in cols:
                block[np.arange(len(c)), c] = True
            dep = np.concatenate([dep, block])
        jac = grouped_jacobian(residuals, dep[:, :n_free])

        theta0 = np.zeros(n_free)
        start = -0.5 if self.kind == "decode" else -1.5
        theta0[i_eng] = start
        theta0[i_unit] = start
        theta0[i_gamma_e] = GAMMA_START
        sol = least_squares(residuals, theta0, loss="linear" if gauss else LOSS[self.kind], f_scale=F_SCALE,
                            method="trf", max_nfev=2000, jac=jac, x_scale=X_SCALE[self.kind])
        th = full(sol.x)
        p: dict = {"engine": {e: float(th[ix[f"engine:{e}"]]) for e in eng_ids},
                   "unit_mean": {u: float(th[ix[f"unit_mean:{u}"]]) for u in UNITS},
                   "family": {f: float(th[ix[f"family:{f}"]]) for f in fams},
                   "vendor": {v: float(th[ix[f"vendor:{v}"]]) for v in vends},
                   "rows": dict(sorted(Counter(r.x.engine for r in use).items())),
                   "coverage": {e: [len({r.source for r in use if r.x.engine == e}),
                                    len({r.group for r in use if r.x.engine == e})] for e in eng_ids}}
        for g in OFFSETS:
            if levels[g]:
                p[g] = {v: round(float(th[ix[f"{g}:{v}"]]), 4) for v in levels[g]}
        if port_keys:
            p["engine_port"] = {e: float(th[ix[f"engine_port:{e}"]]) for e in port_keys}
        if atau_keys:
            p["arch_tau"] = {k: float(th[ix[f"arch_tau:{k}"]]) for k in atau_keys}
        if gamma_engines:
            p["engine_gamma"] = {e: float(th[ix[f"engine_gamma:{e}"]]) for e in gamma_engines}
        if tau_engines:
            p["engine_tau"] = {e: float(th[ix[f"engine_tau:{e}"]]) for e in tau_engines}
        for name in extra:
            p[name] = {u: float(th[ix[f"{name}:{u}"]]) for u in UNITS}
        self.params_ = p
        return self

    def predict_log(self, rows: list[SpeedRow]) -> list[float]:
        """log tokens/s for each row (whatever its target)."""
        if not hasattr(self, "params_"):
            raise RuntimeError("SpeedFit is not fitted; call fit() first")
        p = {self.kind: self.params_}
        return [predict_log(p, self.kind, r.x, self._like(r.x.engine))[0] for r in rows]

    def _like(self, engine: str) -> list[str]:
        e = self.engines_.get(engine)
        return e.like if e else []

