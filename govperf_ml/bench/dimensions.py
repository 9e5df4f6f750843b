"""Service-dimension bench: candidates trained on the labelled real messages, scored on a
fixed held-out part (:mod:`govperf_ml.feedback.dimension_split`, 30 % by a hash of the id).

Labels: ``message_id,dimensions`` (default the committed
``govperf_ml/data/feedback_dimension_labels.csv``; ``--dimension-labels PATH`` any other,
e.g. the adjudicated ~1,065). Texts are read at bench time: 附件4 ids from the Teddy Cup
folder (title + body), ``EVEN…`` ids from ``govperf_ml/data/feedback_eval_en.csv``.

Every candidate's per-dimension thresholds are chosen on out-of-fold probabilities of the
training part (5 folds; our corpus is in every fold's training data), never on the held-out part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from govperf_ml.bench import BenchResult
from govperf_ml.bench.feedback import clean_text
from govperf_ml.contracts import DIMENSIONS_COL, MESSAGE_ID, DataContractError, split_labels
from govperf_ml.feedback.dimension_split import read_dimension_labels, split_dimension_labels
from govperf_ml.feedback.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"
DIMENSION_LABELS = DATA / "feedback_dimension_labels.csv"
FEEDBACK_CORPUS = DATA / "feedback_corpus.csv"
ENGLISH_MESSAGES = DATA / "feedback_eval_en.csv"
ATTACHMENT4 = "附件4_messages_with_replies_2816.csv"
CORPUS_WEIGHT = 0.5  # weight of one of our corpus messages against one real labelled message
GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


@dataclass
class Part:
    """Messages with embeddings ``E``, label matrix ``Y`` (messages × dims) and weights ``w``."""

    texts: list
    E: np.ndarray
    Y: np.ndarray
    w: np.ndarray

    def take(self, idx) -> "Part":
        return Part([self.texts[i] for i in idx], self.E[idx], self.Y[idx], self.w[idx])

    def __add__(self, other: "Part") -> "Part":
        return Part(self.texts + other.texts, np.vstack([self.E, other.E]), np.vstack([self.Y, other.Y]),
                    np.concatenate([self.w, other.w]))

    def __len__(self):
        return len(self.texts)


def message_texts(folder: Path, ids) -> list[str]:
    """The text of each id: 附件4 title + body, or an English message of our eval file."""
    a4 = pd.read_csv(Path(folder) / ATTACHMENT4)
    text = dict(zip(a4["留言编号"].astype(str), clean_text(a4["留言主题"]) + "。" + clean_text(a4["留言详情"])))
    en = pd.read_csv(ENGLISH_MESSAGES, dtype=str)
    text.update(zip(en[MESSAGE_ID].str.strip(), clean_text(en["text"])))
    missing = [i for i in ids if str(i) not in text]
    if missing:
        raise DataContractError(f"dimension labels: message ids neither in {ATTACHMENT4} nor in {ENGLISH_MESSAGES.name}: "
                                f"{missing[:5]}", field=MESSAGE_ID, ids=missing)
    return [text[str(i)] for i in ids]


def label_matrix(label_lists, dims) -> np.ndarray:
    return np.array([[d in set(ls) for d in dims] for ls in label_lists], dtype=bool).reshape(len(label_lists), len(dims))


def load_parts(folder: Path, labels: Path, embed, dims) -> tuple[Part, Part, Part]:
    """(real training part, real held-out part, our corpus) with embeddings."""
    lab = read_dimension_labels(labels, dimensions=dims)
    train, test = split_dimension_labels(lab)
    corpus = pd.read_csv(FEEDBACK_CORPUS)
    corpus[DIMENSIONS_COL] = corpus[DIMENSIONS_COL].map(split_labels)

    def part(texts, label_lists, weight):
        return Part(list(texts), embed(list(texts)), label_matrix(label_lists, dims), np.full(len(texts), weight))

    return (part(message_texts(folder, train[MESSAGE_ID]), train[DIMENSIONS_COL], 1.0),
            part(message_texts(folder, test[MESSAGE_ID]), test[DIMENSIONS_COL], 1.0),
            part(corpus["text"], corpus[DIMENSIONS_COL], CORPUS_WEIGHT))


def best_thresholds(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per dimension, the grid threshold with the best F1 on (Y, P); ties: the middle one."""
    out = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        f = np.array([f1_score(Y[:, j], P[:, j] >= t, zero_division=0) for t in GRID])
        best = np.flatnonzero(f >= f.max() - 1e-9)
        out[j] = GRID[best[len(best) // 2]]
    return out


def oof_proba(fit_predict, real: Part, corpus: Part, *, folds=5, seed=0) -> np.ndarray:
    """Out-of-fold probabilities on ``real``; each fold trains on the rest of ``real`` + ``corpus``."""
    P = np.zeros(real.Y.shape)
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(real.texts):
        P[te] = fit_predict(real.take(tr) + corpus, real.take(te))
    return P


def scores(Y: np.ndarray, Q: np.ndarray, dims) -> dict:
    row = {"micro_f1": f1_score(Y, Q, average="micro", zero_division=0),
           "macro_f1": f1_score(Y, Q, average="macro", zero_division=0),
           "tagged_per_msg": float(Q.sum(1).mean())}
    row.update({f"f1_{d}": f1_score(Y[:, j], Q[:, j], zero_division=0) for j, d in enumerate(dims)})
    return row


@dataclass
class Scored:
    """A candidate's out-of-fold probabilities on the training part, held-out ones, thresholds."""

    name: str
    oof: np.ndarray
    P: np.ndarray
    thr: np.ndarray


def evaluate(name: str, fit_predict, real: Part, test: Part, corpus: Part) -> Scored:
    """Thresholds by CV on ``real``, then one fit on ``real`` + ``corpus`` to predict ``test``."""
    oof = oof_proba(fit_predict, real, corpus)
    return Scored(name, oof, fit_predict(real + corpus, test), best_thresholds(real.Y, oof))


def blend_of_best(scored: list[Scored], real: Part, k: int = 2) -> Scored:
    """The mean of the ``k`` candidates with the best out-of-fold micro-F1 on the training part."""
    cv = [f1_score(real.Y, s.oof >= s.thr, average="micro", zero_division=0) for s in scored]
    top = [scored[i] for i in np.argsort(cv)[::-1][:k]]
    oof = np.mean([s.oof for s in top], axis=0)
    return Scored(f"mean of the {k} best by training-part CV: " + " | ".join(s.name for s in top), oof,
                  np.mean([s.P for s in top], axis=0), best_thresholds(real.Y, oof))


def row(s: Scored, real: Part, test: Part, dims) -> dict:
    cv = f1_score(real.Y, s.oof >= s.thr, average="micro", zero_division=0)
    return {"model": s.name, "n_train": len(real), "n_heldout": len(test), "cv_micro_f1": cv,
            **scores(test.Y, s.P >= s.thr, dims)}


def agreement(path, dims) -> pd.DataFrame | None:
    """Per dimension, Cohen's kappa of two labelling passes (columns ``pass_a``, ``pass_b``),
    their F1 against each other and the kappa-implied F1 ceiling ``1 - (1 - kappa)(1 - p)``
    (two annotators of that kappa with the same prevalence ``p``); None without the passes."""
    from sklearn.metrics import cohen_kappa_score

    df = pd.read_csv(path, dtype=str).fillna("")
    if not {"pass_a", "pass_b"} <= set(df.columns):
        return None
    A, B = (label_matrix(df[c].map(split_labels), dims) for c in ("pass_a", "pass_b"))
    T = label_matrix(df[DIMENSIONS_COL].map(split_labels), dims)
    rows = []
    for j, d in enumerate(dims):
        k = cohen_kappa_score(A[:, j], B[:, j])
        p = T[:, j].mean()
        rows.append({"dimension": d, "prevalence": p, "kappa": k, "f1_a_vs_b": f1_score(A[:, j], B[:, j], zero_division=0),
                     "ceiling_f1": 1 - (1 - k) * (1 - p)})
    return pd.DataFrame(rows)


def dimension_ids() -> list[str]:
    return list(load_taxonomy().dimensions)


def as_served(test: Part, dims) -> dict:
    """The served default as ``bash scripts/up.sh`` trains it: the shipped text only (no real
    labels), its own encoder, tagger and text heads, its own dimension threshold."""
    from govperf_ml.feedback.classifiers import served_default_classifier
    from govperf_ml.sample_city import load_training_corpus

    est = served_default_classifier().fit(load_training_corpus())
    P = est.predict_dimensions_proba(test.texts)
    P = P[:, [list(est.dimension_classes_).index(d) for d in dims]]
    return {"model": "served default (shipped text only, as scripts/up.sh trains it)", "n_train": 0,
            "n_heldout": len(test), "cv_micro_f1": np.nan, **scores(test.Y, P >= est.dimension_threshold, dims)}


def bootstrap_micro_f1(Y: np.ndarray, Q: np.ndarray, *, n=1000, seed=0) -> tuple[float, float]:
    """5th and 95th percentiles of micro-F1 over messages resampled with replacement."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(Y), size=(n, len(Y)))
    f = [f1_score(Y[i], Q[i], average="micro", zero_division=0) for i in idx]
    return float(np.percentile(f, 5)), float(np.percentile(f, 95))


def dimension_eval(folder: Path, *, labels: Path | None = None, embedder=None,
                   extra: dict | None = None, setfit_pairs: int = 0) -> tuple[pd.DataFrame, list[Scored], Part]:
    """One row per candidate: micro/macro/per-dimension F1 on the held-out part of ``labels``
    (and the candidates' probabilities, and the held-out part).

    ``extra``: more candidates (name -> fit_predict); ``setfit_pairs`` > 0 adds the
    SetFit-style candidate (the encoder tuned on that many pairs; slow on CPU).
    """
    from govperf_ml.bench import dimension_models as M

    dims = dimension_ids()
    real, test, corpus = load_parts(folder, labels or DIMENSION_LABELS, embedder.encode, dims)
    extra = dict(extra or {})
    if setfit_pairs:
        from govperf_ml.feedback.embedder import resolve_model

        extra.update(M.setfit_candidate(resolve_model(embedder.model)[2], real + corpus,
                                        real.texts + test.texts + corpus.texts, n_pairs=setfit_pairs))
    scored = [evaluate(n, f, real, test, corpus) for n, f in {**M.candidates(embedder.encode, dims), **extra}.items()]
    scored.append(blend_of_best(scored, real))
    rows = [as_served(test, dims)] + [row(s, real, test, dims) for s in scored]
    return pd.DataFrame(rows), scored, test


def goal_check(best: pd.Series, agree: pd.DataFrame | None) -> pd.DataFrame:
    """Issue 13's goals for one model: micro >= 0.65, macro >= 0.55, each F1 >= ceiling - 0.15."""
    rows = [{"goal": "micro-F1 >= 0.65", "value": best["micro_f1"], "met": best["micro_f1"] >= 0.65},
            {"goal": "macro-F1 >= 0.55", "value": best["macro_f1"], "met": best["macro_f1"] >= 0.55}]
    for _, a in (agree.iterrows() if agree is not None else []):
        need = a["ceiling_f1"] - 0.15
        f = best[f"f1_{a['dimension']}"]
        rows.append({"goal": f"{a['dimension']} F1 >= {need:.3f} (kappa ceiling - 0.15)", "value": f, "met": f >= need})
    return pd.DataFrame(rows)


def run(folder: Path, *, labels: Path | None = None, embedder=None, setfit_pairs: int = 0) -> BenchResult:
    """The dimension comparison as a bench result; the model reported in ``RESULT`` is the
    trained candidate with the best cross-validated micro-F1 on the training part."""
    labels = Path(labels or DIMENSION_LABELS)
    table, scored, test = dimension_eval(folder, labels=labels, embedder=embedder, setfit_pairs=setfit_pairs)
    agree = agreement(labels, dimension_ids())
    trained = table.iloc[1:].dropna(subset=["cv_micro_f1"])
    best = trained.loc[trained["cv_micro_f1"].idxmax()]
    pick = next(s for s in scored if s.name == best["model"])
    lo, hi = bootstrap_micro_f1(test.Y, pick.P >= pick.thr)
    served = table.iloc[0]
    tables = [(f"Service dimensions, held-out 30 % of {labels.name} by id hash (thresholds by 5-fold CV on the "
               f"training part)", table),
              (f"Goals for the model picked by training-part CV: {best['model']}", goal_check(best, agree))]
    if agree is not None:
        tables.insert(1, ("Two labelling passes: Cohen's kappa per dimension and the F1 ceiling it implies", agree))
    summary = {"dim_served_micro_f1": round(served["micro_f1"], 4), "dim_served_macro_f1": round(served["macro_f1"], 4),
               "dim_micro_f1": round(best["micro_f1"], 4), "dim_macro_f1": round(best["macro_f1"], 4),
               "dim_n_heldout": int(best["n_heldout"])}
    notes = [f"dimensions: picked {best['model']!r}; held-out micro-F1 90 % bootstrap interval {lo:.3f}-{hi:.3f}"]
    return BenchResult(tables=tables, summary=summary, notes=notes)
