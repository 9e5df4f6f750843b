"""The stages of :class:`~govperf_ml.anomaly.pipeline.AnomalyPipeline`'s ``score``.

Each stage is a small callable run once, in order, on one :class:`Scoring`: it adds
:class:`~govperf_ml.alerts.resolve.Finding` s (what its detector fired on, after the
stage's post-processing rule) or fills the output columns. No stage decides an alert's
kind, severity or wording: :func:`~govperf_ml.alerts.resolve.resolve` does, once, at the
end.

==================  ========================================================================
stage               does
==================  ========================================================================
EntryChecks         missing values, absent periods and blanks entered as 0 (against the main
                    expectation)
UnitsErrors         values a power of ten from the main expectation → ScoreThreshold
Deviations          main detector's z and each ensemble member's z → ThresholdRule (alarms)
AlarmRules          MinDuration, NewNormal, AlertBudget keep a subset of the alarms
Band                expected value, normal band and anomaly_score (calibrated if asked)
StreamRouting       high-frequency streams: the stream detector's alarms replace the others
PanelChecks         panel detectors → ScoreThreshold (→ improvements_only where asked)
Bunching            target bunching → ScoreThreshold on values just past a target
==================  ========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govperf_ml.alerts.explain import period_label
from govperf_ml.alerts.resolve import Finding, flagged
from govperf_ml.anomaly.units import run_starts
from govperf_ml.contracts import DS, ID, Y
from govperf_ml.postprocess.threshold import ScoreThreshold, improvements_only
from govperf_ml.vocabulary import indicator_of

MAIN_DETECTOR = "seasonal_zscore"
#: a stream's "expected" value: the median of its last this many values (no band)
STREAM_LEVEL_ROWS = 48
#: checks whose signal is an improvement: they fire only on moves in the good direction
IMPROVEMENT_ONLY = ("end_of_period_jump",)


@dataclass
class Scoring:
    """What the stages of one ``score`` call share.

    ``s`` is the main detector's frame (validated, sorted rows; every array is aligned
    with it), ``z`` the signed z-score quoted in the reasons (the ensemble may replace
    it), ``threshold`` the ThresholdRule's level (a number, or one per row with offsets).
    """

    df: pd.DataFrame
    s: pd.DataFrame
    directions: np.ndarray
    threshold: float | np.ndarray
    z: np.ndarray
    frame: pd.DataFrame | None = None
    findings: list[Finding] = field(default_factory=list)
    absent: np.ndarray | None = None
    """True on the rows added for periods absent from a regular series."""

    @classmethod
    def start(cls, df, s, directions: dict, threshold: float, offsets: dict | None,
              absent: pd.DataFrame | None = None) -> Scoring:
        dirs = s[ID].map(directions).to_numpy()
        if offsets:
            off = s[ID].map(lambda u: offsets.get(u, offsets.get(indicator_of(u), 0.0)))
            threshold = threshold + off.to_numpy(dtype=float)
        gone = np.zeros(len(s), dtype=bool)
        if absent is not None and len(absent):
            gone = pd.MultiIndex.from_frame(s[[ID, DS]]).isin(pd.MultiIndex.from_frame(absent[[ID, DS]]))
        return cls(df=df, s=s, directions=dirs, threshold=threshold, z=s["z"].to_numpy(), absent=gone)

    def alarms(self) -> list[Finding]:
        return [f for f in self.findings if f.alarm]

    def flag(self) -> np.ndarray:
        return flagged(self.findings, len(self.s))

    def align(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Another detector's frame in the rows of ``s``."""
        return scored.set_index([ID, DS]).reindex(pd.MultiIndex.from_frame(self.s[[ID, DS]]))


@dataclass(frozen=True)
class EntryChecks:
    """Periods absent from a regular series, missing values (an expected value, no value)
    and blanks entered as 0."""

    zero_ratio: float
    zeros_seen_ok: bool = False
    """A zero in a series that has had a zero before is no blank: zeros are among its values."""

    def __call__(self, ctx: Scoring) -> None:
        s = ctx.s
        absent = ctx.absent if ctx.absent is not None else np.zeros(len(s), dtype=bool)
        missing = s[Y].isna().to_numpy() & s["expected"].notna().to_numpy() & ~absent
        is_zero = s[Y].to_numpy() == 0
        zero = is_zero & (s["expected"].to_numpy() > self.zero_ratio * s["scale"].to_numpy())
        if self.zeros_seen_ok:
            seen = pd.Series(is_zero).groupby(s[ID].to_numpy(), sort=False).cumsum().to_numpy() - is_zero
            zero &= seen == 0
        ds = s[DS].to_numpy()
        ctx.findings += [Finding("absent", absent, "absent", detail=lambda i: {"period": period_label(ds[i])}),
                         Finding("missing", missing, "missing"), Finding("blank_as_zero", zero, "blank_as_zero")]


@dataclass(frozen=True)
class UnitsErrors:
    """Values a power of ten away from the main expectation, reported with the factor and
    the first period of the run (a wrong unit is used for a few periods in a row)."""

    detector: object | None

    def __call__(self, ctx: Scoring) -> None:
        if self.detector is None:
            return
        s = ctx.s
        res = self.detector.score_values(s[Y].to_numpy(), s["expected"].to_numpy(), s["scale"].to_numpy())
        fired = ScoreThreshold.of(self.detector).predict(res["anomaly_score"])
        power = res["power"]
        codes, _ = pd.factorize(s[ID])
        first = run_starts(codes, fired, power)
        ds = s[DS].to_numpy()
        ctx.findings.append(Finding("scale_change", fired, "scale_change", detail=lambda i: {
            "detail": float(power[i]), "period": period_label(ds[first[i]])}))


@dataclass(frozen=True)
class Deviations:
    """The main detector's and each ensemble detector's z through the threshold rule.

    An ensemble detector that fires with a larger |z| lends the row its z.
    """

    rule: object
    ensemble: dict

    def __call__(self, ctx: Scoring) -> None:
        fired = self.rule.predict(ctx.z, ctx.directions, threshold=ctx.threshold)
        ctx.findings.append(Finding(MAIN_DETECTOR, fired, "deviation", alarm=True))
        for name, det in self.ensemble.items():
            ez = ctx.align(det.score_frame(ctx.df))["z"].to_numpy()
            fired = self.rule.predict(np.nan_to_num(ez), ctx.directions, threshold=ctx.threshold)
            ctx.z = np.where(fired & (np.abs(ez) > np.abs(ctx.z)), ez, ctx.z)
            ctx.findings.append(Finding(name, fired, "deviation", alarm=True))


@dataclass(frozen=True)
class AlarmRules:
    """Alarm rules in order, each keeping a subset of the alarms."""

    rules: list

    def __call__(self, ctx: Scoring) -> None:
        flag = ctx.flag()
        for rule in self.rules:
            flag = rule.apply(ctx.s.assign(z=ctx.z), flag)
        for f in ctx.alarms():
            f.fired = f.fired & flag


@dataclass(frozen=True)
class Band:
    """The output frame: expected value, normal band (± threshold scales), anomaly_score."""

    calibrator: object | None

    def __call__(self, ctx: Scoring) -> None:
        s, t = ctx.s, ctx.threshold
        ctx.frame = pd.DataFrame({ID: s[ID], DS: s[DS], Y: s[Y], "expected": s["expected"],
                                  "lo": s["expected"] - t * s["scale"], "hi": s["expected"] + t * s["scale"],
                                  "anomaly_score": s["anomaly_score"]})
        if self.calibrator is not None:
            ctx.frame["anomaly_score"] = self.calibrator.transform(s["anomaly_score"].to_numpy())


@dataclass(frozen=True)
class StreamRouting:
    """Series with periods under a day and enough values go to the stream detector.

    On their rows its alarms replace the others; ``anomaly_score`` becomes its
    probability, ``expected`` the stream's recent median, and there is no band.
    """

    stream: object | None

    def rows(self, s: pd.DataFrame) -> np.ndarray:
        if self.stream is None:
            return np.zeros(len(s), dtype=bool)
        g = s.groupby(ID, sort=False)[DS]
        step = g.diff().groupby(s[ID], sort=False).transform("median")
        size = g.transform("size")
        return ((step < pd.Timedelta(days=1)) & (size >= int(self.stream.min_history))).to_numpy()

    def __call__(self, ctx: Scoring) -> None:
        hf = self.rows(ctx.s)
        if not hf.any():
            return
        s = ctx.s
        st = self.stream.score_frame(s.loc[hf, [ID, DS, Y]])
        st = st.set_index([ID, DS]).reindex(pd.MultiIndex.from_frame(s.loc[hf, [ID, DS]]))
        alarm = np.zeros(len(s), dtype=bool)
        alarm[hf] = st["alarm_score"].fillna(0.0).to_numpy() > 0
        lt = np.zeros(len(s))
        lt[hf] = st["log_tail"].fillna(0.0).to_numpy()
        for f in ctx.alarms():
            f.fired = f.fired & ~hf
        # a -log10 tail of 5 counts as high, like |z| of 6
        ctx.findings.append(Finding("stream", alarm, "likelihood", alarm=True, severity=lt * 1.2,
                                    detail=lambda i: {"detail": lt[i]}))
        out = ctx.frame
        out.loc[hf, "anomaly_score"] = 1.0 - np.power(10.0, -lt[hf])
        out.loc[hf, "expected"] = s.loc[hf].groupby(ID, sort=False)[Y].transform(
            lambda v: v.shift(1).rolling(STREAM_LEVEL_ROWS, min_periods=1).median()
        )
        out.loc[hf, ["lo", "hi"]] = np.nan


@dataclass(frozen=True)
class PanelChecks:
    """Each panel detector's score through the threshold at its level."""

    checks: dict

    def __call__(self, ctx: Scoring) -> None:
        if not self.checks:
            return
        s = ctx.s
        wide = s.pivot(index=DS, columns=ID, values=Y).sort_index()
        rows, cols = wide.index.get_indexer(s[DS]), wide.columns.get_indexer(s[ID])
        for name, det in self.checks.items():
            res = det.score_wide(wide)
            score = np.nan_to_num(res["anomaly_score"].to_numpy()[rows, cols], nan=0.0)
            cz = res["z"].to_numpy()[rows, cols] if "z" in res else score
            fired = ScoreThreshold.of(det).predict(score)
            if name in IMPROVEMENT_ONLY:
                fired = improvements_only(fired, cz, ctx.directions)
            ctx.findings.append(Finding(name, fired, name, detail=lambda i, cz=cz: {"detail": cz[i]}))


@dataclass(frozen=True)
class Bunching:
    """Values just past a target, when the call gives targets."""

    detector: object
    targets: pd.DataFrame | None

    def __call__(self, ctx: Scoring) -> None:
        if self.targets is None or not len(self.targets):
            return
        bunch = ctx.align(self.detector.score_frame(ctx.df, self.targets))
        fired = ScoreThreshold.of(self.detector).predict(bunch["just_past_score"])
        target, score = bunch["target"].to_numpy(), bunch["anomaly_score"].to_numpy()
        in_band, n_window = bunch["in_band"].to_numpy(), bunch["n_window"].to_numpy()

        def detail(i: int) -> dict:
            return {"target": float(target[i]), "detail": float(score[i]),
                    "count": (int(in_band[i]), int(n_window[i]))}

        ctx.findings.append(Finding("bunching", fired, "bunching", detail=detail))
