import numpy as np
import pandas as pd
import pytest

from govperf_ml.bench import dimension_models as M
from govperf_ml.bench import dimensions as D
from govperf_ml.contracts import DataContractError

DIMS = ["fees", "timeliness"]


def _part(n, seed):
    rng = np.random.default_rng(seed)
    Y = rng.random((n, 2)) < 0.4
    E = rng.normal(size=(n, 8)) + 4.0 * np.hstack([Y, np.zeros((n, 6))])  # labels readable from E
    return D.Part([f"msg {seed}-{i}" for i in range(n)], E, Y, np.ones(n))


def test_best_thresholds_pick_the_separating_cut():
    Y = np.array([[0], [0], [1], [1]], dtype=bool)
    P = np.array([[0.1], [0.3], [0.6], [0.9]])
    thr = D.best_thresholds(Y, P)
    assert 0.3 < thr[0] <= 0.6
    assert D.scores(Y, P >= thr, ["fees"])["micro_f1"] == 1.0


def test_evaluate_learns_from_the_training_part_and_blend_uses_cv_only():
    real, test, corpus = _part(120, 0), _part(60, 1), _part(30, 2)
    corpus.w[:] = 0.5
    good = D.evaluate("lr", M.emb_lr(1.0), real, test, corpus)
    noise = D.evaluate("noise", lambda tr, te: np.random.default_rng(0).random((len(te), 2)), real, test, corpus)
    assert D.row(good, real, test, DIMS)["micro_f1"] > D.row(noise, real, test, DIMS)["micro_f1"] + 0.2
    blend = D.blend_of_best([noise, good], real, k=1)
    assert blend.name.endswith(": lr") and np.allclose(blend.P, good.P)


def test_agreement_and_goals(tmp_path):
    p = tmp_path / "adj.csv"
    pd.DataFrame({"message_id": ["1", "2", "3", "4"], "dimensions": ["fees", "", "timeliness", "fees"],
                  "pass_a": ["fees", "", "timeliness", "fees"], "pass_b": ["fees", "", "", "fees"]}).to_csv(p, index=False)
    agree = D.agreement(p, DIMS).set_index("dimension")
    assert agree.loc["fees", "kappa"] == pytest.approx(1.0) and agree.loc["fees", "ceiling_f1"] == pytest.approx(1.0)
    assert agree.loc["timeliness", "kappa"] == pytest.approx(0.0)
    assert agree.loc["timeliness", "ceiling_f1"] == pytest.approx(0.25)  # 1 - (1 - 0) * (1 - 1/4)
    best = pd.Series({"micro_f1": 0.7, "macro_f1": 0.5, "f1_fees": 0.9, "f1_timeliness": 0.05})
    goals = D.goal_check(best, agree.reset_index())
    assert goals["met"].tolist() == [True, False, True, False]
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"message_id": ["1"], "dimensions": ["fees"]}).to_csv(plain, index=False)
    assert D.agreement(plain, DIMS) is None


def test_unknown_message_ids_are_named(tmp_path):
    folder = tmp_path / "teddy"
    folder.mkdir()
    pd.DataFrame({"留言编号": [1], "留言主题": ["t"], "留言详情": ["b"]}).to_csv(folder / D.ATTACHMENT4, index=False)
    assert D.message_texts(folder, ["1"]) == ["t。b"]
    with pytest.raises(DataContractError, match="999") as err:
        D.message_texts(folder, ["1", "999"])
    assert err.value.field == "message_id"


def test_setfit_candidate_tunes_once_and_predicts(minilm_path, tmp_path):
    real, test = _part(12, 3), _part(4, 4)
    texts = real.texts + test.texts
    (name, fit_predict), = M.setfit_candidate(minilm_path, real, texts, n_pairs=8, max_seq_length=16,
                                              workdir=tmp_path).items()
    assert "SetFit" in name and not list(tmp_path.iterdir())  # the tuned weights were a temporary folder
    P = fit_predict(real, test)
    assert P.shape == (4, 2) and ((P >= 0) & (P <= 1)).all()


def test_dimensions_only_needs_the_texts_folder():
    from govperf_ml.bench import feedback

    with pytest.raises(DataContractError, match="--data") as err:
        feedback.run(None, dimensions_only=True)
    assert err.value.field == "data"
