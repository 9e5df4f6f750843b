"""Zero-shot service-area probabilities from the taxonomy's descriptions and examples.

Each area in ``govperf_ml/data/taxonomy.yaml`` has names, a description and examples in
Chinese and English. Their mean embedding is the area's *prototype*; a message's area
probabilities are a softmax of its cosine similarity to each prototype divided by a
temperature. With a multilingual encoder the prior routes English and Chinese alike,
before any labelled message exists.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.taxonomy import Taxonomy, load_taxonomy


def find_area(areas: dict, label: str) -> dict | None:
    """The taxonomy entry of a label given as an area id or its Chinese or English name."""
    if label in areas:
        return areas[label]
    return next((info for info in areas.values() if label in (info.get("zh"), info.get("en"))), None)


def described(classes, taxonomy: Taxonomy | None = None) -> bool:
    """Whether every label in ``classes`` names an area of the taxonomy."""
    areas = (taxonomy or load_taxonomy()).areas
    return all(find_area(areas, str(c)) is not None for c in classes)


def area_prompts(info: dict) -> list[str]:
    """The texts that describe one area: names, description, examples."""
    out = [str(info.get(k)) for k in ("zh", "en", "description") if info.get(k)]
    return out + [str(e) for e in info.get("examples", []) or []]


class AreaPrior(BaseEstimator):
    """Softmax of cosine similarity to each area's prototype (columns in ``classes_``).

    Parameters
    ----------
    taxonomy : Taxonomy or None
        Areas and their descriptions (default ``load_taxonomy()``).
    temperature : float
        Softmax temperature of the similarities (lower: more confident).
    """

    def __init__(self, *, taxonomy: Taxonomy | None = None, temperature=0.05):
        self.taxonomy = taxonomy
        self.temperature = temperature

    def fit(self, classes, *, embed):
        """Prototypes of ``classes`` (area ids or names) from ``embed(texts)``; each must be in the taxonomy."""
        if self.temperature <= 0:
            raise DataContractError(f"area prior: temperature must be > 0, got {self.temperature}", field="temperature")
        areas = (self.taxonomy or load_taxonomy()).areas
        missing = [c for c in classes if find_area(areas, str(c)) is None]
        if missing:
            raise DataContractError(f"area prior: areas not in the taxonomy: {missing}", field="area")
        rows = []
        for c in classes:
            V = np.asarray(embed(area_prompts(find_area(areas, str(c)))), dtype=np.float64)
            V /= np.linalg.norm(V, axis=1, keepdims=True) + 1e-12
            p = V.mean(axis=0)
            rows.append(p / (np.linalg.norm(p) + 1e-12))
        self.classes_ = np.asarray(classes)
        self.prototypes_ = np.vstack(rows)
        return self

    def predict_proba(self, E) -> np.ndarray:
        check_is_fitted(self)
        E = np.asarray(E, dtype=np.float64)
        E = E / (np.linalg.norm(E, axis=1, keepdims=True) + 1e-12)
        S = E @ self.prototypes_.T / self.temperature
        S -= S.max(axis=1, keepdims=True)
        P = np.exp(S)
        return P / P.sum(axis=1, keepdims=True)
