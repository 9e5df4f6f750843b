"""``govperf bench pii``: how much planted personal data each masker catches, and at what cost.

Messages with personal data planted by ``pii_corpus`` (kind and offsets known) go through the
previous regex-only masker (``baseline_mask_pii``) and the current one (``mask_pii``).

- **recall per kind**: a planted span counts as caught when at least 90 % of its characters
  are masked (by any placeholder: a landline masked as ``[PHONE]`` is caught).
- **over-masking**: on base texts without planted data, the share of characters masked.
  Base texts that the old masker already changes carry real personal data of their own
  (the sample city has a few on purpose) and are left out of this set.
- **msgs/s**: planted messages masked per second, one process, after loading.

Both maskers are judged by their output text only: each placeholder is swapped for one
private-use character and the result aligned with the original (difflib), so a masker
needs no span API to be measured. Splits: ``in_corpus`` are the texts the rules were tuned
on (sample city + one Teddy Cup file + Faker data), ``held_out`` are Teddy Cup messages
that were not read while writing the rules (``pii_corpus.TEDDY_HELD_OUT``).
"""

from __future__ import annotations

import difflib
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.bench.pii_corpus import KINDS, Sample, base_texts, plant
from govperf_ml.contracts import DataContractError
from govperf_ml.feedback import pii_zh
from govperf_ml.feedback.pii import baseline_mask_pii, mask_pii

CAUGHT = 0.9  # share of a planted span's characters that must be masked
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
_MARK = "\ue000"


def masked_chars(original: str, masked: str) -> np.ndarray:
    """Boolean mask over ``original``: which characters did the masker replace?"""
    flat = _PLACEHOLDER.sub(_MARK, masked)
    keep = np.zeros(len(original), dtype=bool)
    matcher = difflib.SequenceMatcher(None, original, flat, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            keep[i1:i2] = True
    return ~keep


def score(masker: Callable[[str], str], samples: list[Sample], clean: list[str]) -> dict:
    """Recall per kind, over-masking rate and speed of one masker."""
    t0 = time.perf_counter()
    outputs = [masker(s.text) for s in samples]
    seconds = time.perf_counter() - t0
    caught: dict[str, list[bool]] = {k: [] for k in KINDS}
    for sample, out in zip(samples, outputs):
        hit = masked_chars(sample.text, out)
        for span in sample.spans:
            caught[span.kind].append(hit[span.start:span.end].mean() >= CAUGHT)
    over = [masked_chars(t, masker(t)) for t in clean]
    n_chars = sum(len(m) for m in over)
    return {
        "recall": {k: float(np.mean(v)) if v else float("nan") for k, v in caught.items()},
        "counts": {k: len(v) for k, v in caught.items()},
        "overmask_rate": float(sum(m.sum() for m in over) / n_chars) if n_chars else float("nan"),
        "msgs_per_s": len(samples) / seconds if seconds > 0 else float("inf"),
        "seconds": seconds,
        "n": len(samples),
        "n_clean": len(clean),
    }


def run(data: Path | None = None, *, n: int = 1000, seed: int = 0) -> BenchResult:
    """Old vs new masker on the in-corpus and (with ``data``) held-out splits."""
    if data is not None and not Path(data).exists():
        raise DataContractError(f"--data {data} does not exist", field="data")
    pii_zh.tagger()  # load jieba's dictionary outside the timing
    results: dict[tuple[str, str], dict] = {}
    for split in ("in_corpus", "held_out"):
        texts = base_texts(data, split=split)
        if not texts:
            continue
        samples = plant(texts, n=n, seed=seed)
        rng = np.random.default_rng(seed)
        pool = [texts[i][0] for i in rng.permutation(len(texts))[: max(n, 1)]]
        clean = [t for t in pool if baseline_mask_pii(t) == t]
        for name, masker in (("old", baseline_mask_pii), ("new", mask_pii)):
            results[(split, name)] = score(masker, samples, clean)
    return BenchResult(tables=[("personal data caught (recall per kind, >= 90 % of a span masked)",
                                _table(results))],
                       summary=_summary(results), notes=_notes(results, data))


def _table(results: dict) -> pd.DataFrame:
    rows = []
    for kind in KINDS:
        row = {"metric": f"recall {kind}"}
        for (split, name), r in results.items():
            row[f"{split} {name}"] = r["recall"][kind]
        row["planted (per split)"] = "/".join(str(r["counts"][kind]) for (_, nm), r in results.items() if nm == "new")
        rows.append(row)
    for metric in ("overmask_rate", "msgs_per_s"):
        rows.append({"metric": metric, **{f"{s} {n}": r[metric] for (s, n), r in results.items()}})
    rows.append({"metric": "messages (planted / clean)",
                 **{f"{s} {n}": f"{r['n']}/{r['n_clean']}" for (s, n), r in results.items()}})
    return pd.DataFrame(rows).fillna("")


def _pooled(results: dict, name: str) -> dict:
    parts = [r for (_, nm), r in results.items() if nm == name]
    recall = {}
    for kind in KINDS:
        total = sum(r["counts"][kind] for r in parts)
        recall[kind] = sum(r["recall"][kind] * r["counts"][kind] for r in parts if r["counts"][kind]) / total
    clean = sum(r["n_clean"] for r in parts)
    over = sum(r["overmask_rate"] * r["n_clean"] for r in parts if r["n_clean"]) / clean if clean else float("nan")
    speed = sum(r["n"] for r in parts) / sum(r["seconds"] for r in parts)
    return {"recall": recall, "overmask_rate": over, "msgs_per_s": speed}


def _summary(results: dict) -> dict:
    new, old = _pooled(results, "new"), _pooled(results, "old")
    summary = {
        "pii_recall_min": round(min(new["recall"].values()), 4),
        "pii_recall_names": round(new["recall"]["name"], 4),
        "pii_recall_addresses": round(new["recall"]["address"], 4),
        "overmask_rate": round(new["overmask_rate"], 5),
        "msgs_per_s": round(new["msgs_per_s"], 1),
        "baseline_recall_min": round(min(old["recall"].values()), 4),
        "baseline_overmask_rate": round(old["overmask_rate"], 5),
    }
    if ("held_out", "new") in results:
        held = results[("held_out", "new")]
        summary["held_out_recall_min"] = round(min(held["recall"].values()), 4)
        summary["held_out_overmask_rate"] = round(held["overmask_rate"], 5)
    summary["splits"] = sorted({s for s, _ in results})
    return summary


def _notes(results: dict, data) -> list[str]:
    notes = ["RESULT figures are for the new masker, pooled over the splits; held_out_* for the held-out split."]
    if ("held_out", "new") not in results:
        notes.append(f"no held-out split: --data {data} holds none of the Teddy Cup files named in pii_corpus.")
    return notes
