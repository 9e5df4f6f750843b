"""Candidates of the service-dimension bench: ``fit_predict(train: Part, test: Part) -> P``.

``Part.w`` weighs the training rows (real labelled messages 1, our corpus ``CORPUS_WEIGHT``,
the rows :func:`corpus_only` keeps); the classifier chains take no weights.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import ClassifierChain

from govperf_ml.feedback.dimension_text import TextDimensionHeads
from govperf_ml.feedback.dimensions import DimensionTagger


def _norm(E):
    E = np.asarray(E, dtype=np.float64)
    return E / (np.linalg.norm(E, axis=1, keepdims=True) + 1e-12)


def _ovr(X, Y, w, Xt, C, solver="lbfgs"):
    """One class-balanced logistic regression per dimension (column of ``Y``)."""
    P = np.zeros((Xt.shape[0], Y.shape[1]))
    for j in range(Y.shape[1]):
        if 0 < Y[:, j].sum() < len(Y):
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, solver=solver)
            lr.fit(X, Y[:, j], sample_weight=w)
            P[:, j] = lr.predict_proba(Xt)[:, 1]
    return P


def _label_lists(Y, dims) -> list[list[str]]:
    """The rows of a label matrix as lists of dimension ids."""
    return [[d for d, y in zip(dims, row) if y] for row in Y]


def corpus_only(train):
    return train.take(np.flatnonzero(train.w < 1))


def tagger(embed, dims, *, corpus_only_=False, prior_only=False, weighted=True):
    """The served DimensionTagger (description prior + supervised heads) on the training rows:
    our corpus only (as served today), or real + corpus; ``prior_only``: no labels used."""
    def fit_predict(train, test):
        tr = corpus_only(train) if corpus_only_ else train
        Y = [[] for _ in tr.Y] if prior_only else _label_lists(tr.Y, dims)
        m = DimensionTagger(min_labels=10**9) if prior_only else DimensionTagger()
        m.fit(tr.E, Y, embed=embed, sample_weight=tr.w if weighted else None)
        return m.predict_proba(test.E)
    return fit_predict


def emb_lr(C=1.0):
    def fit_predict(train, test):
        return _ovr(_norm(train.E), train.Y, train.w, _norm(test.E), C)
    return fit_predict


def emb_chain(C=1.0, n_chains=5):
    """An ensemble of classifier chains (random orders) on the embeddings, averaged."""
    def fit_predict(train, test):
        X, Xt = _norm(train.E), _norm(test.E)
        P = np.zeros((len(Xt), train.Y.shape[1]))
        for k in range(n_chains):
            ch = ClassifierChain(LogisticRegression(C=C, class_weight="balanced", max_iter=3000),
                                 order="random", random_state=k, chain_method="predict_proba")
            P += ch.fit(X, train.Y.astype(int)).predict_proba(Xt)
        return P / n_chains
    return fit_predict


def text_heads(dims, *, use_cues=True, C=10.0):
    """TF-IDF char 1-3 (+ the taxonomy's cue counts) and one LR per dimension, on whole texts."""
    def fit_predict(train, test):
        m = TextDimensionHeads(use_cues=use_cues, C=C, min_labels=1)
        m.fit(train.texts, _label_lists(train.Y, dims), sample_weight=train.w)
        return m.predict_proba(test.texts)
    return fit_predict


def blend(members, weights=None):
    weights = weights or [1.0 / len(members)] * len(members)

    def fit_predict(train, test):
        return sum(w * m(train, test) for w, m in zip(weights, members))
    return fit_predict


def candidates(embed, dims) -> dict:
    """The bench's candidates by name (thresholds of each chosen by CV on the training part)."""
    return {
        "served tagger: prior + heads on our corpus only": tagger(embed, dims, corpus_only_=True),
        "description prior only (no labels)": tagger(embed, dims, corpus_only_=True, prior_only=True),
        "emb + one-vs-rest LR (real + corpus)": emb_lr(1.0),
        "tagger: prior + heads (real + corpus)": tagger(embed, dims),
        "emb + classifier chains x5 (real + corpus)": emb_chain(1.0),
        "tfidf char 1-3 + LR (real + corpus)": text_heads(dims, use_cues=False),
        "tfidf + guideline cue counts + LR (real + corpus)": text_heads(dims),
        "tagger (real + corpus) and tfidf + cues, mean": blend([tagger(embed, dims), text_heads(dims)]),
    }


def on_vectors(vectors: dict, C=1.0):
    """One-vs-rest LR on other vectors of the same texts (``vectors``: text -> vector)."""
    def fit_predict(train, test):
        X = _norm(np.vstack([vectors[t] for t in train.texts]))
        return _ovr(X, train.Y, train.w, _norm(np.vstack([vectors[t] for t in test.texts])), C)
    return fit_predict


def setfit_candidate(model_path, train, texts, *, n_pairs=2000, max_seq_length=128, workdir=None) -> dict:
    """SetFit-style: tune the encoder contrastively on ``train`` (once, on the whole training
    part: the thresholds' CV then reuses an encoder that saw its folds), LR head on its vectors."""
    import tempfile

    from govperf_ml.feedback.contrastive import contrastive_tune
    from govperf_ml.feedback.embedder import Embedder

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        out = contrastive_tune(model_path, train.texts, train.Y, f"{tmp}/tuned", n_pairs=n_pairs, max_seq_length=max_seq_length)
        V = Embedder(model=out, max_seq_length=max_seq_length, cache_dir=False).encode(texts)
    return {f"SetFit-style tuned encoder ({n_pairs} pairs, 1 epoch) + LR": on_vectors(dict(zip(texts, V)))}
