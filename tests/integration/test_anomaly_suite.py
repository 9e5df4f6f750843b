"""``govperf bench anomaly --suite ROOT`` end to end on tiny fixture corpora built here."""

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from govperf_ml.cli import app
from tests.integration.test_benches import monthly_folder

RESULT_KEYS = {"seconds", "nab_standard", "nab_low_fp", "nab_low_fn", "loco_nab_standard", "gutentag_vus_pr",
               "gutentag_event_f1", "monthly_event_f1", "monthly_vus_pr", "sample_city_event_f1",
               "sample_city_vus_pr", "min_ratio_vs_best_baseline"}


def stream_folder(folder, files, n=900, seed=0):
    """A NAB-layout folder: daily-cycle series at 5-minute steps, one spike and one level shift each."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2025-01-01", periods=n, freq="5min")
    windows = {}
    for key in files:
        y = 10 + np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 0.1, n)
        y[500] += 8
        y[700:760] += 4
        path = folder / "data" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": y.round(4)}).to_csv(path, index=False)
        windows[key] = [[str(ts[a]) + ".000000", str(ts[b]) + ".000000"] for a, b in ((490, 510), (695, 760))]
    (folder / "labels").mkdir(parents=True)
    (folder / "labels" / "combined_windows.json").write_text(json.dumps(windows))
    return folder


def suite_root(tmp_path):
    stream_folder(tmp_path / "nab", ["realTraffic/a.csv", "realTweets/b.csv", "artificialWithAnomaly/c.csv"])
    stream_folder(tmp_path / "gutentag", ["sine/s1.csv", "ecg/e1.csv"], seed=1)
    (tmp_path / "gutentag" / "labels" / "kinds.json").write_text(json.dumps(
        {"sine/s1.csv": ["extremum", "mean"], "ecg/e1.csv": ["extremum", "mean"]}))
    (tmp_path / "monthly_public").mkdir()
    monthly_folder(tmp_path / "monthly_public")
    return tmp_path


def test_suite_end_to_end_via_cli(tmp_path):
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(suite_root(tmp_path)), "--quick"])
    assert res.exit_code == 0, res.output
    for title in ("NAB: every detector", "GutenTAG: every detector", "monthly: every detector",
                  "sample city: every detector", "NAB per category", "per kind", "Summary", "LOCO choices"):
        assert title in res.output
    for name in ("served (ours)", "windowed Gaussian (NAB)", "robust seasonal z-score", "HBOS (dtaianomaly)",
                 "KNN (dtaianomaly)", "LOF (dtaianomaly)"):
        assert name in res.output
    summary = json.loads(res.output.strip().splitlines()[-1].removeprefix("RESULT "))
    assert set(summary) == RESULT_KEYS
    for key in ("gutentag_vus_pr", "monthly_vus_pr", "monthly_event_f1", "sample_city_event_f1"):
        assert 0 <= summary[key] <= 1
    assert -100 <= summary["loco_nab_standard"] <= 100 and summary["nab_standard"] <= 100
    assert summary["gutentag_event_f1"] > 0  # obvious spikes and shifts: the served stream finds some


def test_write_defaults_writes_the_all_corpora_choice_and_the_bench_shows_the_served_one(tmp_path):
    from govperf_ml.anomaly import AnomalyPipeline
    from govperf_ml.anomaly.defaults import load_defaults

    out = tmp_path / "defaults.json"
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(suite_root(tmp_path / "root")), "--quick",
                                   "--write-defaults", str(out)])
    assert res.exit_code == 0, res.output
    doc = load_defaults(out)
    assert doc["chosen_on"] == ["NAB", "GutenTAG", "monthly", "sample city"] and doc["quick"] is True
    assert set(doc["figures"]) == set(doc["leave_one_out"]) == set(doc["chosen_on"])
    assert 0 <= doc["figures"]["GutenTAG"]["event_f1"] <= 1 and "nab_standard" in doc["figures"]["NAB"]
    assert "nab_standard" not in doc["figures"]["monthly"]
    flat = " ".join(res.output.split())
    assert "Served default vs LOCO and in-corpus" in flat and f"defaults written to {out}" in flat.replace("\n", "")
    for col in ("F1 served", "F1 LOCO", "F1 in-corpus", "NAB std served"):
        assert col in res.output
    pipe = AnomalyPipeline(defaults=out).fit(pd.DataFrame({"unique_id": "a", "ds": pd.date_range(
        "2025-01-01", periods=3, freq="MS"), "y": [1.0, 2.0, 3.0]}))
    setting = doc["setting"]
    assert (pipe.stream_ is None) == (setting["stream"] == "off")
    if pipe.stream_ is not None:
        assert (pipe.stream_.base, pipe.stream_.suppress) == (setting["base"], setting["suppress"])
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(tmp_path / "root"), "--write-defaults",
                                   str(tmp_path / "no" / "d.json")])
    assert res.exit_code == 2 and "folder" in res.output and "not found" in res.output


def test_missing_or_malformed_corpus_is_one_line_exit_2(tmp_path):
    root = suite_root(tmp_path)
    bad = root / "nab" / "data" / "realTraffic" / "a.csv"
    pd.DataFrame({"timestamp": ["2025-01-01 00:00:00"], "reading": [1.0]}).to_csv(bad, index=False)
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(root), "--quick"])
    flat = res.output.replace("\n", "")  # the console wraps one line at its width
    assert res.exit_code == 2 and flat.count("error:") == 1 and "a.csv: expected columns timestamp,value" in flat
    (root / "gutentag" / "labels" / "combined_windows.json").unlink()
    bad.unlink()
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(root), "--quick"])
    assert res.exit_code == 2 and "gutentag/labels/combined_windows.json not found" in res.output.replace("\n", "")
    res = CliRunner().invoke(app, ["bench", "anomaly", "--suite", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "nowhere: not a folder" in " ".join(res.output.split())
