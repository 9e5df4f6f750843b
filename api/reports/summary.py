"""总体情况: a short summary written from the figures with template sentences (no language
model), in Chinese or English. Every number in it is in the report's tables."""

from __future__ import annotations

from collections import Counter

from api.console.i18n import MESSAGES, translator
from api.reports import fmt
from api.reports.figures import ReportData
from api.console.names import indicator_name, unit_name
from govperf_ml.feedback.taxonomy import load_taxonomy
from govperf_ml.vocabulary import REVIEWED_STATUSES

WORST_SHOWN = 3
_SEP = {"zh": "、", "en": ", "}


def _unit_name(data: ReportData, lang: str) -> str:
    return unit_name(data.org_unit, lang)


def _item_name(data: ReportData, org_unit: str, indicator: str, lang: str) -> str:
    name = indicator_name(indicator, lang)
    if not data.is_city:
        return name
    return f"{unit_name(org_unit, lang)}{name}" if lang == "zh" else f"{unit_name(org_unit, lang)}: {name}"


def targets_sentences(data: ReportData, lang: str) -> list[str]:
    t = translator(lang)
    unit, period = _unit_name(data, lang), fmt.period(data.period, lang)
    indicators = {r.indicator for r in data.scorecard}
    assessed = [r for r in data.scorecard if r.status is not None]
    if not assessed:
        return [t("report_sum_no_targets", unit=unit, period=period, n=len(indicators))]
    count = Counter(r.status for r in assessed)
    figures = dict(period=period, n=len(indicators), targeted=len(assessed), green=count["green"],
                   amber=count["amber"], red=count["red"])
    if data.is_city:
        out = [t("report_sum_targets_city", units=len(data.units), series=len(data.scorecard), **figures)]
    else:
        out = [t("report_sum_targets", unit=unit, **figures)]
    worst = sorted((r for r in assessed if r.status != "green"), key=lambda r: (-(r.p_miss or 0), r.org_unit,
                                                                              r.indicator))[:WORST_SHOWN]
    if worst:
        items = _SEP[lang].join(
            t("report_sum_item", name=_item_name(data, r.org_unit, r.indicator, lang), p=fmt.percent(r.p_miss))
            for r in worst
        )
        out.append(t("report_sum_worst", items=items))
    return out


def alerts_sentence(data: ReportData, lang: str) -> str:
    t = translator(lang)
    if not data.alerts:
        return t("report_sum_no_alerts")
    kinds = Counter(a.kind for a in data.alerts)
    listed = _SEP[lang].join(
        t("report_sum_kind", kind=t(f"report_kind_{k}") if lang == "zh" else t(f"report_kind_{k}").lower(), n=n)
        for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    handled = sum(a.status in REVIEWED_STATUSES for a in data.alerts)
    return t("report_sum_alerts", n=len(data.alerts), kinds=listed, handled=handled, open=len(data.alerts) - handled)


def feedback_sentence(data: ReportData, lang: str) -> str:
    t = translator(lang)
    fb = data.feedback
    if fb is None or not fb.total:
        return t("report_sum_no_feedback")
    area, count = sorted(fb.by_area.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return t("report_sum_feedback", n=fb.total, area=load_taxonomy().area_name(area, lang), count=count)


def forecast_sentences(data: ReportData, lang: str) -> list[str]:
    """One sentence per forecast window (the unit's channels usually share one)."""
    t = translator(lang)
    windows: dict[tuple, list[str]] = {}
    for f in data.forecasts:
        channel = t(f"report_channel_{f.channel}") if f"report_channel_{f.channel}" in MESSAGES else f.channel
        item = t("report_sum_forecast_item", channel=channel, total=fmt.number(f.total, 0),
                 daily=fmt.number(f.total / len(f.ds), 0))
        windows.setdefault((f.covers_next, f.ds[0], f.ds[-1]), []).append(item)
    out = []
    for (covers_next, first, last), items in windows.items():
        joined = _SEP[lang].join(items) if lang == "en" else "，".join(items)
        if covers_next and data.forecast_period is not None:
            out.append(t("report_sum_forecast", period=fmt.period(data.forecast_period, lang), items=joined))
        else:
            out.append(t("report_sum_forecast_latest", first=fmt.day(first, lang), last=fmt.day(last, lang),
                         items=joined))
    return out


def peers_sentence(data: ReportData, lang: str) -> str | None:
    t = translator(lang)
    if not data.peers:
        return None
    if data.is_city:
        best, worst = data.peers[0], data.peers[-1]
        if best.z is None or worst.z is None:
            return None
        return t("report_sum_peers_city", best=unit_name(best.org_unit, lang), best_score=fmt.signed_number(best.z, 2),
                 worst=unit_name(worst.org_unit, lang), worst_score=fmt.signed_number(worst.z, 2))
    better = sum(p.better is True for p in data.peers)
    worse = sum(p.better is False for p in data.peers)
    return t("report_sum_peers_district", better=better, worse=worse)


def summary(data: ReportData, lang: str) -> list[str]:
    """The overview paragraph as sentences, in ``lang``."""
    sentences = targets_sentences(data, lang) + [alerts_sentence(data, lang), feedback_sentence(data, lang)]
    sentences += forecast_sentences(data, lang)
    peers = peers_sentence(data, lang)
    return sentences + ([peers] if peers else [])
