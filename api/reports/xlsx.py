"""The report as an Excel workbook (openpyxl): one sheet per section, plain values (numbers
as numbers) so that the figures can be worked with. Text never becomes a formula."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from api.reports import fmt

FIXED = datetime(2000, 1, 1)  # the workbook's created/modified dates (reproducible bytes)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")
RAG_FILL = {status: PatternFill("solid", fgColor=colour)
            for status, colour in (("green", "D1FAE5"), ("amber", "FEF3C7"), ("red", "FEE2E2"))}


def _put(ws, values: list) -> None:
    """Append a row; strings stay text ("=..." from a message never becomes a formula)."""
    at = ws.max_row + 1
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            cell = ws.cell(row=at, column=column)
            cell._value, cell.data_type = value, "s"  # openpyxl would read "=..." as a formula
        else:
            ws.cell(row=at, column=column, value=value)


def _sheet(wb: Workbook, title: str, header: list[str], rows: Iterable[list], widths: list[int] | None = None):
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER, HEADER_FILL
    for row in rows:
        _put(ws, row)
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _cover(wb: Workbook, c: dict) -> None:
    t, data = c["t"], c["data"]
    ws = _sheet(wb, t("report_sheet_cover"), [c["title"], ""], [
        [t("report_cover_unit"), f"{c['unit_name']} ({data.org_unit})"],
        [t("report_cover_period"), c["period_name"]],
        [t("report_cover_scope"), ", ".join(data.units)],
        [t("report_cover_data"), data.data_version],
        ["n", data.n_observations],
        [t("report_cover_models"), ", ".join(data.model_versions) or t("report_none")],
    ], widths=[18, 80])
    ws.append([t("report_cover_note")])


def _scorecard(wb: Workbook, c: dict) -> None:
    t, names, lang = c["t"], c["names"], c["lang"]
    cols = ["report_col_unit", "report_col_indicator", "report_col_measure", "report_col_value", "report_col_mom",
            "report_col_yoy", "report_col_target", "report_col_deadline", "report_col_status", "report_col_p_miss",
            "report_col_projected", "report_col_as_of", "report_col_reason"]
    ws = _sheet(wb, t("report_sheet_scorecard"), [t(k) for k in cols], (
        [names.unit(r.org_unit, lang), names.indicator(r.indicator, lang), names.measure(r.indicator), r.value,
         r.previous, r.year_ago, r.target, r.deadline, c["label"]("report_status_", r.status or "none"), r.p_miss,
         r.projected, r.as_of, r.reason_zh if lang == "zh" else r.reason_en]
        for r in c["data"].scorecard
    ), widths=[12, 34, 10, 11, 11, 11, 11, 12, 10, 11, 11, 12, 30])
    for row, r in zip(ws.iter_rows(min_row=2), c["data"].scorecard, strict=True):
        if r.status in RAG_FILL:
            row[8].fill = RAG_FILL[r.status]
        row[9].number_format = "0%"
        row[7].number_format = row[11].number_format = "yyyy-mm-dd"


def _trends(wb: Workbook, c: dict) -> None:
    t, names, lang, data = c["t"], c["names"], c["lang"], c["data"]
    if not data.trends:
        _sheet(wb, t("report_sheet_trends"), [t("report_col_indicator")], [])
        return
    months = [fmt.month(p, lang) for p in data.trends[0].periods]
    rows = []
    for tr in data.trends:
        rows.append([names.indicator(tr.indicator, lang), names.unit(tr.org_unit, lang), *tr.values])
        rows += [[names.indicator(tr.indicator, lang), names.unit(u, lang), *v] for u, v in sorted(tr.peers.items())]
    clean = [[None if isinstance(v, float) and v != v else v for v in row] for row in rows]  # NaN -> empty
    _sheet(wb, t("report_sheet_trends"), [t("report_col_indicator"), t("report_col_unit"), *months], clean,
           widths=[34, 14])


def _alerts(wb: Workbook, c: dict) -> None:
    t, names, lang, label = c["t"], c["names"], c["lang"], c["label"]
    cols = ["report_col_unit", "report_col_indicator", "report_col_period", "report_col_kind", "report_col_severity",
            "report_col_status", "report_col_reason", "report_col_handling"]

    def events(a) -> str:
        return "\n".join(f"{fmt.moment(e.at, lang)} {label('report_astatus_', e.to_status)} ({e.actor_role})"
                         + (f": {e.reason}" if e.reason else "") for e in a.events)

    _sheet(wb, t("report_sheet_alerts"), [t(k) for k in cols], (
        [names.unit(a.org_unit, lang), names.indicator(a.indicator, lang), a.ds, label("report_kind_", a.kind),
         label("report_sev_", a.severity), label("report_astatus_", a.status),
         a.reason_zh if lang == "zh" else a.reason_en, events(a)]
        for a in c["data"].alerts
    ), widths=[12, 34, 12, 14, 8, 10, 50, 50])


def _forecasts(wb: Workbook, c: dict) -> None:
    t, label = c["t"], c["label"]
    rows = [[label("report_channel_", f.channel), ds, mean, lo80, hi80, lo95, hi95, f.cutoff, f.model_version]
            for f in c["data"].forecasts
            for ds, mean, lo80, hi80, lo95, hi95 in zip(f.ds, f.mean, f.lo_80, f.hi_80, f.lo_95, f.hi_95, strict=True)]
    header = [t("report_col_channel"), "ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95", t("report_col_cutoff"),
              t("report_col_model")]
    _sheet(wb, t("report_sheet_forecasts"), header, rows, widths=[22, 12, 10, 10, 10, 10, 10, 12, 22])


def _feedback(wb: Workbook, c: dict) -> None:
    t, fb = c["t"], c["feedback"]
    if fb is None:
        _sheet(wb, t("report_sheet_feedback"), [t("report_no_feedback")], [])
        return
    ws = _sheet(wb, t("report_sheet_feedback"), [t("report_col_area"), t("report_col_messages"), *fb["dims"]],
                ([a["name"], a["total"], *a["cells"]] for a in fb["areas"]), widths=[22, 10])
    ws.append([])
    ws.append([t("report_fb_top")])
    for i in fb["issues"]:
        _put(ws, [i["area"], i["dimension"], i["count"], "\n".join(i["examples"])])


def _peers(wb: Workbook, c: dict) -> None:
    t, names, lang, data, label = c["t"], c["names"], c["lang"], c["data"], c["label"]
    if data.is_city:
        dims = c["peer_dimensions"]
        header = [t("report_col_rank"), t("report_col_unit"), t("report_col_mean_z")] + [label("cmp_dim_", d)
                                                                                        for d in dims]
        rows = ([p.rank, names.unit(p.org_unit, lang), p.z] + [p.by_dimension.get(d) for d in dims] for p in data.peers)
        _sheet(wb, t("report_sheet_peers"), header, rows, widths=[8, 16, 10])
        return
    cols = ["report_col_indicator", "report_col_value", "report_col_peer_median", "report_col_city_median",
            "report_col_z", "report_col_rank", "report_col_rank_change"]
    _sheet(wb, t("report_sheet_peers"), [t(k) for k in cols] + ["n"], (
        [names.indicator(p.indicator, lang), p.value, p.peer_median, p.city_median, p.z, p.rank, p.rank_change, p.of]
        for p in data.peers
    ), widths=[34, 11, 12, 12, 12, 10, 10, 6])


def xlsx(c: dict) -> bytes:
    """The workbook of a report context (:func:`api.reports.render.context`)."""
    wb = Workbook()
    wb.remove(wb.active)
    _cover(wb, c)
    ws = _sheet(wb, c["t"]("report_sheet_summary"), [c["t"]("report_s_summary")], ([s] for s in c["summary"]),
                widths=[120])
    for row in ws.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    for section in (_scorecard, _trends, _alerts, _forecasts, _feedback, _peers):
        section(wb, c)
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "govperf"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(blob: bytes) -> bytes:
    """The same workbook with every zip entry and the "modified" property dated ``FIXED``
    (openpyxl stamps the clock on both when it saves)."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
    return out.getvalue()
