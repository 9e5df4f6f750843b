"""Service-dimension tagging (multi-label) that can start from a description.

Each dimension in ``govperf_ml/data/taxonomy.yaml`` has names, a description and a few examples.
Two scores are blended per dimension:

* **prior** — cosine similarity between a message's embedding and the dimension's
  *prototype* (mean embedding of its names, description and examples), turned into a
  probability by one logistic map ``sigmoid(a * (z - b))`` of the similarity's z-score
  (similarity centred on the message's mean over all dimensions, standardised over the
  training messages). ``a`` and ``b`` are fitted on the pooled dimensions that
  have labels, so a NEW dimension (no labels yet) gets calibrated-looking probabilities
  from its description alone (defaults are used when nothing is labelled).
* **supervised** — one logistic regression per dimension on the embedding (plus the
  prior score) when the dimension has enough positive and negative labels.

Probabilities are class-balanced (0.5 = more likely than the dimension's base rate), so
one threshold suits rare and common dimensions. The blend weight of the supervised head grows with its number of positive labels:
``w = n_pos / (n_pos + prior_strength)``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from govperf_ml.feedback.taxonomy import Taxonomy, load_taxonomy
from govperf_ml.feedback.tfidf import checked_weights


def dimension_prompts(info: dict) -> list[str]:
    """The texts that describe one dimension: names, description, examples."""
    out = [str(info.get(k)) for k in ("zh", "en", "description") if info.get(k)]
    out += [str(e) for e in info.get("examples", []) or []]
    return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class DimensionTagger(BaseEstimator):
    """Multi-label dimension tagger on precomputed embeddings.

    ``fit(X, Y, dimensions=...)`` takes an embedding matrix ``X``, a list of label lists
    ``Y`` and the prototype embeddings come from ``embed(texts)`` (a callable, usually
    :meth:`Embedder.encode`), so the tagger itself never sees raw text.

    Parameters
    ----------
    taxonomy : Taxonomy or None
        Dimensions to tag (default: ``load_taxonomy()``).
    prior_strength : float
        Positive labels at which the supervised head and the prior weigh the same.
    min_labels : int
        Positives (and negatives) a dimension needs before it gets a supervised head.
    C : float
        Inverse regularisation of the supervised heads.
    """

    def __init__(self, *, taxonomy: Taxonomy | None = None, prior_strength=15.0, min_labels=5, C=1.0):
        self.taxonomy = taxonomy
        self.prior_strength = prior_strength
        self.min_labels = min_labels
        self.C = C

    def _prototypes(self, embed) -> np.ndarray:
        rows = []
        for d in self.dimension_classes_:
            V = np.asarray(embed(dimension_prompts(self.dimensions_[d])), dtype=np.float64)
            V /= np.linalg.norm(V, axis=1, keepdims=True) + 1e-12
            p = V.mean(axis=0)
            rows.append(p / (np.linalg.norm(p) + 1e-12))
        return np.vstack(rows)

    def _sims(self, Xn) -> np.ndarray:
        """Similarity to each prototype, centred on the message's mean over dimensions.

        Centring per message removes what shifts every dimension alike (length, style,
        channel), so a model trained on short hotline notes transfers to long letters.
        """
        S = Xn @ self.prototypes_.T
        return S - S.mean(axis=1, keepdims=True)

    def _z(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        X = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
        return (self._sims(X) - self.sim_mean_) / self.sim_std_

    def fit(self, X, Y, *, embed, sample_weight=None):
        """``sample_weight`` (one per message, > 0) weighs the messages in the prior's map and
        the supervised heads (e.g. a department's own labels over the bundled corpus)."""
        tax = self.taxonomy or load_taxonomy()
        self.dimensions_ = dict(tax.dimensions)
        self.dimension_classes_ = np.asarray(list(self.dimensions_))
        self.prototypes_ = self._prototypes(embed)
        X = np.asarray(X, dtype=np.float64)
        sample_weight = checked_weights(sample_weight, len(X))
        Xn = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
        S = self._sims(Xn)
        self.sim_mean_ = S.mean(axis=0) if len(S) > 1 else np.zeros(S.shape[1])
        self.sim_std_ = S.std(axis=0) + 1e-6 if len(S) > 1 else np.ones(S.shape[1])
        Z = (S - self.sim_mean_) / self.sim_std_
        T = np.array([[d in set(labels or []) for d in self.dimension_classes_] for labels in Y], dtype=bool).reshape(len(X), -1)
        # one similarity->probability map pooled over the labelled dimensions
        labelled = [j for j in range(T.shape[1]) if self.min_labels <= T[:, j].sum() <= len(T) - self.min_labels]
        self.prior_a_, self.prior_b_ = 1.5, 1.0  # one s.d. above the mean -> 0.5
        if labelled:
            z = Z[:, labelled].ravel()[:, None]
            t = T[:, labelled].ravel()
            # balanced, like the supervised heads: 0.5 means "more likely than the base rate"
            zw = None if sample_weight is None else np.repeat(np.asarray(sample_weight, float), len(labelled))
            lr = LogisticRegression(C=1.0, class_weight="balanced").fit(z, t, sample_weight=zw)
            a = float(lr.coef_[0, 0])
            if a > 0:
                self.prior_a_, self.prior_b_ = a, float(-lr.intercept_[0] / a)
        self.heads_ = {}
        self.n_pos_ = {}
        for j, d in enumerate(self.dimension_classes_):
            npos = int(T[:, j].sum())
            self.n_pos_[str(d)] = npos
            if npos >= self.min_labels and len(T) - npos >= self.min_labels:
                F = np.hstack([Xn, Z[:, [j]]])
                self.heads_[str(d)] = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000).fit(
                    F, T[:, j], sample_weight=sample_weight)
        return self

    def prior_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        return _sigmoid(self.prior_a_ * (self._z(X) - self.prior_b_))

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each dimension in ``dimension_classes_`` (columns)."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float64)
        Xn = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
        Z = self._z(X)
        P = _sigmoid(self.prior_a_ * (Z - self.prior_b_))
        for j, d in enumerate(self.dimension_classes_):
            head = self.heads_.get(str(d))
            if head is None:
                continue
            w = self.n_pos_[str(d)] / (self.n_pos_[str(d)] + self.prior_strength)
            sup = head.predict_proba(np.hstack([Xn, Z[:, [j]]]))[:, 1]
            P[:, j] = w * sup + (1 - w) * P[:, j]
        return P
