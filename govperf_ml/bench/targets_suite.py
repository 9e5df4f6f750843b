"""Targets suite: does the risk model stay calibrated on data unlike what it learned from?

Episodes of every corpus (see :mod:`govperf_ml.bench.target_corpora`) are scored twice:

* **in-corpus**: grouped 5-fold cross-validation by series inside the corpus;
* **leave-one-corpus-out (LOCO)**: trained on the episodes of the *other* corpora only,
  with the setting (features, monotone constraints, calibration map, shrinkage strength)
  chosen without the held-out corpus: for held-out corpus *i*, each candidate is trained
  on all corpora but *i* and *j* and scored on *j*, for every *j ≠ i*; the candidate with
  the lowest mean Brier score over those *j* is refitted on all but *i* and scored on *i*.

Baselines: the linear-pace rule and persistence (miss rate per status; in-corpus learned
out-of-fold, LOCO learned on the other corpora) and the raw empirical probability. Brier
skill is against the in-corpus pace rule in both columns (the rule as a department with
past targets of its own would fit it), so LOCO skill is the harder figure.
"""

from __future__ import annotations

import time
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from govperf_ml.bench import BenchResult
from govperf_ml.bench.target_corpora import CORPORA, suite_episodes
from govperf_ml.bench.targets import pace_status, persistence_status
from govperf_ml.evaluation.metrics import brier_score, brier_skill_score, expected_calibration_error, reliability_table
from govperf_ml.targets.calibration import shrink
from govperf_ml.targets.features import ALL_FEATURES
from govperf_ml.targets.risk import TargetRiskModel

CORE = ("p_empirical", "z_gap", "gap_to_target", "gap_recent", "volatility", "trend", "drift", "higher")
# model settings (one fit each per split); shrinkage strengths are applied on top, no refit
SETTINGS = {
    "served": {},
    "no_monotone": {"monotone": False},
    "core_features": {"features": CORE},
    "isotonic": {"calibration": "isotonic"},
    "sigmoid": {"calibration": "sigmoid"},
}
# candidates that use the forecaster's probability (episodes built with ``forecast``)
FORECAST_SETTINGS = {"forecast_feature": {"features": ALL_FEATURES}}
CANDIDATES = {**SETTINGS, **FORECAST_SETTINGS}
STRENGTHS = (0.0, 1.0, 4.0, 16.0)
REFERENCES = ("auto", "empirical", "pace", "prior")
FORECAST_REFERENCES = ("forecast",)  # as "auto", with p_forecast where few past origins
DEFAULT = (TargetRiskModel().shrink_towards, float(TargetRiskModel().shrink_strength))  # what is served
MODELS = {"ours (setting chosen on the other corpora)": "ours",
          "ours without the forecaster (chosen among the rest)": "without", "ours, served default": "default",
          "classifier alone (no calibration, no shrinking)": "classifier", "pace rule": "pace",
          "persistence": "persistence"}


def loco_splits(corpus) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(held-out corpus, train rows, test rows) for each corpus: train on all the others."""
    corpus = np.asarray(corpus)
    return [(c, np.flatnonzero(corpus != c), np.flatnonzero(corpus == c)) for c in pd.unique(corpus)]


def selection_pairs(names) -> list[tuple[str, str]]:
    """Unordered pairs (i, j) of corpora: a model trained without both serves to choose the
    setting for i (scored on j) and for j (scored on i)."""
    return list(combinations(sorted(names), 2))


def rate_by_status(status: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray) -> np.ndarray:
    """Miss rate of each status on rows ``tr`` (Laplace-smoothed), for rows ``te``."""
    r = pd.Series(y[tr]).groupby(status[tr]).agg(["sum", "count"])
    rate = (r["sum"] + 1) / (r["count"] + 2)
    return pd.Series(status[te]).map(rate).fillna(y[tr].mean()).to_numpy(float)


def uses_forecaster(setting: str, towards: str) -> bool:
    """Whether a candidate needs the forecaster's probability."""
    return setting in FORECAST_SETTINGS or towards in FORECAST_REFERENCES


class Suite:
    """The episodes with their labels, and every fit of the suite (kept for reuse)."""

    def __init__(self, ep: pd.DataFrame):
        self.ep = ep.reset_index(drop=True)
        self.y = self.ep["missed"].to_numpy(int)
        self.corpus = self.ep["corpus"].to_numpy()
        self.series = self.ep["unique_id"].to_numpy()
        self.pace = pace_status(self.ep)
        self.persist = persistence_status(self.ep)
        self.forecast = "p_forecast" in self.ep
        self.references = REFERENCES + (FORECAST_REFERENCES if self.forecast else ())

    def predict(self, setting: str, tr: np.ndarray, te: np.ndarray, groups: np.ndarray) -> dict[float, np.ndarray]:
        """Probabilities on ``te`` of the setting trained on ``tr``, per (reference, shrinkage
        strength); strength 0 is filed under every reference."""
        model = TargetRiskModel(**CANDIDATES[setting]).fit_features(self.ep.iloc[tr], self.y[tr], groups=groups[tr])
        X = self.ep.iloc[te]
        raw = model.predict_features(X)
        p_pace = rate_by_status(self.pace, self.y, tr, te)
        out = {}
        for k in STRENGTHS:
            w = model.familiarity_.weight(X, strength=k)[0]
            for ref in self.references:
                out[(ref, k)] = shrink(raw, model.reference(X, p_pace, towards=ref), w)
        return out

    def choose(self, names, settings=tuple(SETTINGS)) -> pd.DataFrame:
        """Mean Brier on the other corpora of every candidate for each held-out corpus (see
        the module doc), also relative to the classifier alone on each other corpus."""
        rows = []
        for a, b in selection_pairs(names):
            tr = np.flatnonzero((self.corpus != a) & (self.corpus != b))
            te = np.flatnonzero((self.corpus == a) | (self.corpus == b))
            for s in settings:
                for (ref, k), p in self.predict(s, tr, te, self.corpus).items():
                    for held, scored in ((a, b), (b, a)):
                        m = self.corpus[te] == scored
                        rows.append((held, scored, s, ref, k, brier_score(p[m], self.y[te][m])))
        table = pd.DataFrame(rows, columns=["held_out", "scored_on", "setting", "towards", "strength", "brier"])
        alone = table[(table["setting"] == "served") & (table["strength"] == 0)].groupby(["held_out", "scored_on"])
        table["relative_brier"] = table["brier"] / table.set_index(["held_out", "scored_on"]).index.map(
            alone["brier"].first())
        keys = ["held_out", "setting", "towards", "strength"]
        return table.groupby(keys, as_index=False)[["brier", "relative_brier"]].mean()

    def _fill(self, out: dict, picks: dict, tr: np.ndarray, te: np.ndarray, groups: np.ndarray) -> None:
        """Fill rows ``te`` of every model trained on ``tr``; ``picks``: model key -> (setting,
        (towards, strength)). Each setting is fitted once."""
        fits = {}

        def fit(setting):
            if setting not in fits:
                fits[setting] = self.predict(setting, tr, te, groups)
            return fits[setting]

        for key, (setting, ref) in picks.items():
            out[key][te] = fit(setting)[ref]
        out["default"][te] = fit("served")[DEFAULT]
        out["classifier"][te] = fit("served")[("pace", 0.0)]
        out["pace"][te] = rate_by_status(self.pace, self.y, tr, te)
        out["persistence"][te] = rate_by_status(self.persist, self.y, tr, te)

    def loco(self, chosen: dict) -> dict[str, np.ndarray]:
        """Out-of-corpus probabilities of ours (``chosen``: model key -> held-out corpus ->
        pick), the served default and the baselines."""
        out = {k: np.empty(len(self.y)) for k in MODELS.values()}
        for c, tr, te in loco_splits(self.corpus):
            self._fill(out, {key: picks[c] for key, picks in chosen.items()}, tr, te, self.corpus)
        return out

    def in_corpus(self, chosen: dict, n_splits: int = 5) -> dict[str, np.ndarray]:
        """Grouped-by-series cross-validated probabilities inside each corpus."""
        out = {k: np.empty(len(self.y)) for k in MODELS.values()}
        for c, _, idx in loco_splits(self.corpus):
            k = min(n_splits, len(np.unique(self.series[idx])))
            for tr, te in GroupKFold(n_splits=k).split(idx, groups=self.series[idx]):
                self._fill(out, {key: picks[c] for key, picks in chosen.items()}, idx[tr], idx[te], self.series)
        return out


def pick(selection: pd.DataFrame, *, forecaster: bool = True) -> dict:
    """Held-out corpus -> (setting, (towards, strength)) with the lowest mean relative Brier
    (``forecaster=False``: among the candidates that do not use the forecaster)."""
    if not forecaster:
        keep = [not uses_forecaster(s, t) for s, t in zip(selection["setting"], selection["towards"])]
        selection = selection[keep]
    best = selection.loc[selection.groupby("held_out")["relative_brier"].idxmin()]
    return {r.held_out: (r.setting, (r.towards, float(r.strength))) for r in best.itertuples()}


def _scores(p: np.ndarray, y: np.ndarray, p_ref: np.ndarray) -> tuple[float, float, float]:
    return brier_score(p, y), brier_skill_score(p, y, p_ref), expected_calibration_error(p, y, n_bins=10)


RAW = {"empirical probability (raw)": "p_empirical", "forecaster's probability (raw, AutoETS paths)": "p_forecast"}


def corpus_table(suite: Suite, runs: dict[str, dict[str, np.ndarray]], rows_of=None) -> pd.DataFrame:
    """One row per corpus and model: Brier, skill vs the in-corpus pace rule, ECE, in-corpus
    and LOCO side by side (``rows_of``: a boolean mask of the episodes scored, e.g. the
    short histories; all by default)."""
    rows = []
    ref = runs["in-corpus"]["pace"]
    mask = np.ones(len(suite.y), bool) if rows_of is None else np.asarray(rows_of, bool)
    for c, _, idx in loco_splits(suite.corpus):
        idx = idx[mask[idx]]
        if len(idx) == 0:
            continue
        y = suite.y[idx]
        for label, key in MODELS.items():
            row = {"corpus": c, "model": label, "episodes": len(idx)}
            for regime, short in (("in-corpus", "in"), ("loco", "loco")):
                b, k, e = _scores(runs[regime][key][idx], y, ref[idx])
                row.update({f"brier_{short}": b, f"skill_{short}": k, f"ece_{short}": e})
            rows.append(row)
        for label, column in RAW.items():
            if column in suite.ep:
                b, k, e = _scores(suite.ep[column].to_numpy(float)[idx], y, ref[idx])
                rows.append({"corpus": c, "model": label, "episodes": len(idx), "brier_in": b, "skill_in": k,
                             "ece_in": e, "brier_loco": b, "skill_loco": k, "ece_loco": e})
    return pd.DataFrame(rows)


def reliability(suite: Suite, loco: dict[str, np.ndarray]) -> pd.DataFrame:
    """Reliability per corpus of ours (chosen) and the served default (10 equal-width
    bins, empty bins left out)."""
    parts = []
    for c, _, idx in loco_splits(suite.corpus):
        for key in ("ours", "default"):
            t = reliability_table(loco[key][idx], suite.y[idx], n_bins=10).query("count > 0")
            parts.append(t.assign(corpus=c, model=key)[["corpus", "model", "bin", "p_mean", "y_rate", "count"]])
    return pd.concat(parts, ignore_index=True)


def _summary(table: pd.DataFrame, model: str, tag: str = "") -> dict:
    ours = table[table["model"] == model].set_index("corpus")
    pace = table[table["model"] == "pace rule"].set_index("corpus")
    return {
        f"min_skill_loco{tag}": round(float(ours["skill_loco"].min()), 4),
        f"max_ece_loco{tag}": round(float(ours["ece_loco"].max()), 4),
        f"min_skill_in{tag}": round(float(ours["skill_in"].min()), 4),
        f"max_ece_in{tag}": round(float(ours["ece_in"].max()), 4),
        f"worse_calibrated_than_pace_loco{tag}": sorted(c for c in ours.index
                                                        if ours.loc[c, "ece_loco"] > pace.loc[c, "ece_loco"]),
        **{f"skill_loco{tag}_{c}": round(float(ours.loc[c, "skill_loco"]), 4) for c in ours.index},
        **{f"skill_in{tag}_{c}": round(float(ours.loc[c, "skill_in"]), 4) for c in ours.index},
        **{f"ece_loco{tag}_{c}": round(float(ours.loc[c, "ece_loco"]), 4) for c in ours.index},
    }


def run(data, *, corpora=tuple(CORPORA), max_series: int | None = 150, seed: int = 0,
        settings=tuple(SETTINGS), forecast: bool = True, short_share: float = 0.0) -> BenchResult:
    """The suite on the dataset root ``data`` (see :mod:`govperf_ml.bench.target_corpora`);
    with ``forecast``, the forecaster's probability is a candidate input and shrinkage
    reference, and ours is reported both with and without it; ``short_share`` of each
    corpus's series are seen over a short history only (3 past origins)."""
    t0 = time.perf_counter()
    suite = Suite(suite_episodes(data, corpora, max_series=max_series, seed=seed, forecast=forecast,
                                 short_share=short_share))
    settings = tuple(settings) + (tuple(FORECAST_SETTINGS) if forecast else ())
    selection = suite.choose(corpora, settings)
    chosen = {"ours": pick(selection), "without": pick(selection, forecaster=False)}
    runs = {"in-corpus": suite.in_corpus(chosen), "loco": suite.loco(chosen)}
    table = corpus_table(suite, runs)
    labels = {v: k for k, v in MODELS.items()}
    summary = {**_summary(table, labels["ours"]), **_summary(table, labels["without"], "_noforecast"),
               **_summary(table, labels["default"], "_default"), "episodes": int(len(suite.y))}
    tables = _tables(suite, runs, chosen, selection, table)
    if short_share > 0:
        short = corpus_table(suite, runs, suite.ep["short_history"].to_numpy(bool))
        tables.insert(1, ("Short-history episodes only (3 past origins)", short))
        summary.update({**_summary(short, labels["ours"], "_short"),
                        **_summary(short, labels["without"], "_short_noforecast")})
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return BenchResult(tables, summary, _notes(suite, corpora, max_series, seed, short_share))


def _tables(suite: Suite, runs: dict, chosen: dict, selection: pd.DataFrame, table: pd.DataFrame) -> list:
    picks = pd.DataFrame([{"held_out": c, "model": key, "setting": s, "shrink_towards": ref, "shrink_strength": k}
                          for key, by_corpus in chosen.items() for c, (s, (ref, k)) in by_corpus.items()])
    top = selection.sort_values("relative_brier").groupby("held_out").head(3)
    top = top.sort_values(["held_out", "relative_brier"])
    return [
        ("Target episodes per corpus: in-corpus (grouped 5-fold by series) vs leave-one-corpus-out; "
         "skill vs the in-corpus pace rule", table),
        ("Setting chosen for each held-out corpus on the other corpora (ours: any candidate; without: none that "
         "uses the forecaster)", picks),
        ("Best 3 candidates per held-out corpus: mean Brier on the other corpora, relative to the classifier alone",
         top),
        ("Reliability, leave-one-corpus-out (10 bins): ours (chosen) | served default",
         reliability(suite, runs["loco"])),
    ]


def _notes(suite: Suite, corpora, max_series, seed, short_share) -> list[str]:
    notes = []
    for c in corpora:
        m = suite.corpus == c
        notes.append(f"{c}: {int(m.sum())} episodes from {len(np.unique(suite.series[m]))} series (at most "
                     f"{max_series} per corpus, seed {seed}; {short_share:.0%} of them seen over a short history); "
                     f"miss rate {suite.y[m].mean():.3f}")
    notes.append(f"served default: shrink towards {DEFAULT[0]!r} with strength {DEFAULT[1]:g}, chosen on this suite's "
                 "leave-one-corpus-out figures of every corpus (not nested: the first row of each corpus is)")
    return notes
