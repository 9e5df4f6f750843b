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
from govperf_ml.feedback.dimensions import DimensionTagger
from govperf_ml.feedback.embedder import DEFAULT_MODEL, ENV_CACHE, KNOWN_MODELS, Embedder, model_licence
from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier

N_THREADS = 2
MAX_SEQ_LENGTH = 128
#: embedding models compared (each with a logistic-regression head)
CANDIDATES = ["m3e-small", "use-multilingual", "all-minilm-l6-v2"]
DEFAULT_CACHE = "/tmp/govperf_cache/emb"
DIMENSION_LABELS = Path(__file__).resolve().parents[1] / "data" / "feedback_dimension_labels.csv"
FEEDBACK_CORPUS = Path(__file__).resolve().parents[1] / "data" / "feedback_corpus.csv"


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


def _dimension_texts(folder: Path, ids: pd.Series) -> pd.DataFrame:
    a4 = pd.read_csv(Path(folder) / "附件4_messages_with_replies_2816.csv")
    a4["message_id"] = a4["留言编号"].astype(str)
    a4 = a4.set_index("message_id")
    missing = sorted(set(ids) - set(a4.index))
    if missing:
        raise DataContractError(f"dimension labels: message ids not in 附件4: {missing[:5]}", field="message_id")
    sub = a4.loc[list(ids)]
    text = _clean(sub["留言主题"]) + "。" + _clean(sub["留言详情"])
    return pd.DataFrame({"message_id": list(ids), "text": text.to_numpy()})


def dimension_eval(folder: Path, *, model: str = DEFAULT_MODEL) -> pd.DataFrame:
    """Dimension micro/macro-F1 on our labelled real messages, trained on our own corpus."""
    from govperf_ml.contracts import split_labels
    from sklearn.metrics import f1_score

    labels = pd.read_csv(DIMENSION_LABELS, dtype=str).fillna("")
    evalset = _dimension_texts(folder, labels["message_id"])
    corpus = pd.read_csv(FEEDBACK_CORPUS)
    corpus["dimensions"] = corpus["dimensions"].map(split_labels)
    truth = labels["dimensions"].map(split_labels).tolist()
    emb = _embedder(model)
    Etr, Ete = emb.encode(corpus["text"].tolist()), emb.encode(evalset["text"].tolist())
    rows = []

    def score(name, dims, P, thr):
        T = np.array([[d in set(t) for d in dims] for t in truth])
        Q = P >= thr
        rows.append({"model": name, "n": len(T), "micro_f1": f1_score(T, Q, average="micro", zero_division=0),
                     "macro_f1": f1_score(T, Q, average="macro", zero_division=0),
                     "tagged_per_msg": float(Q.sum(1).mean()), "true_per_msg": float(T.sum(1).mean())})

    tf = TfidfFeedbackClassifier().fit(corpus)
    score("tfidf logreg (v1), trained on corpus", list(tf.dimension_classes_), tf.predict_dimensions_proba(evalset["text"].tolist()),
          tf.dimension_threshold)
    prior = DimensionTagger(min_labels=10**9).fit(Etr, [[] for _ in range(len(Etr))], embed=emb.encode)
    score(f"{model} description prior only (no labels)", list(prior.dimension_classes_), prior.predict_proba(Ete), 0.5)
    tag = DimensionTagger().fit(Etr, corpus["dimensions"].tolist(), embed=emb.encode)
    score(f"{model} prior + supervised (ours)", list(tag.dimension_classes_), tag.predict_proba(Ete), 0.5)
    # a dimension met for the first time: hide each dimension's labels in turn
    P = np.zeros((len(Ete), len(tag.dimension_classes_)))
    for j, d in enumerate(tag.dimension_classes_):
        hidden = [[x for x in t if x != d] for t in corpus["dimensions"]]
        P[:, j] = DimensionTagger().fit(Etr, hidden, embed=emb.encode).predict_proba(Ete)[:, j]
    score(f"{model} each dimension new (its labels hidden)", list(tag.dimension_classes_), P, 0.5)
    return pd.DataFrame(rows)


def run(data: Path | None, *, csv: Path | None = None, text_col="text", label_col="label", quick=False) -> BenchResult:
    import torch

    torch.set_num_threads(N_THREADS)
    os.environ.setdefault(ENV_CACHE, DEFAULT_CACHE)  # vectors only, keyed by model + text hash
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
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
    if csv is None and DIMENSION_LABELS.exists():
        dims = dimension_eval(data)
        tables.append(("Service dimensions on our labelled real messages (附件4, govperf_ml/data/feedback_dimension_labels.csv)", dims))
        best = dims[dims["model"].str.endswith("(ours)")].iloc[0]
        summary.update({"dim_micro_f1": round(best["micro_f1"], 4), "dim_macro_f1": round(best["macro_f1"], 4)})
    return BenchResult(tables=tables, summary=summary, notes=notes)
