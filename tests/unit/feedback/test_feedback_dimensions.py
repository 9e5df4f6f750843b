import numpy as np
import pandas as pd

from govperf_ml.feedback import EnsembleFeedbackClassifier, load_taxonomy
from govperf_ml.feedback.dimensions import DimensionTagger
from govperf_ml.feedback.taxonomy import Taxonomy

LABELLED = [
    ("I called five times and nobody answered for two months", ["timeliness"]),
    ("my application has been waiting for half a year", ["timeliness"]),
    ("still no reply after three weeks", ["timeliness"]),
    ("they promised a decision in May and it is now October", ["timeliness"]),
    ("the complaint was closed after 90 days with no action", ["timeliness"]),
    ("the clerk shouted at my mother", ["attitude"]),
    ("staff were rude and impatient at the counter", ["attitude"]),
    ("the officer refused to listen and sent me to another office", ["attitude"]),
    ("the receptionist laughed at us", ["attitude"]),
    ("the inspector was arrogant and insulting", ["attitude"]),
    ("the parking fee doubled without notice", ["fees"]),
    ("the school charges for extra classes", ["fees"]),
    ("property management charges hidden fees", ["fees"]),
    ("the deposit was never refunded", ["fees"]),
    ("they asked me to pay a fee with no receipt", ["fees"]),
    ("the park is nice", []),
    ("thank you for the new library", []),
    ("I would like to know the opening date", []),
]


def _taxonomy_with_safety():
    base = load_taxonomy()
    dims = dict(base.dimensions)
    dims["safety"] = {
        "zh": "安全隐患",
        "en": "Public safety hazard",
        "description": "Danger to people: fire risk, collapsing structures, unsafe roads, exposed wires, gas leaks.",
        "examples": ["exposed electric wires near the playground", "the old building may collapse", "gas smell in the stairwell"],
    }
    return Taxonomy(areas=base.areas, dimensions=dims)


def test_new_dimension_from_description_alone(embedder):
    tax = _taxonomy_with_safety()
    X = embedder.encode([t for t, _ in LABELLED])
    tagger = DimensionTagger(taxonomy=tax, min_labels=3).fit(X, [d for _, d in LABELLED], embed=embedder.encode)
    assert "safety" in tagger.dimension_classes_ and tagger.n_pos_["safety"] == 0
    assert "safety" not in tagger.heads_  # no labels: prior only
    j = list(tagger.dimension_classes_).index("safety")
    P = tagger.predict_proba(embedder.encode(["a live power cable is hanging over the sidewalk, fire danger",
                                              "the counter staff were polite and quick"]))
    assert P[0, j] > P[1, j]
    assert P[0, j] > 0.5 > P[1, j]
    assert ((P >= 0) & (P <= 1)).all()


def test_supervised_head_blends_with_prior(embedder):
    X = embedder.encode([t for t, _ in LABELLED])
    tagger = DimensionTagger(min_labels=3).fit(X, [d for _, d in LABELLED], embed=embedder.encode)
    assert {"timeliness", "attitude", "fees"} <= set(tagger.heads_)
    dims = list(tagger.dimension_classes_)
    P = tagger.predict_proba(embedder.encode(["nobody has replied for months", "they charged me an illegal fee"]))
    assert P[0, dims.index("timeliness")] > P[1, dims.index("timeliness")]
    assert P[1, dims.index("fees")] > P[0, dims.index("fees")]


def test_classifier_tags_a_dimension_it_has_no_labels_for(embedder):
    rows = [{"text": t, "area": "transport" if i % 2 else "environment", "dimensions": ";".join(d)} for i, (t, d) in enumerate(LABELLED)]
    model = EnsembleFeedbackClassifier(embedder=embedder, stack_cv=2, taxonomy=_taxonomy_with_safety()).fit(pd.DataFrame(rows))
    assert "safety" in model.dimension_classes_
    out = model.classify(pd.DataFrame({"message_id": ["s"], "text": ["exposed wires and a gas leak near the school, fire danger"]}))
    probs = out.iloc[0]["dimension_probabilities"]
    assert probs["safety"] == max(probs.values())
    assert np.isclose(sum(out.iloc[0]["area_probabilities"].values()), 1)


def test_sample_weight_moves_the_heads_and_is_checked(embedder):
    import pytest

    from govperf_ml.contracts import DataContractError

    X = embedder.encode([t for t, _ in LABELLED])
    # a contradicting copy of the fee messages, labelled timeliness instead of fees
    flipped = [(t, ["timeliness"]) for t, d in LABELLED if d == ["fees"]]
    Xf = np.vstack([X, embedder.encode([t for t, _ in flipped])])
    Y = [d for _, d in LABELLED] + [d for _, d in flipped]
    probe = embedder.encode(["the deposit was never refunded and the fee doubled"])

    def p_fees(w):
        t = DimensionTagger(min_labels=3).fit(Xf, Y, embed=embedder.encode, sample_weight=w)
        return t.predict_proba(probe)[0, list(t.dimension_classes_).index("fees")]

    n, m = len(LABELLED), len(flipped)
    trust_first = p_fees(np.r_[np.full(n, 10.0), np.ones(m)])
    trust_copy = p_fees(np.r_[np.ones(n), np.full(m, 10.0)])
    assert trust_first > trust_copy
    with pytest.raises(DataContractError, match="sample_weight"):
        DimensionTagger().fit(Xf, Y, embed=embedder.encode, sample_weight=np.zeros(n + m))


def test_ensemble_blends_text_heads_for_labelled_dimensions(embedder):
    rows = pd.DataFrame([{"text": t, "area": "transport" if i % 2 else "environment", "dimensions": ";".join(d)}
                         for i, (t, d) in enumerate(LABELLED)])
    probe = ["nobody has replied for months", "they charged me an illegal fee"]
    both = EnsembleFeedbackClassifier(embedder=embedder).fit(rows)
    alone = EnsembleFeedbackClassifier(embedder=embedder, dimension_text_weight=0.0).fit(rows)
    assert alone.dim_text_ is None
    heads = set(both.dimension_classes_[both.dim_text_.has_head_])
    assert heads == {"timeliness", "attitude", "fees"}
    Pb, Pa = both.predict_dimensions_proba(probe), alone.predict_dimensions_proba(probe)
    dims = list(both.dimension_classes_)
    assert np.allclose(Pb[:, dims.index("transparency")], Pa[:, dims.index("transparency")])  # no head: tagger only
    assert not np.allclose(Pb[:, dims.index("fees")], Pa[:, dims.index("fees")])
    assert Pb[1, dims.index("fees")] > Pb[0, dims.index("fees")]
    out = both.classify(pd.DataFrame({"message_id": ["a"], "text": [probe[1]]}))
    assert np.isclose(out.iloc[0]["dimension_probabilities"]["fees"], Pb[1, dims.index("fees")])
