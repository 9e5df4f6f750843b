"""The served stream defaults come from the suite's defaults file: read, checked, followed."""

import json

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.anomaly.defaults import DEFAULTS_FILE, default_stream, load_defaults
from govperf_ml.anomaly.stream import StreamingEnsemble
from govperf_ml.anomaly.stream_gaussian import WindowedGaussian
from govperf_ml.contracts import DataContractError
from tests.unit.anomaly.test_anom_pipeline_streams import frames

SUITE = {"NAB", "GutenTAG", "monthly", "sample city"}


def doc(**setting):
    base = {"stream": "gaussian", "base": 0.25, "suppress": 60, "z_threshold": 3.5}
    return {"setting": base | setting, "chosen_on": sorted(SUITE), "rule": "test", "date": "2026-12-03",
            "figures": {}}


def write(tmp_path, content):
    path = tmp_path / "defaults.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_committed_file_is_a_choice_over_every_corpus():
    d = load_defaults()
    assert set(d["chosen_on"]) == SUITE and not d.get("quick")
    assert set(d["figures"]) == SUITE
    assert d["setting"]["stream"] in ("ensemble", "gaussian", "off")


def test_the_pipeline_serves_what_the_committed_file_says():
    setting = load_defaults()["setting"]
    stream = AnomalyPipeline().fit(frames()).stream_
    if setting["stream"] == "off":
        assert stream is None
    else:
        assert type(stream) is {"ensemble": StreamingEnsemble, "gaussian": WindowedGaussian}[setting["stream"]]
        assert (stream.base, stream.suppress) == (setting["base"], setting["suppress"])
        assert stream.own_quantile == setting.get("own_quantile", 0.0)


def test_routing_follows_the_file(tmp_path):
    df = frames()
    for kind, cls in (("gaussian", WindowedGaussian), ("ensemble", StreamingEnsemble)):
        pipe = AnomalyPipeline(defaults=write(tmp_path, doc(stream=kind, base=0.4, suppress=60,
                                                            own_quantile=0.999))).fit(df)
        assert type(pipe.stream_) is cls and pipe.stream_.base == 0.4 and pipe.stream_.suppress == 60
        assert pipe.stream_.alarm_.own_quantile == 0.999
        out = pipe.score(df)
        flagged = out[out["unique_id"].eq("hall|visits_5min") & out["is_anomaly"]]
        assert pd.Timestamp("2024-01-07 22:40") in set(flagged["ds"])  # the spike, found by the stream
        assert any("stream" in d for d in flagged["detectors"])
    off = AnomalyPipeline(defaults=write(tmp_path, doc(stream="off"))).fit(df)
    assert off.stream_ is None
    out = off.score(df)
    assert not any("stream" in d for d in out.loc[out["unique_id"].eq("hall|visits_5min"), "detectors"])


def test_an_explicit_stream_detector_wins_over_the_file(tmp_path):
    pipe = AnomalyPipeline(stream=WindowedGaussian(base=0.5), defaults=write(tmp_path, doc(stream="off")))
    assert pipe.fit(frames()).stream_.base == 0.5
    assert AnomalyPipeline(stream=False, defaults=tmp_path / "absent.json").fit(frames()).stream_ is None


@pytest.mark.parametrize("content, field, message", [
    ("{not json", "anomaly_defaults.file", "not valid JSON"),
    ("[1, 2]", "anomaly_defaults.file", "must be a JSON object"),
    ({k: v for k, v in doc().items() if k != "setting"}, "anomaly_defaults.setting", "lacks 'setting'"),
    (doc() | {"chosen_on": ["NAB"]}, "anomaly_defaults.chosen_on", "at least two"),
    (doc(stream="lstm"), "anomaly_defaults.setting.stream", "setting.stream must be one of"),
    (doc(base=1.2), "anomaly_defaults.setting.base", r"setting.base must be a number in \(0, 1\)"),
    (doc(base="0.3"), "anomaly_defaults.setting.base", "setting.base"),
    (doc(suppress=-1), "anomaly_defaults.setting.suppress", "setting.suppress"),
    (doc(suppress=12.5), "anomaly_defaults.setting.suppress", "setting.suppress"),
    (doc(z_threshold=-2), "anomaly_defaults.setting.z_threshold", "setting.z_threshold"),
    (doc(own_quantile=1.0), "anomaly_defaults.setting.own_quantile", r"setting.own_quantile must be a number in \[0, 1\)"),
])
def test_a_malformed_file_is_a_clear_error(tmp_path, content, field, message):
    path = write(tmp_path, content)
    with pytest.raises(DataContractError, match=message) as err:
        load_defaults(path)
    assert err.value.field == field and str(path) in str(err.value)
    with pytest.raises(DataContractError, match=message):
        AnomalyPipeline(defaults=path).fit(frames())


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(DataContractError, match="absent.json: not found"):
        default_stream(tmp_path / "absent.json")
    assert DEFAULTS_FILE.name == "anomaly_defaults.json" and DEFAULTS_FILE.is_file()
    assert np.isfinite(load_defaults(DEFAULTS_FILE)["setting"]["base"])
