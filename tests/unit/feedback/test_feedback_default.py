"""The served default: generated corpus, zero-shot area prior, blend, bench helpers."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.bench.feedback_default import EVAL_EN, corrections_to_reach, teddy_halves
from govperf_ml.contracts import DataContractError, validate_feedback
from govperf_ml.feedback import EnsembleFeedbackClassifier, load_taxonomy
from govperf_ml.feedback.area_prior import AreaPrior, area_prompts, described, find_area
from govperf_ml.feedback.classifiers import SERVED_EMBEDDING
from govperf_ml.feedback.tfidf import prepare_text
from govperf_ml.sample_city import load_feedback_corpus, load_training_corpus
from govperf_ml.sample_city.feedback_gen import generate_feedback


class BagOfChars:
    """A tiny deterministic 'encoder': hashed character counts (no model to load)."""

    def encode(self, texts):
        X = np.zeros((len(texts), 256))
        for i, t in enumerate(texts):
            for ch in str(t):
                X[i, hash(ch) % 256] += 1.0
        return X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)


def test_generated_corpus_is_seeded_balanced_and_valid():
    a, b = generate_feedback(n_zh=140, n_en=70, seed=1), generate_feedback(n_zh=140, n_en=70, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a["text"].equals(generate_feedback(n_zh=140, n_en=70, seed=2)["text"])
    counts = a.groupby(["lang", "area"]).size()
    assert set(counts.loc["zh"]) == {20} and set(counts.loc["en"]) == {10}
    assert a["text"].is_unique and a["message_id"].is_unique
    valid = validate_feedback(a, require_labels=True)
    assert set(valid["area"]) == set(load_taxonomy().areas)
    assert set().union(*valid["dimensions"]) <= set(load_taxonomy().dimensions)


def test_training_corpus_adds_generated_messages_to_the_bundled_ones():
    bundled, both = load_feedback_corpus(), load_training_corpus()
    assert len(both) > 5 * len(bundled) and both["message_id"].is_unique
    assert set(bundled["message_id"]) < set(both["message_id"])


def test_english_eval_set_is_held_out_of_training():
    ev = pd.read_csv(EVAL_EN)
    assert len(ev) >= 140 and ev.groupby("area").size().min() >= 20
    assert set(ev["area"]) == set(load_taxonomy().areas)
    assert not set(ev["text"]) & set(load_training_corpus()["text"])


def test_every_area_has_a_description_and_names_resolve():
    areas = load_taxonomy().areas
    for area, info in areas.items():
        assert len(area_prompts(info)) >= 5, area
        assert find_area(areas, info["zh"]) is info and find_area(areas, info["en"]) is info
    assert described(["城乡建设", "transport"]) and not described(["transport", "no such area"])


def test_area_prior_probabilities_and_errors():
    tax = load_taxonomy()
    classes = sorted(tax.areas)
    prior = AreaPrior().fit(classes, embed=BagOfChars().encode)
    examples = [tax.areas[c]["examples"][0] for c in classes]
    P = prior.predict_proba(BagOfChars().encode(examples))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (P.argmax(axis=1) == np.arange(len(classes))).mean() >= 0.7  # an area's own example scores it first
    with pytest.raises(DataContractError, match="not in the taxonomy"):
        AreaPrior().fit(["transport", "space_travel"], embed=BagOfChars().encode)
    with pytest.raises(DataContractError, match="temperature"):
        AreaPrior(temperature=0).fit(classes, embed=BagOfChars().encode)


def _small():
    return generate_feedback(n_zh=70, n_en=14, seed=3)


def test_prior_weight_blends_and_is_skipped_for_undescribed_labels():
    data = _small()
    texts = data["text"].head(20).tolist()
    base = EnsembleFeedbackClassifier(embedder=BagOfChars()).fit(data)
    only = EnsembleFeedbackClassifier(embedder=BagOfChars(), prior_weight=1.0).fit(data)
    np.testing.assert_allclose(only.predict_proba(texts), only.prior_.predict_proba(BagOfChars().encode(
        [prepare_text(t) for t in texts])), atol=1e-9)
    half = EnsembleFeedbackClassifier(embedder=BagOfChars(), prior_weight=0.5).fit(data)
    np.testing.assert_allclose(half.predict_proba(texts), 0.5 * base.predict_proba(texts) + 0.5 * only.predict_proba(texts),
                               atol=1e-4)
    own = data.assign(area=data["area"].map(lambda a: f"dept_{a}"))
    assert EnsembleFeedbackClassifier(embedder=BagOfChars(), prior_weight=0.5).fit(own).prior_ is None


def test_served_default_is_the_blend_on_the_multilingual_encoder(monkeypatch):
    from govperf_ml import training

    monkeypatch.delenv("GOVPERF_FEEDBACK_MODEL", raising=False)
    est = training._feedback_estimator(None, None)
    assert est.embedder.model == SERVED_EMBEDDING and 0 < est.prior_weight < 1
    with pytest.raises(ValueError, match="blend"):
        training._feedback_estimator(None, "nope")


def test_teddy_halves_map_labels_and_refuse_unknown_ones():
    zh = [v["zh"] for v in load_taxonomy().areas.values()]
    titles = pd.DataFrame({"text": [f"t{i}" for i in range(70)], "label": zh * 10})
    sel, rep = teddy_halves(titles)
    assert len(sel) == len(rep) == 35 and set(sel["area"]) == set(load_taxonomy().areas)
    assert not set(sel["message_id"]) & set(rep["message_id"])
    with pytest.raises(DataContractError, match="not in the taxonomy"):
        teddy_halves(titles.assign(label=["其他"] * 70))


def test_corrections_to_reach():
    curve = pd.DataFrame({"corrections": [0, 100, 200, "all 500 (fully trained)", "reference: tfidf"],
                          "macro_f1": [0.70, 0.77, 0.80, 0.80, 0.9]})
    assert corrections_to_reach(curve) == 200
    assert corrections_to_reach(curve, tol=0.05) == 100
    assert corrections_to_reach(curve.assign(macro_f1=[0.1, 0.2, 0.3, 0.8, 0.9])) is None
