"""Display names of org units, indicators and demand channels in the reader's language.

Known names come from the sample city's fixed description (:mod:`govperf_ml.sample_city.spec`);
any other id is shown as it is stored.
"""

from __future__ import annotations

from functools import cache

from govperf_ml.sample_city.spec import DISTRICTS, SPEC

TOTALS = {"CITY": {"zh": "全市", "en": "City total"}}
CHANNELS = {
    "hotline": {"zh": "12345热线来电", "en": "12345 hotline calls"},
    "service_hall": {"zh": "政务服务大厅办件", "en": "Service-hall applications"},
}


@cache
def _districts() -> dict[str, dict[str, str]]:
    return {d[0]: {"zh": d[1], "en": d[2], "peer_group": d[3]} for d in DISTRICTS}


def unit_name(org_unit: str, lang: str) -> str:
    known = TOTALS.get(org_unit) or _districts().get(org_unit)
    return known[lang] if known else org_unit


def peer_group(org_unit: str) -> str | None:
    return _districts().get(org_unit, {}).get("peer_group")


def channel_name(channel: str, lang: str) -> str:
    return CHANNELS.get(channel, {}).get(lang, channel)


def series_name(unique_id: str, lang: str) -> str:
    """``D01|hotline`` -> ``东湖区 · 12345热线来电``."""
    unit, _, rest = unique_id.partition("|")
    return f"{unit_name(unit, lang)} · {channel_name(rest, lang)}" if rest else unit_name(unit, lang)


@cache
def _indicators() -> dict[str, dict[str, str]]:
    return {r.indicator: {"zh": r.indicator_name_zh, "en": r.indicator.replace("_", " ").capitalize(),
                          "unit": r.unit, "dimension": r.dimension, "direction": r.direction,
                          "decimals": int(r.decimals)} for r in SPEC.itertuples()}


def indicator_info(indicator: str) -> dict | None:
    """Name (zh/en), unit, dimension, direction and decimals of a known indicator."""
    return _indicators().get(indicator)


def indicator_name(indicator: str, lang: str) -> str:
    info = indicator_info(indicator)
    return info[lang] if info else indicator
