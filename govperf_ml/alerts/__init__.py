"""Alerts: kinds, severities and readable reasons for supervisors, resolved from detectors' findings."""

from govperf_ml.alerts.explain import explain, severity_of
from govperf_ml.alerts.resolve import Finding, resolve

__all__ = ["Finding", "explain", "resolve", "severity_of"]
