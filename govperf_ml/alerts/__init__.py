"""Alerts: kinds, severities and readable reasons for supervisors."""

from govperf_ml.alerts.explain import ALERT_KINDS, SEVERITIES, explain, severity_of

__all__ = ["ALERT_KINDS", "SEVERITIES", "explain", "severity_of"]
