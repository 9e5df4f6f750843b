"""The periodic performance report: HTML, XLSX and PDF from the API, the console and the CLI.

One two-district sample city (fake models) is loaded once for the module, with a few
citizen messages and a handled alert, and every test reads it.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.auth import ensure_api_keys
from api.main import create_app
from api.reports import build
from api.reports.figures import ReportError, parse_period
from api.reports.render import css_string
from api.services import sample
from api.settings import Settings
from tests.api import browser
from tests.api.conftest import fake_models
from tests.api.console_calls import fast_hashing, make_user, sign_in

PERIOD = "2025-06"
ARTIFACTS = browser.ARTIFACTS
MESSAGES = [  # (id, text): one with markup, one that a spreadsheet would take for a formula, one with a phone
    ("r-1", "公交站台没人管，<script>alert(1)</script> 请尽快处理"),
    ("r-2", "=HYPERLINK(\"http://example.invalid\") 公交车太慢"),
    ("r-3", "医院排队太久，电话13812345678"),
]


@pytest.fixture(scope="module")
def town(tmp_path_factory, small_city):
    """The app with the two-district sample city loaded through June 2025, three messages
    of June and one alert acknowledged with a reason that holds markup."""
    home = tmp_path_factory.mktemp("reports")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{home / 'govperf.db'}",
                        api_keys_file=home / "keys.json", api_keys=None, mlflow_tracking_uri=None, cors_origins=[],
                        review_threshold=0.6)
    keys = ensure_api_keys(settings.api_keys_file)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
        with TestClient(create_app(settings, models=fake_models()), raise_server_exceptions=False) as client:
            core = {"X-API-Key": keys["scoring_core"]}
            assert client.post("/v1/admin/sample-city", headers=core, json={"months": 6}).status_code == 200
            body = {"messages": [{"message_id": mid, "text": text, "org_unit": "D01", "channel": "hotline_12345",
                                  "received_at": f"2025-06-1{i}T09:00:00Z"} for i, (mid, text) in enumerate(MESSAGES)]}
            assert client.post("/v1/feedback/classify", json=body, headers=core).status_code == 200
            alerts = client.get("/v1/alerts", headers=core, params={"org_unit": "D01", "kind": "target_risk"}).json()
            first = alerts["data"][0]["id"]
            changed = client.patch(f"/v1/alerts/{first}", headers={"X-API-Key": keys["supervisor"]},
                                   json={"status": "acknowledged", "reason": "督办中 <b>整改</b>"})
            assert changed.status_code == 200, changed.text
            yield SimpleNamespace(client=client, keys=keys, settings=settings, app=client.app)


def get(town, role="analyst", **params):
    return town.client.get("/v1/reports", params=params, headers={"X-API-Key": town.keys[role]})


def document(town, org_unit="D01", fmt="html", lang="zh") -> bytes:
    with town.app.state.session_factory() as session:
        return build(session, period=PERIOD, org_unit=org_unit, fmt=fmt, lang=lang).content


def test_periods_and_css_strings():
    assert [m.month for m in parse_period("2025-Q2").months] == [4, 5, 6] and parse_period("2025-06").label == "2025-06"
    assert parse_period("2025-12").following().label == "2026-01"
    for bad in ("2025-13", "2025-6", "June", "", "0000-01", "9999-Q4"):
        with pytest.raises(ReportError, match="period"):
            parse_period(bad)
    assert "<" not in css_string('a"</style><script>') and '"' not in css_string('"')[1:-1]


def test_district_report_in_html(town, small_city):
    r = get(town, period=PERIOD, org_unit="D01", format="html", lang="zh")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    html = r.text
    assert "东湖区2025年6月绩效分析报告" in html and "govperf-targets/3" in html
    scorecard = re.search(r'<section id="scorecard">(.*?)</section>', html, re.S).group(1)
    n_indicators = small_city.indicators.query("org_unit == 'D01'").shape[0]
    assert scorecard.count("<tr class=\"row-") == n_indicators
    assert "按期办结率" in scorecard and "rag-red" in scorecard
    assert html.count("<svg") >= 3  # trend charts inline
    assert f"本期东湖区共监测{n_indicators}项指标" in html  # the generated summary
    # citizens' and handlers' words are escaped; personal data was masked before storing
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>整改</b>" not in html and "&lt;b&gt;整改&lt;/b&gt;" in html
    assert "13812345678" not in html
    assert r.content == get(town, period=PERIOD, org_unit="D01", format="html").content  # reproducible


def test_city_report_in_english_covers_every_district(town):
    html = document(town, "CITY", lang="en").decode()
    assert "Performance report: City total, Jun 2025" in html and "On-time completion rate" in html
    assert "Donghu District" in html and "Xicheng District" in html
    assert "Target status by unit" in html and "7. Comparison with peer districts" in html


def test_xlsx_has_one_sheet_a_section_and_parses_back(town, small_city):
    from openpyxl import load_workbook

    blob = document(town, "D01", "xlsx")
    assert hashlib.sha256(blob).digest() == hashlib.sha256(document(town, "D01", "xlsx")).digest()
    book = load_workbook(io.BytesIO(blob))
    assert book.sheetnames == [
        "封面", "总体情况", "目标完成情况", "指标走势", "预警及整改", "需求预测", "群众诉求", "横向对比"]
    rows = list(book["目标完成情况"].iter_rows(values_only=True))
    assert rows[0][:4] == ("单位", "指标", "计量单位", "本期值")
    assert len(rows) - 1 == small_city.indicators.query("org_unit == 'D01'").shape[0]
    assert all(isinstance(row[3], (float, int)) for row in rows[1:] if row[3] is not None)
    cells = [c for row in book["群众诉求"].iter_rows() for c in row if isinstance(c.value, str)]
    formula_like = [c for c in cells if c.value.startswith("=")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)  # text, never a formula


def test_api_names_the_bad_field(town):
    unknown = get(town, period=PERIOD, org_unit="D77")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"][0]["loc"] == ["query", "org_unit"]
    empty = get(town, period="2031-01", org_unit="D01")
    assert empty.status_code == 404 and empty.json()["errors"][0]["loc"] == ["query", "period"]
    malformed = get(town, period="2025-13", org_unit="D01")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["loc"] == ["query", "period"]
    bad_format = get(town, period=PERIOD, org_unit="D01", format="docx")
    assert bad_format.status_code == 422 and bad_format.json()["errors"][0]["loc"] == ["query", "format"]
    assert town.client.get("/v1/reports", params={"period": PERIOD, "org_unit": "D01"}).status_code == 401
    spec = town.client.get("/openapi.json").json()["paths"]["/v1/reports"]["get"]
    assert {"404", "422"} <= set(spec["responses"]) and "application/pdf" in spec["responses"]["200"]["content"]


def test_console_reports_for_a_handler(town, monkeypatch):
    fast_hashing(monkeypatch)
    make_user(town.app, "hanna", "handler")
    client = town.client
    assert sign_in(client, "hanna", next_path="/console/reports").status_code == 303
    form = client.get("/console/reports")
    assert form.status_code == 200 and 'value="D01"' in form.text and "东湖区" in form.text
    shown = client.get("/console/reports", params={"period": PERIOD, "org_unit": "D01", "format": "html"})
    assert shown.status_code == 200 and '<iframe class="report-frame"' in shown.text
    frame = client.get("/console/reports/document", params={"period": PERIOD, "org_unit": "D01"})
    assert frame.status_code == 200 and "东湖区" in frame.text
    pdf = client.get("/console/reports", params={"period": PERIOD, "org_unit": "D01", "format": "pdf"},
                     follow_redirects=False)
    assert pdf.status_code == 303 and "/console/reports/document?" in pdf.headers["location"]
    missing = client.get("/console/reports", params={"period": PERIOD, "org_unit": "<i>D9</i>"})
    assert missing.status_code == 404 and 'href="/console/reports"' in missing.text
    assert "<i>D9</i>" not in missing.text and "&lt;i&gt;D9&lt;/i&gt;" in missing.text


def test_cli_writes_the_report_and_exits_2_on_unknown_input(town, tmp_path, monkeypatch):
    import api.settings
    from api.cli import app

    monkeypatch.setattr(api.settings, "get_settings", lambda: town.settings)
    out = tmp_path / "r.xlsx"
    done = CliRunner().invoke(app, ["report", "--period", PERIOD, "--org-unit", "CITY", "--format", "xlsx",
                                    "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes()[:2] == b"PK" and re.search(r"report CITY 2025-06 xlsx: [\d.]+ s", done.output)
    unknown = CliRunner().invoke(app, ["report", "--period", PERIOD, "--org-unit", "D77"])
    assert unknown.exit_code == 2 and "org_unit" in unknown.output


def _pdf_tools() -> None:
    try:
        importlib.import_module("weasyprint")  # needs pango and friends
    except (ImportError, OSError) as err:
        pytest.skip(f"WeasyPrint's system libraries are missing: {err}")
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (poppler-utils) is not installed")


def test_pdf_renders_chinese_text(town, tmp_path):
    _pdf_tools()
    from PIL import Image, ImageStat

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(document(town, "D01", "pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "东湖区" in text and "指标目标完成情况" in text and "按期办结率" in text
    again = document(town, "D01", "pdf")
    assert again == pdf.read_bytes() and text.count("\f") >= 4  # reproducible, dates and id fixed
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "report-page1")], check=True)
    with Image.open(ARTIFACTS / "report-page1.png") as page:
        assert ImageStat.Stat(page.convert("L")).var[0] > 50  # not a blank page
