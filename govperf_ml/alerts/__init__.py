"""Alerts: kinds, severities and readable reasons for supervisors, resolved from detectors' findings."""

from govperf_ml.alerts.explain import ALERT_KINDS, SEVERITIES, explain, severity_of
from govperf_ml.alerts.resolve import Finding, resolve

__all__ = ["ALERT_KINDS", "SEVERITIES", "Finding", "explain", "resolve", "severity_of"]
