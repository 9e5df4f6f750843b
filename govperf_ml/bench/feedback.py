"""Feedback bench: service-area classification with stratified 5-fold CV (seed 0).

Layout of ``--data`` (the Teddy Cup 2020 C messages): ``titles_all_9210.csv``
(留言主题, 一级标签), ``messages_with_detail_1842.csv`` (留言详情, 一级标签) and
``details_cleaned_extra.csv`` (留言详情_cleaned, 一级标签). ``--csv FILE`` runs the same
comparison on any labelled file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from govperf_ml.bench import BenchResult
from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.classifiers import EmbeddingLogReg, EnsembleFeedbackClassifier
from govperf_ml.feedback.embedder import DEFAULT_MODEL, ENV_CACHE, KNOWN_MODELS, Embedder, model_licence

N_THREADS = 2
MAX_SEQ_LENGTH = 128
#: embedding models compared (each with a logistic-regression head)
CANDIDATES = ["m3e-small", "use-multilingual", "all-minilm-l6-v2"]
DEFAULT_CACHE = "/tmp/govperf_cache/emb"


def clean_text(s: pd.Series) -> pd.Series:
    """Texts with runs of white space (the files' tabs and newlines) made one space."""
    return s.astype(str).str.replace(r"\s+", " ", regex=True).str.strip()


def load_teddy(folder: Path) -> dict[str, pd.DataFrame]:
    """Two tasks from the Teddy Cup folder: titles and message bodies (text, label)."""
    folder = Path(folder)
    need = ["titles_all_9210.csv", "messages_with_detail_1842.csv", "details_cleaned_extra.csv"]
    missing = [n for n in need if not (folder / n).exists()]
    if missing:
        raise DataContractError(f"--data {folder}: missing {missing}", field="data")
    titles = pd.read_csv(folder / need[0])
    a = pd.read_csv(folder / need[1])
    b = pd.read_csv(folder / need[2])
    bodies = pd.concat(
        [
            pd.DataFrame({"text": clean_text(a["留言详情"]), "label": a["一级标签"]}),
            pd.DataFrame({"text": clean_text(b["留言详情_cleaned"]), "label": b["一级标签"]}),
        ],
        ignore_index=True,
    )
    bodies = bodies[bodies["text"].str.len() > 0]
    return {
        "titles": pd.DataFrame({"text": clean_text(titles["留言主题"]), "label": titles["一级标签"]}),
        "bodies": bodies.reset_index(drop=True),
    }


def baseline_svm():
    """The published-style baseline: character n-gram TF-IDF + linear SVM."""
    return make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True), LinearSVC(C=0.5))


class _OurModel:
    """Adapter: a feedback classifier (DataFrame contract) on (texts, labels)."""

    def __init__(self, make):
        self.model = make()

    def fit(self, texts, labels):
        self.model.fit(pd.DataFrame({"text": texts, "area": labels}))
        return self

    def predict(self, texts):
        return self.model.predict(list(texts))


def _embedder(model: str, **kw) -> Embedder:
    return Embedder(model=model, num_threads=N_THREADS, max_seq_length=MAX_SEQ_LENGTH, **kw)


def _emb_lr(model: str):
    return lambda: EmbeddingLogReg(embedder=_embedder(model))


def _ours(model: str = DEFAULT_MODEL, **kw):
    return lambda: _OurModel(lambda: EnsembleFeedbackClassifier(embedder=_embedder(model, **kw)))


def cross_validate(make, texts: pd.Series, labels: pd.Series, *, n_splits=5, seed=0) -> dict:
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    pred = np.empty(len(texts), dtype=object)
    t0 = time.perf_counter()
    for tr, te in skf.split(texts, labels):
        model = make().fit(texts.iloc[tr].tolist(), labels.iloc[tr].to_numpy())
        pred[te] = model.predict(texts.iloc[te].tolist())
    return {
        "macro_f1": float(f1_score(labels, pred, average="macro")),
        "accuracy": float(accuracy_score(labels, pred)),
        "cv_seconds": time.perf_counter() - t0,
    }


def speed(make, texts: pd.Series, labels: pd.Series, *, n_single=200) -> dict:
    """Throughput at batch 64 and single-message latency of a model fitted on everything."""
    model = make().fit(texts.tolist(), labels.to_numpy())
    emb = getattr(getattr(model, "model", None), "embedder_", None)
    if emb is not None:  # time real encoding, not cache look-ups
        emb.cache_dir = False
    sample = texts.sample(min(len(texts), 2048), random_state=0).tolist()
    t0 = time.perf_counter()
    for i in range(0, len(sample), 64):
        model.predict(sample[i : i + 64])
    tput = len(sample) / (time.perf_counter() - t0)
    lat = []
    for t in sample[:n_single]:
        s = time.perf_counter()
        model.predict([t])
        lat.append((time.perf_counter() - s) * 1000)
    return {"msgs_per_s": tput, "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95))}


def model_set() -> dict:
    models = {
        "tfidf-char-svm (baseline)": baseline_svm,
    }
    for m in CANDIDATES:
        models[f"emb {m} + logreg"] = _emb_lr(m)
    models[OURS] = _ours()
    return models


OURS = f"govperf ensemble: tfidf-svm + {DEFAULT_MODEL} (ours)"


def run(data: Path | None, *, csv: Path | None = None, text_col="text", label_col="label", quick=False,
        dimension_labels: Path | None = None, dimensions_only=False, setfit_pairs=0) -> BenchResult:
    """Service areas (Teddy Cup or ``csv``), the served default, and service dimensions
    (:mod:`govperf_ml.bench.dimensions` on ``dimension_labels``; alone with ``dimensions_only``)."""
    import torch

    from govperf_ml.bench import dimensions

    torch.set_num_threads(N_THREADS)
    os.environ.setdefault(ENV_CACHE, DEFAULT_CACHE)  # vectors only, keyed by model + text hash
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if dimensions_only:
        if data is None:
            raise DataContractError("--dimensions-only needs --data: the Teddy Cup folder holds the texts", field="data")
        return dimensions.run(data, labels=dimension_labels, embedder=_embedder(DEFAULT_MODEL), setfit_pairs=setfit_pairs)
    if csv is not None:
        df = pd.read_csv(csv)
        for col in (text_col, label_col):
            if col not in df.columns:
                raise DataContractError(f"--csv {csv}: no column {col!r} (have {list(df.columns)})", field=col)
        tasks = {"csv": pd.DataFrame({"text": clean_text(df[text_col]), "label": df[label_col].astype(str)})}
    else:
        tasks = load_teddy(data)
    if quick:
        tasks = {k: v.groupby("label", group_keys=False).apply(lambda g: g.head(60)) for k, v in tasks.items()}
    models = model_set()
    rows = []
    for task, df in tasks.items():
        for name, make in models.items():
            r = cross_validate(make, df["text"], df["label"])
            rows.append({"task": task, "model": name, "n": len(df), **r})
    table = pd.DataFrame(rows)
    first = next(iter(tasks.values()))
    speed_rows = [{"model": OURS, **speed(models[OURS], first["text"], first["label"])},
                  {"model": "tfidf-char-svm (baseline)", **speed(models["tfidf-char-svm (baseline)"], first["text"], first["label"])}]
    speed_table = pd.DataFrame(speed_rows)
    sp = speed_rows[0]
    ours = table[table["model"] == OURS].set_index("task")
    if csv is not None:
        summary = {"macro_f1": round(ours.loc["csv", "macro_f1"], 4), "accuracy": round(ours.loc["csv", "accuracy"], 4)}
    else:
        summary = {
            "titles_macro_f1": round(ours.loc["titles", "macro_f1"], 4),
            "bodies_macro_f1": round(ours.loc["bodies", "macro_f1"], 4),
        }
    summary.update({"msgs_per_s": round(sp["msgs_per_s"], 1), "p95_ms": round(sp["p95_ms"], 2)})
    tables = [("Service-area classification, stratified 5-fold CV (seed 0)", table),
              (f"Speed on this machine ({N_THREADS} torch threads; batch 64; single-message latency)", speed_table)]
    notes = ["embedding licences: " + "; ".join(f"{m}: {model_licence(m)}" for m in KNOWN_MODELS)]
    if csv is None:  # the served default on the titles without training on them; active-learning curve
        from govperf_ml.bench import feedback_default

        more, figures = feedback_default.run(tasks["titles"], quick=quick)
        tables += more
        summary.update(figures)
    if csv is None:
        dims = dimensions.run(data, labels=dimension_labels, embedder=_embedder(DEFAULT_MODEL), setfit_pairs=setfit_pairs)
        tables += dims.tables
        summary.update(dims.summary)
        notes += dims.notes
    return BenchResult(tables=tables, summary=summary, notes=notes)
