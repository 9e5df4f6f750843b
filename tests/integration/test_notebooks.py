"""Analysts' notebooks (jupytext percent files) run top to bottom without error."""

import runpy
from functools import partial
from pathlib import Path

import pytest

from govperf_ml import sample_city

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # every cell on a two-district city (city and district series, so the hierarchy still
    # reconciles): the same code as on the full city, at a fraction of the fitting time
    monkeypatch.setattr(sample_city, "make_sample_city", partial(sample_city.make_sample_city, n_districts=2))
    runpy.run_path(str(path), run_name="__main__")
