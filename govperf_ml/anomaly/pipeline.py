"""The served anomaly model: a short list of stages and one resolver.

``score`` answers the question a supervisor asks of each value: is it anomalous, what
kind of problem is it, how sure, and why. Detectors only score; each stage
(:mod:`govperf_ml.anomaly.stages`) puts a detector's scores through its post-processing
rule and reports findings; :func:`~govperf_ml.alerts.resolve.resolve` turns the findings
into kind, severity, bilingual reasons and detector names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from govperf_ml.alerts.resolve import resolve
from govperf_ml.anomaly.bunching import TargetBunchingDetector
from govperf_ml.anomaly.quality import (
    EndOfPeriodJumpDetector,
    FlatLineDetector,
    PeerDetector,
    SmoothnessDetector,
)
from govperf_ml.anomaly.robust_zscore import SeasonalRobustZScore
from govperf_ml.anomaly.stages import (
    AlarmRules,
    Band,
    Bunching,
    Deviations,
    EntryChecks,
    PanelChecks,
    Scoring,
    StreamRouting,
    UnitsErrors,
)
from govperf_ml.anomaly.units import UnitsErrorDetector
from govperf_ml.anomaly.gaps import with_absent_periods
from govperf_ml.anomaly.defaults import default_stream
from govperf_ml.contracts import DS, ID, Y, DataContractError, short, validate_series
from govperf_ml.postprocess.rules import MinDuration, NewNormal
from govperf_ml.postprocess.threshold import ThresholdRule

OUTPUT_COLUMNS = [ID, DS, Y, "expected", "lo", "hi", "anomaly_score", "is_anomaly", "kind", "severity", "reason_en",
                  "reason_zh", "detectors"]


class AnomalyPipeline(BaseEstimator):
    """Detector(s) → threshold rule → alarm rules → stream routing → checks → one resolver.

    Parameters
    ----------
    detector : estimator with ``score_frame`` (default: SeasonalRobustZScore)
    rule : ThresholdRule (default: threshold 3.5, direction aware)
    zero_ratio : float
        A 0 where the expected value exceeds this many robust scales is a blank entered
        as zero (a data-quality problem, not a performance collapse).
    zeros_seen_ok : bool
        A zero in a series that has had a zero before is not called a blank (an
        intermittent series); off by default (the bench's LOCO table measures it).
    units : estimator, None or False
        The units-error check (default :class:`~govperf_ml.anomaly.units.UnitsErrorDetector`):
        a value about 10, 100 or 1000 times (or that fraction of) its expected level is a
        data_quality alert that names the factor and the period the run started.
        ``False`` turns it off.
    absent : bool
        Report periods absent from inside a weekly, monthly or quarterly series (no row
        at all) as data_quality alerts: :meth:`score` adds a row for each (``y`` missing).
    checks : dict or None
        ``{name: detector}`` of panel checks (see :mod:`govperf_ml.anomaly.quality`) run
        beside the main detector; None uses :func:`default_checks`, ``{}`` runs none.
        Their flags become alerts of kind data_quality (flat_line, scale_change),
        suspected_misreporting (end_of_period_jump, smooth: improvements only when the
        direction is known) or peer_outlier (peer).
    rules : list or None
        Alarm rules applied in order to the detectors' flags after the threshold (see
        :mod:`govperf_ml.postprocess.rules`: MinDuration, NewNormal, AlertBudget); each
        keeps a subset of the flags. None uses :func:`default_rules`, ``[]`` runs none.
    ensemble : dict or None
        ``{name: detector}`` of extra detectors with ``score_frame`` returning a signed
        ``z`` (e.g. :class:`~govperf_ml.anomaly.forecast_residual.ForecastResidualDetector`):
        a value is a deviation when any detector's |z| exceeds the threshold; the main
        detector still gives the expected value and band.
    calibrator : estimator or None
        E.g. :class:`~govperf_ml.postprocess.rules.ZCalibrator`: fitted on the main
        detector's scores; ``anomaly_score`` becomes its probability. None keeps |z|.
    bunching : estimator or None
        The target-aware check run when :meth:`score` is given the series' targets
        (default :class:`~govperf_ml.anomaly.bunching.TargetBunchingDetector`): values
        bunching just past a target become suspected_misreporting alerts.
    stream : estimator, None or False
        The detector of high-frequency streams: a series whose periods are shorter than a
        day and that has at least ``stream.min_history`` values is flagged by it instead
        of the main detector's deviation rule; its ``anomaly_score`` is the stream's, in
        [0, 1). None takes the detector, alarm level and suppression that the anomaly
        suite chose across all its corpora, from the defaults file
        (:mod:`govperf_ml.anomaly.defaults`; its ``stream: off`` keeps such series with
        the main detector). ``False`` keeps the main detector for every series.
    defaults : path or None
        The defaults file read when ``stream`` is None (None: the committed
        ``govperf_ml/data/anomaly_defaults.json``).
    """

    def __init__(self, *, detector=None, rule=None, zero_ratio=3.0, zeros_seen_ok=False, units=None, absent=True,
                 checks=None, rules=None, ensemble=None, calibrator=None, bunching=None, stream=None,
                 defaults=None):
        self.detector = detector
        self.zeros_seen_ok = zeros_seen_ok
        self.rule = rule
        self.zero_ratio = zero_ratio
        self.units = units
        self.absent = absent
        self.checks = checks
        self.rules = rules
        self.ensemble = ensemble
        self.calibrator = calibrator
        self.bunching = bunching
        self.stream = stream
        self.defaults = defaults

    def fit(self, df: pd.DataFrame, labels: pd.DataFrame | None = None, *, directions: dict | None = None):
        """Fit the detectors and tune the rule's threshold on labelled points if given.

        ``labels`` is a frame of (unique_id, ds) pairs that are anomalous.
        """
        self.detector_ = clone(self.detector) if self.detector is not None else SeasonalRobustZScore()
        self.detector_.fit(df)
        checks = default_checks() if self.checks is None else self.checks
        self.checks_ = {name: clone(det).fit(df) for name, det in checks.items()}
        rules = default_rules() if self.rules is None else self.rules
        self.rules_ = [clone(r).fit(df) for r in rules]
        self.ensemble_ = {name: clone(det).fit(df) for name, det in (self.ensemble or {}).items()}
        self.bunching_ = clone(self.bunching if self.bunching is not None else TargetBunchingDetector()).fit(df)
        self.stream_ = self._fit_stream()
        self.units_ = None if self.units is False else clone(self.units or UnitsErrorDetector()).fit()
        self.calibrator_ = None
        if self.calibrator is not None:
            s0 = self.detector_.score_frame(df)
            self.calibrator_ = clone(self.calibrator).fit(s0["anomaly_score"].to_numpy()[s0["warm"].to_numpy()])
        self.rule_ = self._fit_rule(df, labels, directions)
        return self

    def _fit_stream(self):
        if self.stream is False:
            return None
        stream = clone(self.stream) if self.stream is not None else default_stream(self.defaults)
        return None if stream is None else stream.fit()

    def _fit_rule(self, df: pd.DataFrame, labels: pd.DataFrame | None, directions: dict | None) -> ThresholdRule:
        rule = clone(self.rule) if self.rule is not None else ThresholdRule()
        if labels is None:
            return rule.fit(np.zeros(1))
        scored = self.detector_.score_frame(df)
        key = pd.MultiIndex.from_frame(scored[[ID, DS]])
        lab = pd.MultiIndex.from_frame(labels[[ID, DS]].assign(**{DS: pd.to_datetime(labels[DS])}))
        ok = scored[Y].notna().to_numpy()
        dirs = scored[ID].map(directions or {}).to_numpy()
        return rule.fit(scored["z"].to_numpy()[ok], key.isin(lab)[ok], dirs[ok])

    def score(self, df: pd.DataFrame, *, directions: dict | None = None,
              threshold_offsets: dict | None = None, targets: pd.DataFrame | None = None) -> pd.DataFrame:
        """Score each value; one row per input row with the columns in OUTPUT_COLUMNS, and
        (with ``absent``) one row, ``y`` missing, per period absent from a regular series.

        ``threshold_offsets`` maps an indicator (the part of unique_id after ``|``) or a
        unique_id to an amount added to the threshold for its series (e.g. learned by
        :class:`~govperf_ml.postprocess.rules.DismissalTuner`); ``targets`` (the contract
        of :func:`~govperf_ml.contracts.validate_targets`) turns on the bunching check;
        ``detectors`` lists the detectors and checks that fired on each value.
        """
        check_is_fitted(self)
        directions = _checked(directions or {})
        absent = None
        if self.absent:
            df, absent = with_absent_periods(validate_series(df))
        ctx = Scoring.start(df, self.detector_.score_frame(df), directions, self.rule_.threshold_, threshold_offsets,
                            absent)
        for stage in self.stages(targets):
            stage(ctx)
        return resolve(ctx.frame, ctx.findings, ctx.z)[OUTPUT_COLUMNS]

    def stages(self, targets: pd.DataFrame | None = None) -> list:
        """The stages of :meth:`score`, in order (see :mod:`govperf_ml.anomaly.stages`)."""
        check_is_fitted(self)
        return [
            EntryChecks(self.zero_ratio, self.zeros_seen_ok),
            UnitsErrors(self.units_),
            Deviations(self.rule_, self.ensemble_),
            AlarmRules(self.rules_),
            Band(self.calibrator_),
            StreamRouting(self.stream_),
            PanelChecks(self.checks_),
            Bunching(self.bunching_, targets),
        ]


def _checked(directions: dict) -> dict:
    bad = {k: v for k, v in directions.items() if v not in ("higher", "lower")}
    if bad:
        raise DataContractError(
            f"directions: must be 'higher' or 'lower' for series {short(bad)}", field="directions", ids=list(bad)
        )
    return directions


def default_rules() -> list:
    """The alarm rules of the served pipeline (see :mod:`govperf_ml.postprocess.rules`)."""
    return [MinDuration(k=1), NewNormal(n=2, season=12)]


def default_checks() -> dict:
    """The panel checks the served pipeline runs beside its main detector.

    Data-quality and peer checks only: on the sample city they raise both event recall
    (0.49 → 0.63) and flagged-point precision (0.67 → 0.75). Units errors are not a panel
    check any more: the pipeline's own :class:`~govperf_ml.anomaly.units.UnitsErrorDetector`
    judges them against the seasonal expectation (×10 as well as ×100). The misreporting checks
    (:func:`misreporting_checks`) add recall at 0.16 precision, too many false accusations
    to raise by default; pass them in ``checks=`` to opt in.
    """
    return {
        "flat_line": FlatLineDetector(),
        "peer": PeerDetector(threshold=6.0, min_gap=4.0),
    }


def misreporting_checks() -> dict:
    """Suspected-misreporting signals: end-of-period jumps and implausibly smooth series."""
    return {"end_of_period_jump": EndOfPeriodJumpDetector(), "smooth": SmoothnessDetector()}


def all_checks() -> dict:
    """Every check; earlier checks take precedence when two fire on one value."""
    dq, mis = default_checks(), misreporting_checks()
    return {"flat_line": dq["flat_line"],
            "end_of_period_jump": mis["end_of_period_jump"], "peer": dq["peer"], "smooth": mis["smooth"]}
