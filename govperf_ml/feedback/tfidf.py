"""Character n-gram TF-IDF + linear models: the feedback-tagging baseline.

* service area (one label): a linear SVM with Platt-calibrated probabilities;
* service dimensions (zero or more): one logistic regression per dimension.

Text goes through the same ``prepare_text`` in training and serving (PII masked,
whitespace normalised), so the model never learns from personal data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from govperf_ml.contracts import AREA, DIMENSIONS_COL, MESSAGE_ID, TEXT, DataContractError, validate_feedback
from govperf_ml.feedback.pii import mask_pii

_WS = re.compile(r"\s+")


def prepare_text(text: str) -> str:
    """The one preprocessing step shared by training and serving."""
    return _WS.sub(" ", mask_pii(str(text))).strip().lower()


#: letters of the languages the models are trained on: Han (Chinese) and Latin (English)
_KNOWN_LETTERS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def unknown_language(text: str) -> bool:
    """True when most of ``text``'s letters are of a script the models never saw
    (Cyrillic, Arabic, Thai, …): its probabilities say nothing, so it goes to review."""
    letters = len(_ANY_LETTER.findall(text))
    return letters > 0 and len(_KNOWN_LETTERS.findall(text)) < letters / 2


def classification_frame(message_ids, P, Q, classes, dimension_classes, *, dimension_threshold: float,
                         review_threshold: float, texts=None) -> pd.DataFrame:
    """The classify() output every feedback classifier returns, from its probabilities.

    ``P`` are area probabilities (messages × classes), ``Q`` dimension probabilities
    (messages × dimension classes). A message of ``texts`` in a language the models do
    not know (:func:`unknown_language`) keeps its best guess but with the confidence of
    no knowledge (1 / number of areas), and goes to review.
    """
    best = P.argmax(axis=1)
    conf = P[np.arange(len(P)), best]
    unknown = np.zeros(len(P), dtype=bool) if texts is None else np.array([unknown_language(t) for t in texts], bool)
    conf = np.where(unknown, np.minimum(conf, 1.0 / max(len(classes), 1)), conf)
    rows = []
    for i, mid in enumerate(message_ids):
        dim_p = {str(d): float(Q[i, j]) for j, d in enumerate(dimension_classes)}
        rows.append(
            {
                MESSAGE_ID: mid,
                "area": str(classes[best[i]]),
                "area_confidence": float(conf[i]),
                "area_probabilities": {str(c): float(P[i, j]) for j, c in enumerate(classes)},
                "dimensions": [d for d, p in dim_p.items() if p >= dimension_threshold],
                "dimension_probabilities": dim_p,
                "needs_review": bool(conf[i] < review_threshold or unknown[i]),
            }
        )
    return pd.DataFrame(rows)


def checked_weights(sample_weight, n: int) -> np.ndarray | None:
    """``sample_weight`` as floats, checked: one finite weight > 0 per message (None stays None)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or (w <= 0).any():
        raise DataContractError(f"feedback: sample_weight needs one finite weight > 0 per message ({n})", field="sample_weight")
    return w


class TfidfFeedbackClassifier(BaseEstimator):
    """Tag messages with a service area and service dimensions.

    Parameters
    ----------
    ngram_range : tuple
        Character n-gram range (characters suit Chinese, which has no spaces).
    C : float
        Inverse regularisation of the area SVM.
    dimension_threshold : float
        Probability above which a dimension is tagged.
    review_threshold : float
        Area confidence below which a message goes to human review.
    max_features : int
        Vocabulary cap.
    """

    def __init__(self, *, ngram_range=(1, 3), C=0.5, dimension_threshold=0.4, review_threshold=0.6, max_features=200_000):
        self.ngram_range = ngram_range
        self.C = C
        self.dimension_threshold = dimension_threshold
        self.review_threshold = review_threshold
        self.max_features = max_features

    def _vectorizer(self):
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            sublinear_tf=True,
            min_df=1,
            max_features=self.max_features,
        )

    def fit(self, df: pd.DataFrame, y=None, sample_weight=None):
        """Fit on labelled messages; ``sample_weight`` (one per row, > 0) weighs them in the area SVM."""
        # one BLAS thread: the dimension regressions' many small vector operations ran
        # 10-30x slower with OpenBLAS' threads on 2 shared cores (spinning, not working)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(df, sample_weight)

    def _fit(self, df: pd.DataFrame, sample_weight=None):
        data = validate_feedback(df, require_labels=True)
        w = checked_weights(sample_weight, len(data))
        texts = data[TEXT].map(prepare_text)
        self.vectorizer_ = self._vectorizer().fit(texts)
        X = self.vectorizer_.transform(texts)
        areas = data[AREA].astype(str).to_numpy()
        counts = pd.Series(areas).value_counts()
        if len(counts) < 2:
            raise DataContractError("feedback: training needs at least two service areas", field=AREA)
        cv = int(min(3, counts.min()))
        svm = LinearSVC(C=self.C, class_weight="balanced")
        self.area_model_ = CalibratedClassifierCV(svm, cv=cv, method="sigmoid") if cv >= 2 else svm
        self.area_model_.fit(X, areas, sample_weight=w)
        self.classes_ = np.asarray(self.area_model_.classes_)
        self.dimension_classes_ = np.asarray([])
        self.dim_model_ = None
        if DIMENSIONS_COL in data.columns:
            self.mlb_ = MultiLabelBinarizer()
            Yd = self.mlb_.fit_transform(data[DIMENSIONS_COL])
            keep = (Yd.sum(axis=0) > 0) & (Yd.sum(axis=0) < len(Yd))
            if keep.any():
                self.dimension_classes_ = self.mlb_.classes_[keep]
                self.dim_model_ = OneVsRestClassifier(LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000))
                self.dim_model_.fit(X, Yd[:, keep])
        return self

    def predict_proba(self, texts) -> np.ndarray:
        check_is_fitted(self)
        X = self.vectorizer_.transform([prepare_text(t) for t in texts])
        if hasattr(self.area_model_, "predict_proba"):
            return self.area_model_.predict_proba(X)
        d = self.area_model_.decision_function(X)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def predict_dimensions_proba(self, texts) -> np.ndarray:
        check_is_fitted(self)
        if self.dim_model_ is None:
            return np.zeros((len(texts), 0))
        X = self.vectorizer_.transform([prepare_text(t) for t in texts])
        return self.dim_model_.predict_proba(X)

    def classify(self, df: pd.DataFrame, *, review_threshold: float | None = None) -> pd.DataFrame:
        """Area, dimensions, confidences and the review flag for each message.

        ``review_threshold`` (a deployment's setting) raises the model's own: a message
        goes to review when its area confidence is below either.
        """
        check_is_fitted(self)
        data = validate_feedback(df)
        texts = data[TEXT].tolist()
        P = self.predict_proba(texts)
        Q = self.predict_dimensions_proba(texts)
        return classification_frame(
            data[MESSAGE_ID], P, Q, self.classes_, self.dimension_classes_,
            dimension_threshold=self.dimension_threshold,
            review_threshold=max(self.review_threshold, review_threshold or 0.0), texts=data[TEXT],
        )
