"""A department's own labels and corrections against the shipped text: weights, the drop rule."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback import TfidfFeedbackClassifier
from govperf_ml.feedback.mixing import MixRule, training_mix


def _frame(prefix, areas, n, word="x"):
    return pd.DataFrame({"message_id": [f"{prefix}{a}{i}" for a in areas for i in range(n)],
                         "text": [f"{word} {a} {i}" for a in areas for i in range(n)],
                         "area": [a for a in areas for _ in range(n)]})


SHIPPED = _frame("s", ["transport", "health", "environment"], 5)
RULE = MixRule(own_weight=4.0, correction_weight=7.0, enough_per_area=3)


def test_department_records_weigh_more_and_shipped_text_keeps_only_their_areas_in_their_spelling():
    own = _frame("o", ["交通运输", "卫生计生"], 2)  # the department names its areas in Chinese
    frame, w = training_mix(SHIPPED, own, rule=RULE)
    assert set(frame["area"]) == {"交通运输", "卫生计生"}  # no environment: the department does not route there
    shipped = frame["message_id"].str.startswith("s")
    assert shipped.sum() == 10 and set(w[shipped.to_numpy()]) == {1.0} and set(w[~shipped.to_numpy()]) == {4.0}


def test_shipped_text_is_left_out_once_every_area_has_enough_department_labels():
    own = _frame("o", ["transport", "health"], 2)
    corr = _frame("c", ["transport", "health"], 1, word="y")
    frame, w = training_mix(SHIPPED, own, corr, rule=RULE)
    assert w is None and set(frame["message_id"].str[0]) == {"o", "c"}
    kept, w2 = training_mix(SHIPPED, own, rule=RULE)  # two per area: not enough
    assert w2 is not None and kept["message_id"].str.startswith("s").sum() == 10


def test_corrections_replace_their_message_and_weigh_the_correction_weight():
    corr = pd.DataFrame({"message_id": ["stransport0"], "text": ["x transport 0"], "area": ["health"]})
    frame, w = training_mix(SHIPPED, None, corr, rule=RULE)
    assert len(frame) == len(SHIPPED) and frame["message_id"].is_unique
    row = frame["message_id"] == "stransport0"
    assert frame.loc[row, "area"].tolist() == ["health"] and w[row.to_numpy()].tolist() == [7.0]
    assert (w[~row.to_numpy()] == 1.0).all()


def test_colliding_ids_and_undescribed_areas():
    own = _frame("s", ["transport", "health"], 2)  # same ids as shipped rows
    frame, _ = training_mix(SHIPPED, own, rule=RULE)
    assert frame["message_id"].is_unique
    custom = _frame("o", ["roads desk", "clinics desk"], 2)  # not areas of the taxonomy: nothing to align
    alone, w = training_mix(SHIPPED, custom, rule=RULE)
    assert w is None and set(alone["area"]) == {"roads desk", "clinics desk"}


def test_sample_weights_tip_the_tfidf_model_and_are_checked():
    texts = ["bus late"] * 3 + ["bus clinic"] * 3
    df = pd.DataFrame({"text": texts + ["clinic queue", "doctor rude", "bus stop", "road jam"],
                       "area": ["transport"] * 3 + ["health"] * 3 + ["health", "health", "transport", "transport"]})
    probe = ["bus clinic"]
    w = np.ones(len(df))
    up = TfidfFeedbackClassifier().fit(df, sample_weight=np.where(df["area"] == "health", 10.0, 1.0))
    down = TfidfFeedbackClassifier().fit(df, sample_weight=np.where(df["area"] == "health", 0.1, 1.0))
    i = list(up.classes_).index("health")
    assert up.predict_proba(probe)[0, i] > down.predict_proba(probe)[0, i]
    with pytest.raises(DataContractError, match="sample_weight"):
        TfidfFeedbackClassifier().fit(df, sample_weight=w[:-1])
    with pytest.raises(DataContractError, match="sample_weight"):
        TfidfFeedbackClassifier().fit(df, sample_weight=-w)


def test_ensemble_takes_sample_weights():
    from govperf_ml.feedback import EnsembleFeedbackClassifier
    from govperf_ml.sample_city.feedback_gen import generate_feedback
    from tests.unit.feedback.test_feedback_default import BagOfChars

    data = generate_feedback(n_zh=35, n_en=14, seed=3)
    texts = data["text"].tolist()
    plain = EnsembleFeedbackClassifier(embedder=BagOfChars()).fit(data)
    ones = EnsembleFeedbackClassifier(embedder=BagOfChars()).fit(data, sample_weight=np.ones(len(data)))
    np.testing.assert_allclose(plain.predict_proba(texts), ones.predict_proba(texts), atol=1e-4)  # solver tolerance
    heavy = np.where(data["area"] == "health", 20.0, 1.0)
    tipped = EnsembleFeedbackClassifier(embedder=BagOfChars()).fit(data, sample_weight=heavy)
    i = list(plain.classes_).index("health")
    assert tipped.predict_proba(texts)[:, i].mean() > plain.predict_proba(texts)[:, i].mean()
    with pytest.raises(DataContractError, match="sample_weight"):
        EnsembleFeedbackClassifier(embedder=BagOfChars()).fit(data, sample_weight=np.zeros(len(data)))


def test_train_feedback_mixes_shipped_text_with_a_departments_records():
    from govperf_ml import training

    shipped = _frame("s", ["transport", "health"], 30, word="shipped")
    own = _frame("o", ["transport", "health"], 10, word="own")
    res = training.train_feedback(own, shipped=shipped, estimator=TfidfFeedbackClassifier(), rule=RULE.__class__(
        own_weight=5.0, enough_per_area=100))
    assert res.params["shipped_text_in"] and res.metrics["n_train"] == 60 + 16  # the held-out 20 % is own records only
    assert res.metrics["n_test"] == 4 and res.metrics["n_upweighted"] == 16
    alone = training.train_feedback(own, shipped=shipped, estimator=TfidfFeedbackClassifier(), rule=RULE)
    assert not alone.params["shipped_text_in"] and alone.metrics["n_train"] == 16


def test_cli_mixes_the_shipped_corpus_only_with_a_feedback_file(tmp_path):
    from govperf_ml.cli.train import TrainingData

    assert TrainingData().shipped_feedback() is None
    path = tmp_path / "dept.csv"
    _frame("o", ["transport"], 2).to_csv(path, index=False)
    shipped = TrainingData(feedback=path).shipped_feedback()
    assert len(shipped) > 3000 and set(shipped["lang"]) == {"zh", "en"}


def test_bench_mix_helpers_on_a_small_corpus(monkeypatch):
    from govperf_ml.bench import feedback_mix
    from govperf_ml.feedback import EnsembleFeedbackClassifier
    from govperf_ml.sample_city.feedback_gen import generate_feedback
    from tests.unit.feedback.test_feedback_default import BagOfChars

    monkeypatch.setattr(feedback_mix, "served_default_classifier",
                        lambda: EnsembleFeedbackClassifier(embedder=BagOfChars(), prior_weight=0.2))
    shipped = generate_feedback(n_zh=35, n_en=14, seed=3)
    dept = generate_feedback(n_zh=70, n_en=0, seed=4).assign(message_id=lambda d: "d" + d["message_id"])
    sel, rep = dept.iloc[::2].reset_index(drop=True), dept.iloc[1::2].reset_index(drop=True)
    model = feedback_mix.fit_mix(shipped, rule=MixRule())
    queue = feedback_mix.review_queue(model, sel, sel.iloc[:0], 5)
    conf = model.predict_proba(sel["text"].tolist()).max(axis=1)
    assert sorted(queue["message_id"]) == sorted(sel["message_id"].to_numpy()[np.argsort(conf)[:5]])
    curve = feedback_mix.correction_curve(shipped, sel, rep, MixRule(), [0, 5], start=model)
    assert [r["corrections"] for r in curve] == [0, 5] and all(0 <= r["macro_f1"] <= 1 for r in curve)
    rows = feedback_mix.department_rows(shipped, sel, rep, sizes=(None,))
    assert len(rows) == 3 and set(rows["department_labels"]) == {f"all {len(sel)}"}


def test_without_a_department_file_the_shipped_text_is_kept_however_many_corrections():
    from govperf_ml import training

    messages = _frame("s", ["transport", "health"], 10)  # the shipped text: its held-out 20 % is the gate's
    corr = _frame("c", ["transport", "health"], 5, word="y")  # more than RULE.enough_per_area
    res = training.train_feedback(messages, corrections=corr, estimator=TfidfFeedbackClassifier(), rule=RULE)
    assert res.params["shipped_text_in"] and res.metrics["n_train"] == 16 + 10 and res.metrics["n_upweighted"] == 10
