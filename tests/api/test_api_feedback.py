"""Citizen feedback: masked text only, the review queue, handlers' corrections."""

from __future__ import annotations

import logging

import pytest

from sqlalchemy import select

from api.db import FeedbackCorrection, FeedbackMessage

PHONE = "13912345678"
ID_CARD = "110101199003074518"
RAW = f"我叫张三，电话{PHONE}，身份证{ID_CARD}，公交车总是晚点"


def classify(client, auth, messages, role="handler"):
    return client.post("/v1/feedback/classify", headers=auth(role), json={"messages": messages})


def test_only_masked_text_is_stored_returned_or_logged(client, auth, settings, caplog, capfd, sqlite_only):
    with caplog.at_level(logging.DEBUG):
        r = classify(client, auth, [{"message_id": "m1", "text": RAW, "channel": "hotline_12345", "org_unit": "d1"}])
    assert r.status_code == 200
    (msg,) = r.json()["messages"]
    assert PHONE not in r.text and ID_CARD not in r.text and "张三" not in r.text
    assert "[PHONE]" in msg["masked_text"] and "[ID_CARD]" in msg["masked_text"]
    assert msg["area"] == "transport" and msg["model_version"] == "govperf-feedback/3"

    # not in the database files (WAL included) ...
    db_dir = settings.database_url.removeprefix("sqlite:///").rsplit("/", 1)[0]
    from pathlib import Path

    files = [p for p in Path(db_dir).iterdir() if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert PHONE.encode() not in data and ID_CARD.encode() not in data and "张三".encode() not in data
    # ... nor in any log record or captured output
    logged = "\n".join(rec.getMessage() + str(rec.args) for rec in caplog.records)
    out, err = capfd.readouterr()
    for text in (logged, out, err):
        assert PHONE not in text and ID_CARD not in text


def test_validation_errors_do_not_echo_the_text(client, auth):
    r = classify(client, auth, [{"text": RAW, "channel": "fax"}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "messages", 0, "channel"]
    assert PHONE not in r.text


def test_classify_statuses_and_review_queue(client, auth, db):
    r = classify(
        client,
        auth,
        [
            {"message_id": "sure", "text": "bus 12 is always late"},
            {"message_id": "unsure", "text": "医院挂号没人管"},
            {"text": "some other thing"},
        ],
    )
    assert r.status_code == 200
    by_id = {m["message_id"]: m for m in r.json()["messages"]}
    assert by_id["sure"]["status"] == "auto_tagged" and not by_id["sure"]["needs_review"]
    assert by_id["unsure"]["status"] == "pending_review" and by_id["unsure"]["needs_review"]
    assert by_id["unsure"]["dimensions"] == ["timeliness"]
    generated = [k for k in by_id if k not in ("sure", "unsure")]
    assert len(generated) == 1 and generated[0].startswith("msg-")
    assert db.count(FeedbackMessage) == 3

    queue = client.get("/v1/feedback/review", headers=auth("handler")).json()
    assert queue["count"] == 2
    assert {m["message_id"] for m in queue["data"]} == {"unsure", generated[0]}
    assert all("masked_text" in m and "text" not in m for m in queue["data"])
    page = client.get("/v1/feedback/review", headers=auth("handler"), params={"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["data"]) == 1


def test_review_threshold_from_settings(make_client, settings, auth):
    client = make_client(app_settings=settings.model_copy(update={"review_threshold": 0.95}))
    (msg,) = classify(client, auth, [{"text": "bus late"}]).json()["messages"]
    assert msg["needs_review"] and msg["status"] == "pending_review"


def test_corrections_confirm_or_correct_and_leave_the_queue(client, auth, db):
    classify(client, auth, [{"message_id": "a", "text": "医院没人管"}, {"message_id": "b", "text": "医院太贵"}])
    r = client.post(
        "/v1/feedback/a/corrections", headers=auth("handler"), json={"area": "health", "dimensions": ["timeliness"]}
    )
    assert r.status_code == 201
    assert r.json()["status"] == "confirmed" and r.json()["handler_role"] == "handler"
    r = client.post(
        "/v1/feedback/b/corrections", headers=auth("handler"), json={"area": "health", "dimensions": ["fees"]}
    )
    assert r.json()["status"] == "corrected"
    assert client.get("/v1/feedback/review", headers=auth("handler")).json()["count"] == 0
    rows = db.rows(select(FeedbackCorrection.message_id, FeedbackCorrection.area, FeedbackCorrection.dimensions))
    assert sorted(rows) == [("a", "health", ["timeliness"]), ("b", "health", ["fees"])]

    # re-classifying never overwrites a handler's decision
    (again,) = classify(client, auth, [{"message_id": "b", "text": "医院太贵"}]).json()["messages"]
    assert again["status"] == "corrected"
    assert db.scalar(select(FeedbackMessage.status).where(FeedbackMessage.message_id == "b")) == "corrected"


def test_unknown_labels_are_422_naming_the_field(client, auth, db):
    classify(client, auth, [{"message_id": "a", "text": "医院没人管"}])
    r = client.post("/v1/feedback/a/corrections", headers=auth("handler"), json={"area": "space_program"})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "area"] and err["ids"] == ["space_program"]
    r = client.post(
        "/v1/feedback/a/corrections",
        headers=auth("handler"),
        json={"area": "health", "dimensions": ["timeliness", "vibes"]},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "dimensions"] and r.json()["errors"][0]["ids"] == ["vibes"]
    assert db.count(FeedbackCorrection) == 0


def test_correcting_an_unknown_message_is_404(client, auth):
    r = client.post("/v1/feedback/nope/corrections", headers=auth("handler"), json={"area": "health"})
    assert r.status_code == 404


def test_duplicate_message_ids_in_a_request_are_422(client, auth, db):
    r = classify(client, auth, [{"message_id": "x", "text": "a"}, {"message_id": "x", "text": "b"}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "message_id"]
    assert db.count(FeedbackMessage) == 0


def test_at_most_500_messages(client, auth):
    r = classify(client, auth, [{"text": "x"}] * 501)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "messages"]


@pytest.mark.parametrize("text, why", [("   \n\t ", "blank"), ("长" * 20_001, "20000")])
def test_blank_or_over_long_messages_are_422_naming_the_message(client, auth, db, text, why):
    r = classify(client, auth, [{"message_id": "ok", "text": "路灯坏了"}, {"message_id": "bad", "text": text}])
    assert r.status_code == 422, r.text
    assert "messages.1.text" in r.text or "messages[1].text" in r.text
    assert why in r.text.replace(",", "")
    assert db.count(FeedbackMessage) == 0  # nothing of the request is kept
