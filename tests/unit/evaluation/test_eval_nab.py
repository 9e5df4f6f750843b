"""NAB scorer: normalisation anchors, the sigmoid weights, the threshold sweep, the I/O."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govperf_ml.evaluation.nab import (
    PROFILES,
    event_prf,
    nab_scores,
    probation_length,
    scaled_sigmoid,
    sweep_scores,
)
from govperf_ml.evaluation.nab_corpus import load_nab, load_windows, write_nab_results

NAB_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "nab"


def _curve(x: float) -> float:
    """NAB's scaled sigmoid written independently: 2*sigmoid(-5x) - 1 == -tanh(2.5x)."""
    return -math.tanh(2.5 * x)


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture
def nab_folder(tmp_path: Path) -> Path:
    """A tiny corpus in NAB's layout: two categories, three files, three windows."""
    rng = np.random.default_rng(0)
    windows = {}
    specs = {
        "catA/one.csv": (200, [(60, 79)]),
        "catA/two.csv": (300, [(100, 119), (200, 229)]),
        "catB/quiet.csv": (120, []),
    }
    for key, (n, bounds) in specs.items():
        ts = pd.date_range("2020-01-01", periods=n, freq="5min")
        path = tmp_path / "data" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": rng.normal(size=n)}).to_csv(
            path, index=False
        )
        windows[key] = [[_fmt(ts[a]), _fmt(ts[b])] for a, b in bounds]
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps(windows))
    return tmp_path


def test_load_nab_layout(nab_folder):
    data = load_nab(nab_folder)
    windows = load_windows(nab_folder)
    assert sorted(data) == ["catA/one.csv", "catA/two.csv", "catB/quiet.csv"]
    assert list(data["catA/one.csv"].columns) == ["timestamp", "value"]
    assert pd.api.types.is_datetime64_any_dtype(data["catA/one.csv"]["timestamp"])
    start, end = windows["catA/one.csv"][0]
    assert start == data["catA/one.csv"]["timestamp"].iloc[60]
    assert end == data["catA/one.csv"]["timestamp"].iloc[79]
    assert windows["catB/quiet.csv"] == []


def test_null_is_zero_and_perfect_is_hundred(nab_folder):
    data, windows = load_nab(nab_folder), load_windows(nab_folder)
    null = {k: np.zeros(len(v)) for k, v in data.items()}
    res = nab_scores(null, data, windows, threshold=0.5)
    for name, r in res.items():
        assert r["score"] == pytest.approx(0.0, abs=1e-12), name
        assert r["raw"] == pytest.approx(-3 * PROFILES[name]["fnWeight"])

    perfect = {}
    for key, frame in data.items():
        s = np.zeros(len(frame))
        for start, _ in windows[key]:
            s[int(np.flatnonzero(frame["timestamp"] == start)[0])] = 1.0
        perfect[key] = s
    res = nab_scores(perfect, data, windows)  # threshold optimised by the sweep
    for name, r in res.items():
        assert r["score"] == pytest.approx(100.0), name
        assert r["threshold"] == 1.0
        assert (r["tp"], r["fp"], r["windows_detected"]) == (3, 0, 3)


def test_scaled_sigmoid_anchor_values():
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == pytest.approx(0.0)
    assert scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert scaled_sigmoid(3.5) == -1.0
    np.testing.assert_allclose(scaled_sigmoid(np.array([-2.0, 0.3])), [_curve(-2.0), _curve(0.3)])


def test_sweep_scores_hand_checked():
    # 8 rows, one window on rows 2..4 (width 3), no probation
    ts = pd.date_range("2021-01-01", periods=8, freq="h")
    s = sweep_scores(ts, [(ts[2], ts[4])], "standard", probation_percent=0.0)
    expected = [
        -0.11,
        -0.11,  # before any window: -fpWeight
        1.0,  # first row of the window: exactly tpWeight
        _curve(-2 / 3) / _curve(-1),
        _curve(-1 / 3) / _curve(-1),
        0.11 * _curve(1 / 2),  # (i - R) / (W - 1)
        0.11 * _curve(2 / 2),
        0.11 * _curve(3 / 2),
    ]
    np.testing.assert_allclose(s, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "active",
    [[], [0], [2], [3], [4], [5], [7], [2, 3, 4], [0, 3, 7], [4, 2]],
)
def test_score_only_first_detection_in_window_counts(active):
    ts = pd.date_range("2021-01-01", periods=8, freq="h")
    data = {"c/f.csv": pd.DataFrame({"timestamp": ts, "value": 0.0})}
    windows = {"c/f.csv": [(ts[2], ts[4])]}
    scores = {"c/f.csv": np.isin(np.arange(8), active).astype(float)}
    got = nab_scores(scores, data, windows, ["standard"], threshold=0.5, probation_percent=0.0)["standard"]
    inside = [i for i in active if 2 <= i <= 4]
    expected = _curve(-(5 - min(inside)) / 3) / _curve(-1) if inside else -1.0
    for i in active:
        if i < 2:
            expected -= 0.11
        elif i > 4:
            expected += 0.11 * _curve((i - 4) / 2)
    assert got["raw"] == pytest.approx(expected, abs=1e-12)
    assert got["score"] == pytest.approx(100 * (expected + 1) / 2)


def test_sweep_finds_the_best_fixed_threshold(nab_folder):
    data, windows = load_nab(nab_folder), load_windows(nab_folder)
    rng = np.random.default_rng(3)
    # coarse scores so that ties matter; bump some window rows
    scores = {k: np.round(rng.uniform(size=len(v)) ** 8, 2) for k, v in data.items()}
    scores["catA/two.csv"][205] = 0.99
    optimised = nab_scores(scores, data, windows)
    candidates = np.unique(np.concatenate(list(scores.values())))
    for name in PROFILES:
        brute = [nab_scores(scores, data, windows, [name], threshold=t)[name]["raw"] for t in candidates]
        brute.append(nab_scores(scores, data, windows, [name], threshold=1.1)[name]["raw"])
        assert optimised[name]["raw"] == pytest.approx(max(brute), abs=1e-9)


def test_probationary_rows_are_ignored(nab_folder):
    data, windows = load_nab(nab_folder), load_windows(nab_folder)
    assert probation_length(200) == 30
    assert probation_length(100_000) == 750
    zero = {k: np.zeros(len(v)) for k, v in data.items()}
    early = {k: v.copy() for k, v in zero.items()}
    early["catA/one.csv"][:30] = 1.0  # all inside the first 15 %
    a = nab_scores(zero, data, windows, threshold=0.5)
    b = nab_scores(early, data, windows, threshold=0.5)
    assert a["standard"]["raw"] == b["standard"]["raw"]
    early["catA/one.csv"][30] = 1.0  # first scored row, before the window: one FP
    c = nab_scores(early, data, windows, threshold=0.5)
    assert c["standard"]["raw"] == pytest.approx(a["standard"]["raw"] - 0.11)
    assert c["standard"]["fp"] == 1


def test_nab_scores_rejects_misaligned_or_nan(nab_folder):
    data, windows = load_nab(nab_folder), load_windows(nab_folder)
    with pytest.raises(ValueError, match="catA/one.csv"):
        nab_scores({"catA/one.csv": np.zeros(5)}, data, windows)
    bad = np.zeros(len(data["catA/one.csv"]))
    bad[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        nab_scores({"catA/one.csv": bad}, data, windows)
    with pytest.raises(ValueError, match="unknown NAB profile"):
        nab_scores({"catA/one.csv": np.zeros(len(bad))}, data, windows, ["nope"])


def test_write_nab_results_layout(nab_folder, tmp_path):
    data, windows = load_nab(nab_folder), load_windows(nab_folder)
    scores = {k: np.linspace(0, 1, len(v)) for k, v in data.items()}
    out = tmp_path / "results"
    paths = write_nab_results(out, "mydet", data, scores, windows)
    assert out / "mydet" / "catA" / "mydet_two.csv" in paths
    frame = pd.read_csv(out / "mydet" / "catA" / "mydet_two.csv")
    assert list(frame.columns) == ["timestamp", "value", "anomaly_score", "label"]
    assert frame["label"].sum() == 20 + 30
    assert frame["label"].iloc[100] == 1 and frame["label"].iloc[99] == 0
    assert frame["timestamp"].iloc[0] == "2020-01-01 00:00:00"
    np.testing.assert_allclose(frame["anomaly_score"].to_numpy(), scores["catA/two.csv"], rtol=1e-12)
    with pytest.raises(ValueError, match="_"):
        write_nab_results(out, "my_det", data, scores, windows)


def test_event_prf_counts_runs_once():
    ts = pd.date_range("2021-01-01", periods=20, freq="h")
    data = {"c/f.csv": pd.DataFrame({"timestamp": ts, "value": 0.0})}
    windows = {"c/f.csv": [(ts[5], ts[7]), (ts[12], ts[14])]}
    det = np.zeros(20, dtype=bool)
    det[[6, 7]] = True  # window 1 detected twice: one TP
    det[[1, 2, 3]] = True  # one run outside: one FP
    det[[9, 11]] = True  # two separate rows outside: two FPs
    got = event_prf({"c/f.csv": det}, data, windows, probation_percent=0.0)
    assert (got["tp"], got["fp"], got["fn"]) == (1, 3, 1)
    assert got["precision"] == pytest.approx(0.25)
    assert got["recall"] == pytest.approx(0.5)
    assert got["f1"] == pytest.approx(2 * 0.25 * 0.5 / 0.75)


@pytest.mark.slow
def test_windowed_gaussian_reproduces_published_scoreboard():
    """NAB v1.1 scoreboard for windowedGaussian: 39.6 / 20.9 / 47.4 (standard / low FP / low FN).

    NAB's committed results files kept 12 significant digits; with ``score_digits=12`` the
    raw totals equal those in ``results/windowedGaussian/*_scores.csv`` (-24.0131054891,
    -67.5862728866, -67.0131054891).
    """
    if not (NAB_DIR / "labels" / "combined_windows.json").exists():
        pytest.skip("NAB corpus not available under ../shared/data/nab")
    from govperf_ml.evaluation.nab_baselines import windowed_gaussian_scores

    data, windows = load_nab(NAB_DIR), load_windows(NAB_DIR)
    scores = {k: windowed_gaussian_scores(v["value"].to_numpy()) for k, v in data.items()}
    res = nab_scores(scores, data, windows, score_digits=12)
    assert res["standard"]["raw"] == pytest.approx(-24.0131054891, abs=1e-8)
    assert res["reward_low_FP_rate"]["raw"] == pytest.approx(-67.5862728866, abs=1e-8)
    assert res["reward_low_FN_rate"]["raw"] == pytest.approx(-67.0131054891, abs=1e-8)
    assert (res["standard"]["tp"], res["standard"]["fp"], res["standard"]["fn"]) == (521, 409, 32974)
    assert res["standard"]["score"] == pytest.approx(39.6, abs=0.1)
    assert res["reward_low_FP_rate"]["score"] == pytest.approx(20.9, abs=0.1)
    assert res["reward_low_FN_rate"]["score"] == pytest.approx(47.4, abs=0.1)
