"""The personal-data probe: citizens' messages full of personal data go through every path
that touches them (classification, a database too busy to take them, an unexpected error,
handlers' corrections, retraining from the corrections), then every log line, the
database files, the MLflow store and every other file the service wrote are searched
for each piece of it. Only the masked text may be kept, and it holds placeholders.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import ensure_api_keys
from api.main import create_app
from api.settings import Settings
from tests.api.trained import serving_settings

MESSAGES = [
    ("pii-1", "我叫张伟，电话13812345678，身份证110101199003071234，微信号：zw_hotline88，"
              "邮箱zhangwei88@example.com，12路公交车总是晚点"),
    ("pii-2", "My name is Wei Zhang, call 13987654321 or mail wei.zhang@example.org, WeChat: weizhang_1990. "
              "The hospital queue is far too long"),
    ("pii-3", "本人李娜，QQ号：987654321，银行卡6222021234567890123被学校多收了学费"),
    # issue 13: a compound surname, a home address down to the room, ids without a colon,
    # names with no lead phrase
    ("pii-4", "我叫欧阳娜娜，住在鼓楼区幸福小区3栋2单元502室，电话13812345678，QQ 583920471，"
              "微信号zhangsan_88。张三反映小区路灯坏了，联系人 王小明，护照E12345678"),
    ("pii-5", "Contact: Mary Johnson, 742 Evergreen Terrace Apt 3, Springfield, IL 62704, call (217) 555-0123. "
              "The school bus is always late"),
]
SECRETS = ["张伟", "13812345678", "110101199003071234", "zw_hotline88", "zhangwei88@example.com",
           "Wei Zhang", "13987654321", "wei.zhang@example.org", "weizhang_1990",
           "李娜", "987654321", "6222021234567890123",
           "欧阳娜娜", "幸福小区", "2单元502室", "583920471", "zhangsan_88", "张三", "王小明", "E12345678",
           "Mary Johnson", "Evergreen Terrace", "555-0123"]


def _found(data: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode() in data]


@pytest.fixture
def probe(tiny_registry, tmp_path, json_log):
    config = serving_settings(tmp_path / "var", tiny_registry, webhooks_enabled=False, model_reload_interval_s=0)
    keys = ensure_api_keys(config.api_keys_file)
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        client.headers["X-API-Key"] = keys["handler"]
        yield client, config, tmp_path


def test_personal_data_is_nowhere_but_masked(probe, json_log, monkeypatch):
    client, config, folder = probe
    body = {"messages": [{"message_id": m, "text": t} for m, t in MESSAGES]}
    r = client.post("/v1/feedback/classify", json=body)
    assert r.status_code == 200, r.text
    assert not _found(r.content)  # responses carry the masked text only
    assert "[PHONE]" in r.text and "[WECHAT]" in r.text and "[NAME]" in r.text and "[ADDRESS]" in r.text

    # a database too busy to take the messages: the failed statement is logged without them
    path = config.database_url.removeprefix("sqlite:///")
    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("BEGIN EXCLUSIVE")
    try:
        busy = client.post("/v1/feedback/classify", json={"messages": [{"text": MESSAGES[0][1]}]})
    finally:
        outside.execute("ROLLBACK")
        outside.close()
    assert busy.status_code == 503

    # an unexpected error while classifying: a 500 whose log names no message
    model = client.app.state.models["feedback"].estimator
    monkeypatch.setattr(model, "classify", lambda df, **kw: (_ for _ in ()).throw(ValueError(str(df["text"].tolist()))))
    boom = client.post("/v1/feedback/classify", json={"messages": [{"text": MESSAGES[1][1]}]})
    assert boom.status_code == 500 and not _found(boom.content)
    monkeypatch.undo()

    for message_id, _ in MESSAGES:
        fix = client.post(f"/v1/feedback/{message_id}/corrections", json={"area": "transport", "dimensions": ["timeliness"]})
        assert fix.status_code in (200, 201), fix.text

    _retrain_from_corrections(config, folder)
    logs = json_log.text().encode()
    assert json_log.lines(), "nothing was logged: the probe would prove nothing"
    assert not _found(logs), f"in the logs: {_found(logs)}"
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in written)
    leaks = {str(p.relative_to(folder)): _found(p.read_bytes()) for p in written}
    assert not {k: v for k, v in leaks.items() if v}, leaks
    mlflow_store = Path(config.mlflow_tracking_uri.removeprefix("sqlite:///")).parent
    artefacts = [p for p in mlflow_store.rglob("*") if p.is_file()]
    assert not {str(p): _found(p.read_bytes()) for p in artefacts if _found(p.read_bytes())}


def _retrain_from_corrections(config: Settings, folder: Path) -> None:
    """What `govperf train feedback` does with the stored corrections, into its own store."""
    from api.services.corrections import corrections_frame
    from govperf_ml import registry, training
    from tests.api.trained import _messages

    corrections = corrections_frame(config.database_url)
    assert len(corrections) == len(MESSAGES) and not _found(corrections.to_csv().encode())
    result = training.train_feedback(_messages(), corrections=corrections)
    registry.log_and_register(
        result.capability, result.estimator, params=result.params, metrics=result.metrics,
        gate_metric=result.gate_metric, greater_is_better=result.greater_is_better,
        uri=f"sqlite:///{folder / 'mlflow' / 'mlflow.db'}",
    )
