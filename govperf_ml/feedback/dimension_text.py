"""Service-dimension heads on the words of a message: character n-gram TF-IDF plus the
taxonomy's cue words (``cues`` of each dimension in ``taxonomy.yaml``, counted per message),
one class-balanced logistic regression per dimension.

Unlike :class:`~govperf_ml.feedback.dimensions.DimensionTagger` (embeddings truncated to
the encoder's window), these read the whole message, so a cue late in a long letter
("多次反映无果") still counts. A dimension gets a head once it has ``min_labels`` positive
and negative messages; others get probability 0 and ``has_head_`` False.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.taxonomy import Taxonomy, load_taxonomy
from govperf_ml.feedback.tfidf import checked_weights, prepare_text


def cue_pattern(cues) -> re.Pattern | None:
    """One regex for a dimension's cues: Chinese cues as substrings, Latin ones as whole words."""
    parts = [rf"\b{re.escape(c)}\b" if c.isascii() else re.escape(c) for c in (str(c).lower() for c in cues) if c]
    return re.compile("|".join(parts)) if parts else None


def cue_counts(texts, patterns: list) -> np.ndarray:
    """log(1 + cue matches) per message (rows) and dimension (columns)."""
    low = [str(t).lower() for t in texts]
    return np.log1p(np.array([[len(p.findall(t)) if p is not None else 0 for p in patterns] for t in low],
                             dtype=np.float64).reshape(len(low), len(patterns)))


class TextDimensionHeads(BaseEstimator):
    """Multi-label dimension heads on TF-IDF character n-grams and cue-word counts.

    Parameters
    ----------
    taxonomy : Taxonomy or None
        Dimensions and their cues (default ``load_taxonomy()``).
    use_cues : bool
        Add the cue counts to the TF-IDF features.
    C : float
        Inverse regularisation of each head.
    min_labels : int
        Positives (and negatives) a dimension needs for a head.
    """

    def __init__(self, *, taxonomy: Taxonomy | None = None, use_cues=True, C=10.0, ngram_range=(1, 3),
                 max_features=50_000, min_labels=5):
        self.taxonomy = taxonomy
        self.use_cues = use_cues
        self.C = C
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.min_labels = min_labels

    def _features(self, texts, fit=False):
        texts = [prepare_text(t) for t in texts]
        X = self.vectorizer_.fit_transform(texts) if fit else self.vectorizer_.transform(texts)
        if not self.use_cues:
            return X.tocsr()
        return sp.hstack([X, cue_counts(texts, self.patterns_)]).tocsr()

    def fit(self, texts, Y, sample_weight=None):
        """``Y``: one list of dimension ids per text; ``sample_weight``: one weight > 0 per text."""
        texts = list(texts)
        if len(texts) != len(Y):
            raise DataContractError(f"dimensions: {len(texts)} texts but {len(Y)} label lists", field="dimensions")
        w = checked_weights(sample_weight, len(texts))
        dims = (self.taxonomy or load_taxonomy()).dimensions
        self.dimension_classes_ = np.asarray(list(dims))
        self.patterns_ = [cue_pattern(dims[d].get("cues") or []) for d in self.dimension_classes_]
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range), sublinear_tf=True,
                                           min_df=2 if len(texts) >= 20 else 1, max_features=self.max_features)
        X = self._features(texts, fit=True)
        T = np.array([[d in set(ls or []) for d in self.dimension_classes_] for ls in Y], dtype=bool).reshape(len(texts), -1)
        self.heads_ = {}
        for j, d in enumerate(self.dimension_classes_):
            if self.min_labels <= T[:, j].sum() <= len(T) - self.min_labels:
                lr = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=1000)
                self.heads_[str(d)] = lr.fit(X, T[:, j], sample_weight=w)
        self.has_head_ = np.array([str(d) in self.heads_ for d in self.dimension_classes_])
        return self

    def predict_proba(self, texts) -> np.ndarray:
        """Probability of each dimension in ``dimension_classes_`` (0 where ``has_head_`` is False)."""
        check_is_fitted(self)
        X = self._features(list(texts))
        P = np.zeros((X.shape[0], len(self.dimension_classes_)))
        for j, d in enumerate(self.dimension_classes_):
            if str(d) in self.heads_:
                P[:, j] = self.heads_[str(d)].predict_proba(X)[:, 1]
        return P
