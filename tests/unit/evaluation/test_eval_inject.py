"""The seeded injector: same seed same output, labels where the values changed, clear errors."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.evaluation.inject import KINDS, InjectionConfig, inject


def _panel(n_series=12, n=96, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2015-01-01", periods=n, freq="MS")
    parts = [pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds,
                           "y": 200 + 20 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 3, n)})
             for i in range(n_series)]
    return pd.concat(parts, ignore_index=True)


def _dirs(df):
    return {u: ("higher" if i % 2 else "lower") for i, u in enumerate(df.unique_id.unique())}


def test_same_seed_same_output_other_seed_other_output():
    df = _panel()
    cfg = {"events": {"spike": 3, "units_error": 2, "missing": 2}, "seed": 5, "min_history": 24}
    a, b = inject(df, cfg, directions=_dirs(df)), inject(df, cfg, directions=_dirs(df))
    pd.testing.assert_frame_equal(a.series, b.series)
    pd.testing.assert_frame_equal(a.labels, b.labels)
    c = inject(df, cfg | {"seed": 6}, directions=_dirs(df))
    assert not c.labels.equals(a.labels)


def test_labels_mark_exactly_the_changed_values_and_absent_rows():
    df = _panel()
    cfg = InjectionConfig(events={k: 2 for k in KINDS}, seed=1, min_history=24)
    out = inject(df, cfg, directions=_dirs(df))
    assert set(out.labels.columns) >= {"unique_id", "ds", "kind", "event_id"}
    merged = df.merge(out.series, on=["unique_id", "ds"], how="left", suffixes=("", "_new"))
    changed = merged[~np.isclose(merged.y, merged.y_new)]  # NaN y_new (absent rows) counts as changed
    lab = out.labels.set_index(["unique_id", "ds"])
    assert pd.MultiIndex.from_frame(changed[["unique_id", "ds"]]).isin(lab.index).all()
    missing = out.labels[out.labels.kind == "missing"]
    assert len(missing) == 2 and merged.y_new.isna().sum() == 2  # absent rows, not blanks
    assert not out.series.y.isna().any()
    units = out.events[out.events.kind == "units_error"]
    assert set(units.magnitude) <= {10.0, 0.1, 100.0}
    # spikes go up only on lower-is-better series, dips down only on higher-is-better ones
    for kind, bad in (("spike", "lower"), ("dip", "higher")):
        uids = out.events.loc[out.events.kind == kind, "unique_id"]
        assert all(_dirs(df)[u] == bad for u in uids)
    assert len(out.targets) == len(out.events[out.events.kind == "bunching"])


def test_unknown_kind_and_key_are_contract_errors_naming_them():
    with pytest.raises(DataContractError, match="unknown anomaly kind.*'meteor'") as err:
        inject(_panel(2), {"events": {"spike": 1, "meteor": 2}})
    assert err.value.field == "events"
    with pytest.raises(DataContractError, match="unknown key.*'sed'"):
        InjectionConfig.from_dict({"sed": 3})
