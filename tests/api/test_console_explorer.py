"""The analysts' forecast explorer and the multi-dimensional comparison: pages, downloads
(read back and compared with what the page shows), 404s and roles.

One app for the module: the two-district sample city loaded once (observations through
June, targets, fake forecasts of its demand series).
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.auth import ensure_api_keys
from api.main import create_app
from api.services import sample
from api.settings import Settings
from govperf_ml.plots.heatmap import bin_colors
from tests.api.browser import needs_chromium, screenshot, serve, sign_in_page
from tests.api.conftest import fake_models
from tests.api.console_calls import fast_hashing, make_user, sign_in

CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, small_city):
    """(app, api keys) with the small sample city loaded, and users of every console role."""
    home = tmp_path_factory.mktemp("explorer")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{home / 'govperf.db'}",
                        api_keys_file=home / "keys.json", api_keys=None, mlflow_tracking_uri=None, cors_origins=[])
    keys = ensure_api_keys(settings.api_keys_file)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
        fast_hashing(mp)
        app = create_app(settings, models=fake_models())
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.post("/v1/admin/sample-city", headers={"X-API-Key": keys["scoring_core"]}, json={"months": 6})
            assert r.status_code == 200, r.text
            assert r.json()["forecasts"] is not None
            for name, role in (("ana", "analyst"), ("hana", "handler")):
                make_user(app, name, role)
            yield app, keys


@pytest.fixture
def analyst(loaded):
    with TestClient(loaded[0], raise_server_exceptions=False) as client:
        assert sign_in(client, "ana").status_code == 303
        yield client


def table_cells(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in CELL.findall(r)] for r in rows]


def number(text: str) -> float | None:
    return None if text in ("–", "") else float(text.replace(",", "").replace("+", ""))


def same_as_page(cells: list[list[str]], frame: pd.DataFrame) -> None:
    """The file's header and rows are the page's, numbers equal to what is printed."""
    assert list(frame.columns) == cells[0]
    assert len(frame) == len(cells) - 1
    for shown, (_, row) in zip(cells[1:], frame.iterrows(), strict=True):
        for text, value in zip(shown, row.tolist(), strict=True):
            if number_like(text):
                assert (None if pd.isna(value) else pytest.approx(float(value), abs=0.006)) == number(text)
            else:
                assert str(value) == text


def number_like(text: str) -> bool:
    return text == "–" or re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", text) is not None


def read(response, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Chinese right
        return pd.read_csv(io.StringIO(response.content.decode("utf-8-sig")))
    return pd.read_excel(io.BytesIO(response.content), engine="openpyxl")


def test_the_forecast_explorer_shows_a_stored_forecast_and_the_districts(analyst):
    page = analyst.get("/console/forecasts", params={"series": "D01|hotline"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "东湖区 · 12345热线来电" in html
    assert 'id="fc-model">govperf-forecast/3<' in html  # the stored model version
    assert "0.900" in html  # the loaded champion's backtest MASE (fake_models)
    assert html.count('src="data:image/svg+xml;base64,') == 2  # the fan chart and the small multiples
    assert 'id="fc-coherence" class="ok"' in html  # districts add up to the city (reconciled)
    assert len(table_cells(html, "fc-table")) == 1 + 28


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_forecast_downloads_hold_what_the_page_shows(analyst, fmt):
    params = {"series": "CITY|service_hall"}
    cells = table_cells(analyst.get("/console/forecasts", params=params).text, "fc-table")
    r = analyst.get(f"/console/forecasts/download.{fmt}", params=params)
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "forecast_CITY-service_hall_cutoff" in disposition
    same_as_page(cells, read(r, fmt))


def test_the_comparison_page_and_its_downloads(analyst):
    params = {"period": "2025-06-01", "dimension": "efficiency", "indicator": "avg_processing_days", "n": "6"}
    page = analyst.get("/console/compare", params=params)
    assert page.status_code == 200, page.text
    html = page.text
    for part, table_id in (("dimensions", "heat-dimensions"), ("indicators", "heat-indicators"),
                           ("ranking", "cmp-ranking"), ("trend", "cmp-trend")):
        cells = table_cells(html, table_id)
        for fmt in ("csv", "xlsx"):
            r = analyst.get(f"/console/compare/download.{fmt}", params=params | {"part": part})
            assert r.status_code == 200 and "2025-06" in r.headers["content-disposition"]
            same_as_page(cells, read(r, fmt))
    dims = table_cells(html, "heat-dimensions")
    assert dims[0][:5] == ["单位", "工作效率", "服务质量", "公众满意度", "透明度"]
    ranking = table_cells(html, "cmp-ranking")
    assert sorted(r[0] for r in ranking[1:]) == ["东湖区", "西城区"]  # two districts: ranks, no z (too few peers)
    assert [r[6] for r in ranking[1:]] == ["1", "2"]


def test_comparison_against_target_and_last_year_in_english(analyst):
    analyst.cookies.set("govperf_lang", "en", path="/console")
    try:
        page = analyst.get("/console/compare", params={"period": "2025-06-01", "metric": "target",
                                                       "compare_to": "year", "peers": "group"})
    finally:
        analyst.cookies.delete("govperf_lang", path="/console")
    assert page.status_code == 200, page.text
    assert "Gap to target %" in page.text and "Jun 2025" in page.text


@pytest.mark.parametrize("url, says", [
    ("/console/forecasts?series=D99|hotline", "D99|hotline"),
    ("/console/forecasts?series=D01|hotline&run=x", "x"),
    ("/console/forecasts/download.pdf?series=D01|hotline", "pdf"),
    ("/console/compare?period=1999-01-01", "1999-01-01"),
    ("/console/compare?period=notadate", "notadate"),
    ("/console/compare?indicator=nope", "nope"),
    ("/console/compare?dimension=demand", "demand"),
    ("/console/compare/download.csv?part=secret", "secret"),
])
def test_unknown_choices_are_a_404_page_with_a_way_back(analyst, url, says):
    r = analyst.get(url)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert says in unescape(r.text) and 'id="error-back"' in r.text and "Traceback" not in r.text


def test_handlers_may_not_open_the_analysts_pages(loaded):
    with TestClient(loaded[0], raise_server_exceptions=False) as client:
        sign_in(client, "hana")
        for url in ("/console/forecasts", "/console/compare", "/console/forecasts/download.csv",
                    "/console/compare/download.xlsx"):
            assert client.get(url).status_code == 403, url


def test_heat_map_css_matches_the_library_palette():
    from pathlib import Path

    import api.console

    css = (Path(api.console.__file__).parent / "static" / "console.css").read_text(encoding="utf-8")
    for step, (bg, fg) in bin_colors().items():
        name = f"m{-step}" if step < 0 else f"p{step}"
        assert f".heat td.heat-{name} {{ background: {bg}; color: {fg}; }}" in css


def test_csv_is_read_by_the_csv_module_too(analyst):
    r = analyst.get("/console/forecasts/download.csv", params={"series": "D01|hotline"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "日期" and len(rows) == 29


@needs_chromium
def test_an_analyst_explores_a_forecast_downloads_it_and_compares(loaded, page):
    app, _ = loaded
    base, stop = serve(app)
    try:
        sign_in_page(page, base, "ana", "/console/forecasts")
        page.select_option("#fc-pick", "0:D01|hotline")  # submits on change
        page.wait_for_url("**/console/forecasts?pick=*")
        assert "东湖区" in page.locator("#fc-series").inner_text()
        shown = page.locator("#fc-table tbody tr").first.locator("td").all_inner_texts()
        screenshot(page, "console-forecasts")
        with page.expect_download() as info:
            page.click("#fc-csv")
        download = info.value
        assert download.suggested_filename.startswith("forecast_D01-hotline_cutoff")
        rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
        assert rows[1] == [shown[0], *[str(number(v)) for v in shown[1:]]]
        screenshot(page, "console-forecasts", phone=True)
        page.click('nav a[href="/console/compare"]')
        page.wait_for_url(f"{base}/console/compare")
        assert page.locator("#heat-dimensions tbody tr").count() == 2
        page.select_option("select[name=metric]", "target")  # two districts: no peer z, but target gaps
        page.wait_for_url("**/console/compare?*metric=target*")
        assert page.locator("#heat-indicators td.heat-p5, #heat-indicators td.heat-m5").count() > 0
        screenshot(page, "console-compare")
    finally:
        stop()
