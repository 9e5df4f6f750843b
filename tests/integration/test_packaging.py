"""A normal (non-editable) wheel install works on its own: package data travels with it."""

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent(
    """
    import sys
    from importlib import metadata
    from pathlib import Path

    import govperf_ml, api
    target = Path(sys.argv[1]).resolve()
    for module in (govperf_ml, api):
        assert Path(module.__file__).resolve().is_relative_to(target), module.__file__
    assert metadata.version("govperf-ml") == govperf_ml.__version__
    assert (Path(api.__file__).parent / "alembic.ini").is_file()

    import pandas as pd
    from govperf_ml import training
    from govperf_ml.feedback.taxonomy import load_taxonomy
    from govperf_ml.sample_city import load_feedback_corpus

    taxonomy = load_taxonomy()
    model = training.train_feedback(load_feedback_corpus().groupby("area").head(20)).estimator  # the data travels; not accuracy
    out = model.classify(pd.DataFrame({"message_id": ["m1"], "text": ["公交车晚点一个多月了，司机态度很差"]}))
    assert set(out.loc[0, "dimension_probabilities"]) <= set(taxonomy.dimensions), out.loc[0]
    assert out.loc[0, "dimension_probabilities"], "the dimension tagger found no taxonomy"
    print("WHEEL-OK", out.loc[0, "area"])
    """
)


@pytest.mark.slow
def test_wheel_installs_and_classifies_a_message(tmp_path):
    # built from a copy: setuptools' build/ folder in the checkout would otherwise carry
    # modules deleted since the last build into the wheel
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("govperf_ml", "api"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(dist), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("govperf_ml-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "govperf_ml/data/taxonomy.yaml" in names and "api/alembic.ini" in names
    assert "api/console/templates/review.html" in names and "api/console/static/console.js" in names
    assert "api/migrations/versions/0006_users.py" in names
    assert any(n.endswith("licenses/LICENSE") for n in names), "the licence travels with the wheel"
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target), "GOVPERF_HOME": str(tmp_path)}
    env.pop("GOVPERF_TAXONOMY", None)
    run = subprocess.run([sys.executable, "-c", CHECK, str(target)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "WHEEL-OK" in run.stdout, run.stderr[-3000:]
