"""The command line end to end on the sample city, in a temporary MLflow store."""

from functools import partial

import pandas as pd
import pytest
from typer.testing import CliRunner

from govperf_ml import sample_city
from govperf_ml.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("GOVPERF_HOME", str(home))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    mp.delenv("GOVPERF_MLFLOW_TRACKING_URI", raising=False)
    # `train all` on the sample city, as it runs without files, but a one-district city and
    # 84 generated messages beside the bundled feedback corpus (not 3,360): the same code and
    # all four models, without two and a half minutes of training and sentence encoding
    with pytest.MonkeyPatch.context() as small:
        small.setattr(sample_city, "make_sample_city", partial(sample_city.make_sample_city, n_districts=1))
        small.setattr(sample_city, "load_training_corpus", partial(sample_city.load_training_corpus, n_zh=70, n_en=14))
        res = runner.invoke(app, ["train", "all"])
    assert res.exit_code == 0, res.output
    yield home
    mp.undo()


def test_train_registers_all_and_only_missing_is_noop(trained):
    res = runner.invoke(app, ["models"])
    assert res.exit_code == 0
    for cap in ("anomaly", "forecast", "targets", "feedback"):
        assert cap in res.output
    again = runner.invoke(app, ["train", "all", "--only-missing"])
    assert again.exit_code == 0 and "nothing to train" in again.output


def test_score_each_capability_from_files(trained, tmp_path):
    files = tmp_path / "city"
    assert runner.invoke(app, ["sample-city", "--out", str(files)]).exit_code == 0
    series = pd.read_csv(files / "series.csv")
    one = series[series["unique_id"] == series["unique_id"].iloc[0]]
    one.to_csv(tmp_path / "one.csv", index=False)
    out = tmp_path / "scored.csv"
    res = runner.invoke(app, ["score", "anomaly", "-i", str(tmp_path / "one.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    scored = pd.read_csv(out)
    assert len(scored) == len(one) and scored["model_version"].str.startswith("govperf-anomaly/").all()

    demand = pd.read_csv(files / "demand.csv")
    demand[demand["unique_id"] == demand["unique_id"].iloc[0]].to_csv(tmp_path / "d.csv", index=False)
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "d.csv"), "--h", "7", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 7

    res = runner.invoke(app, ["score", "targets", "-i", str(files / "series.csv"), "--targets", str(files / "targets.csv"),
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["status"].isin(["green", "amber", "red"]).all()

    pd.DataFrame({"text": ["垃圾站臭气熏天，电话13812345678"]}).to_csv(tmp_path / "m.csv", index=False)
    res = runner.invoke(app, ["score", "feedback", "-i", str(tmp_path / "m.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    tagged = pd.read_csv(out)
    assert "13812345678" not in tagged.to_csv()


def test_bad_input_is_one_clear_line(trained, tmp_path):
    pd.DataFrame({"unique_id": ["a"], "ds": ["yesterday"], "y": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(app, ["score", "anomaly", "-i", str(tmp_path / "bad.csv")])
    assert res.exit_code == 2
    assert "'ds'" in res.output and "Traceback" not in res.output


def test_train_and_score_a_forecaster_with_an_exogenous_column(tmp_path, monkeypatch):
    from tests.unit.forecasting.test_exog import CUT, campaigns

    monkeypatch.setenv("GOVPERF_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("GOVPERF_MLFLOW_TRACKING_URI", raising=False)
    df = campaigns(n_series=3)
    df[df["ds"] < CUT].to_csv(tmp_path / "demand.csv", index=False)
    df[df["ds"] >= CUT].drop(columns="y").to_csv(tmp_path / "future.csv", index=False)
    res = runner.invoke(app, ["train", "forecast", "--demand", str(tmp_path / "demand.csv"), "--exog", "campaign"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "fc.csv"
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "demand.csv"), "--h", "7",
                              "--future", str(tmp_path / "future.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 21
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "demand.csv"), "--h", "7"])
    assert res.exit_code == 2 and "--future" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["train", "forecast", "--exog", "campaign"])
    assert res.exit_code == 2 and "--demand" in res.output


def test_the_installed_command_adds_the_service_to_the_library_commands():
    from api.cli import app as service_app

    names = {c.name or c.callback.__name__ for c in service_app.registered_commands}
    assert {"serve", "train", "score", "bench", "sample-city", "demo"} <= names
    assert "models" in {g.name for g in service_app.registered_groups}
    assert "rollback" in runner.invoke(service_app, ["models", "--help"]).output
    assert "serve" not in {c.name or c.callback.__name__ for c in app.registered_commands}
    assert "Serve the API" in runner.invoke(service_app, ["serve", "--help"]).output


def test_models_promote_and_rollback(mlflow_home):
    from tests.integration.test_registry import _tiny

    assert runner.invoke(app, ["models"]).exit_code == 0  # nothing registered yet: says so
    _tiny(mase=1.0)
    _tiny(mase=2.0)  # v2: worse, not champion
    res = runner.invoke(app, ["models", "promote", "forecast", "2"])
    assert res.exit_code == 0, res.output
    assert "govperf-forecast: champion v1 -> v2 (promote)" in res.output
    listing = runner.invoke(app, ["models"])  # alone it still lists, as `models list` does
    assert listing.exit_code == 0 and "forecast" in listing.output
    assert listing.output == runner.invoke(app, ["models", "list"]).output
    res = runner.invoke(app, ["models", "rollback", "govperf-forecast"])
    assert res.exit_code == 0 and "v2 -> v1 (rollback)" in res.output
    for args, words in ((["promote", "forcast", "1"], "unknown model 'forcast'"),
                        (["promote", "forecast", "9"], "no version '9'"),
                        (["rollback", "forecast"], "no earlier champion")):
        res = runner.invoke(app, ["models", *args])
        said = " ".join(res.output.split())  # rich wraps the one line at the terminal's width
        assert res.exit_code == 2 and words in said and "Traceback" not in said, res.output
        assert said.startswith("error:") and said.count("error:") == 1
