"""Feedback bench: service-area classification with stratified 5-fold CV (seed 0).

Layout of ``--data`` (the Teddy Cup 2020 C messages): ``titles_all_9210.csv``
(留言主题, 一级标签), ``messages_with_detail_1842.csv`` (留言详情, 一级标签) and
``details_cleaned_extra.csv`` (留言详情_cleaned, 一级标签). ``--csv FILE`` runs the same
comparison on any labelled file.
"""

from __future__ import annotations

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
from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier


def _clean(s: pd.Series) -> pd.Series:
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
            pd.DataFrame({"text": _clean(a["留言详情"]), "label": a["一级标签"]}),
            pd.DataFrame({"text": _clean(b["留言详情_cleaned"]), "label": b["一级标签"]}),
        ],
        ignore_index=True,
    )
    bodies = bodies[bodies["text"].str.len() > 0]
    return {
        "titles": pd.DataFrame({"text": _clean(titles["留言主题"]), "label": titles["一级标签"]}),
        "bodies": bodies.reset_index(drop=True),
    }


def baseline_svm():
    """The published-style baseline: character n-gram TF-IDF + linear SVM."""
    return make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True), LinearSVC(C=0.5))


class _OurModel:
    """Adapter: our feedback classifier on (texts, labels)."""

    def __init__(self):
        self.model = TfidfFeedbackClassifier()

    def fit(self, texts, labels):
        self.model.fit(pd.DataFrame({"text": texts, "area": labels}))
        return self

    def predict(self, texts):
        return self.model.predict(list(texts))


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


MODELS = {
    "tfidf-char-svm (baseline)": baseline_svm,
    "govperf tfidf (ours)": _OurModel,
}
OURS = "govperf tfidf (ours)"


def run(data: Path | None, *, csv: Path | None = None, text_col="text", label_col="label", quick=False) -> BenchResult:
    if csv is not None:
        df = pd.read_csv(csv)
        for col in (text_col, label_col):
            if col not in df.columns:
                raise DataContractError(f"--csv {csv}: no column {col!r} (have {list(df.columns)})", field=col)
        tasks = {"csv": pd.DataFrame({"text": _clean(df[text_col]), "label": df[label_col].astype(str)})}
    else:
        tasks = load_teddy(data)
    if quick:
        tasks = {k: v.groupby("label", group_keys=False).apply(lambda g: g.head(60)) for k, v in tasks.items()}
    rows = []
    for task, df in tasks.items():
        for name, make in MODELS.items():
            r = cross_validate(make, df["text"], df["label"])
            rows.append({"task": task, "model": name, "n": len(df), **r})
    table = pd.DataFrame(rows)
    first = next(iter(tasks.values()))
    sp = speed(MODELS[OURS], first["text"], first["label"])
    speed_table = pd.DataFrame([{"model": OURS, **sp}])
    ours = table[table["model"] == OURS].set_index("task")
    if csv is not None:
        summary = {"macro_f1": round(ours.loc["csv", "macro_f1"], 4), "accuracy": round(ours.loc["csv", "accuracy"], 4)}
    else:
        summary = {
            "titles_macro_f1": round(ours.loc["titles", "macro_f1"], 4),
            "bodies_macro_f1": round(ours.loc["bodies", "macro_f1"], 4),
        }
    summary.update({"msgs_per_s": round(sp["msgs_per_s"], 1), "p95_ms": round(sp["p95_ms"], 2)})
    return BenchResult(
        tables=[("Service-area classification, stratified 5-fold CV (seed 0)", table),
                ("Speed on this machine (batch 64; single-message latency)", speed_table)],
        summary=summary,
    )
