import pickle

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback import EnsembleFeedbackClassifier


def corpus():
    rows = []
    for i in range(10):
        rows.append({"text": f"bus route {i} was late again and the driver was rude", "area": "transport", "dimensions": "timeliness;attitude"})
        rows.append({"text": f"school {i} charges extra tutoring fees", "area": "education_culture_sports", "dimensions": "fees"})
        rows.append({"text": f"construction site {i} makes noise all night, still not fixed", "area": "environment", "dimensions": "outcome_quality"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def model(embedder):
    return EnsembleFeedbackClassifier(embedder=embedder, stack_cv=3).fit(corpus())


def test_classify_contract(model):
    out = model.classify(pd.DataFrame({"message_id": ["m1", "m2"], "text": ["the number 7 bus is late, call 13812345678", "tutoring fees at my school"]}))
    assert list(out.columns) == ["message_id", "area", "area_confidence", "area_probabilities", "dimensions",
                                 "dimension_probabilities", "needs_review"]
    assert out["message_id"].tolist() == ["m1", "m2"]
    assert out["area"].tolist() == ["transport", "education_culture_sports"]
    for _, row in out.iterrows():
        assert 0 <= row["area_confidence"] <= 1
        assert abs(sum(row["area_probabilities"].values()) - 1) < 1e-6
        assert set(row["area_probabilities"]) == set(model.classes_)
        assert set(row["dimension_probabilities"]) == set(model.dimension_classes_)
        assert all(0 <= p <= 1 for p in row["dimension_probabilities"].values())
        assert row["needs_review"] == (row["area_confidence"] < model.review_threshold)
    assert "fees" in out.iloc[1]["dimensions"]


def test_review_threshold_only_adds_reviews(model):
    msgs = pd.DataFrame({"message_id": ["a", "b", "c"], "text": ["bus late", "noise", "something else entirely"]})
    low = model.classify(msgs)["needs_review"].sum()
    model.set_params(review_threshold=0.99)
    try:
        assert model.classify(msgs)["needs_review"].sum() >= low
    finally:
        model.set_params(review_threshold=0.6)


def test_pickle_round_trip(model):
    texts = ["school fees are too high", "bus driver shouted at me"]
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict_proba(texts), model.predict_proba(texts), atol=1e-6)


def test_pii_never_reaches_the_embedder(model, monkeypatch):
    seen = []
    real = type(model.embedder_)._encode_raw
    monkeypatch.setattr(type(model.embedder_), "_encode_raw", lambda self, texts: seen.extend(texts) or real(self, texts))
    model.classify(pd.DataFrame({"message_id": ["p"], "text": ["My name is John Smith, phone 13912345678, bus is late"]}))
    assert seen and not any("13912345678" in t or "John Smith" in t for t in seen)


def test_needs_two_areas(embedder):
    with pytest.raises(DataContractError, match="two service areas"):
        EnsembleFeedbackClassifier(embedder=embedder).fit(pd.DataFrame({"text": ["a", "b"], "area": ["x", "x"]}))
