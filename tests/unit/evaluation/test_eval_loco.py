"""Leave-one-corpus-out choice on hand-made score tables; VUS-PR on tiny series."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.evaluation.loco import choose_all, choose_in_corpus, choose_loco, normalised
from govperf_ml.evaluation.vus import corpus_vus_pr, vus_pr

NAN = float("nan")


def table():
    # corpus A prefers s1 strongly; B and C prefer s2; only the streams (A, C) have a NAB score
    return pd.DataFrame({
        "corpus": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
        "setting": ["s1", "s2", "s3"] * 3,
        "event_f1": [0.9, 0.1, 0.5, 0.2, 0.8, 0.5, 0.3, 0.7, 0.3],
        "nab_standard": [60.0, 20.0, 40.0, NAN, NAN, NAN, 10.0, 50.0, 30.0],
    })


def test_normalised_is_min_max_per_corpus_and_skips_missing_metrics():
    norm = normalised(table(), ["event_f1", "nab_standard"])
    assert list(norm.columns) == ["s1", "s2", "s3"]
    np.testing.assert_allclose(norm.loc["A"], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(norm.loc["B"], [0.0, 1.0, 0.5])  # F1 only: NAB is NaN on B
    np.testing.assert_allclose(norm.loc["C"], [0.0, 1.0, 0.25])  # mean of (0, 1, 0) and (0, 1, 0.5)


def test_loco_choice_never_looks_at_the_held_out_corpus():
    chosen = choose_loco(table(), ["event_f1", "nab_standard"])
    # A: mean of B and C = (0, 1, 0.375) -> s2; B: mean of A and C = (0.5, 0.5, 0.375) -> a tie,
    # the first listed; C: mean of A and B = (0.5, 0.5, 0.5) -> the first listed
    assert chosen == {"A": "s2", "B": "s1", "C": "s1"}
    assert choose_in_corpus(table(), ["event_f1", "nab_standard"]) == {"A": "s1", "B": "s2", "C": "s2"}


def test_changing_the_held_out_corpus_scores_does_not_change_its_choice():
    t = table()
    before = choose_loco(t, ["event_f1"])
    t.loc[t.corpus == "A", "event_f1"] = [0.0, 0.0, 1.0]
    after = choose_loco(t, ["event_f1"])
    assert after["A"] == before["A"]
    assert after["B"] != before["B"] or after["C"] != before["C"]


def test_flat_metric_counts_every_setting_as_best():
    t = pd.DataFrame({"corpus": ["A", "A", "B", "B"], "setting": ["x", "y"] * 2, "event_f1": [0.4, 0.4, 0.1, 0.9]})
    np.testing.assert_allclose(normalised(t, ["event_f1"]).loc["A"], [1.0, 1.0])
    assert choose_loco(t, ["event_f1"]) == {"A": "y", "B": "x"}


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="at least two corpora"):
        choose_loco(table()[table().corpus == "A"], ["event_f1"])
    with pytest.raises(ValueError, match="more than one row"):
        choose_loco(pd.concat([table(), table().head(1)]), ["event_f1"])
    with pytest.raises(ValueError, match="lacks column"):
        choose_loco(table(), ["vus"])


def test_vus_pr_ranks_a_good_detector_above_a_blind_one():
    y = np.zeros(400, dtype=int)
    y[200:210] = 1
    rng = np.random.default_rng(0)
    good = rng.uniform(0, 0.3, 400)
    good[200:210] = 0.9
    blind = rng.uniform(0, 1, 400)
    assert vus_pr(y, good) > 0.8 > 0.2 > vus_pr(y, blind)
    assert np.isnan(vus_pr(np.zeros(50, dtype=int), blind[:50]))  # no anomaly: no PR curve
    assert corpus_vus_pr([(y, good), (np.zeros(400, dtype=int), blind)]) == pytest.approx(vus_pr(y, good))
    with pytest.raises(ValueError, match="400 labels for 399"):
        vus_pr(y, good[:-1])


def test_choose_all_is_the_best_mean_over_every_corpus():
    # means of the normalised values: s1 (1+0+0)/3, s2 (0+1+1)/3, s3 (0.5+0.5+0.25)/3
    assert choose_all(table(), ["event_f1", "nab_standard"]) == "s2"
    only_a = table()[table()["corpus"] == "A"]
    assert choose_all(only_a, ["event_f1", "nab_standard"]) == "s1"
