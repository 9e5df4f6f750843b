"""Handlers' corrections flow back into `govperf train feedback`."""

from api.services.corrections import corrections_frame


def classify(client, auth, messages):
    return client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": messages})


def test_corrections_become_training_rows_with_masked_text(client, auth, settings):
    classify(client, auth, [{"message_id": "a", "text": "医院没人管，电话13812345678"}, {"message_id": "b", "text": "医院太贵"}])
    client.post("/v1/feedback/a/corrections", headers=auth("handler"), json={"area": "health", "dimensions": ["timeliness"]})
    client.post("/v1/feedback/a/corrections", headers=auth("handler"), json={"area": "health", "dimensions": ["attitude"]})
    frame = corrections_frame(settings.database_url)
    assert frame["message_id"].tolist() == ["a"]  # b was never corrected; a's latest correction wins
    row = frame.iloc[0]
    assert row["area"] == "health" and row["dimensions"] == ["attitude"]
    assert "13812345678" not in row["text"] and "[PHONE]" in row["text"]


def test_cli_training_data_reads_the_service_database(client, auth, settings, monkeypatch):
    from api.settings import get_settings
    from api.cli import TrainingData

    classify(client, auth, [{"message_id": "a", "text": "公交车晚点"}])
    client.post("/v1/feedback/a/corrections", headers=auth("handler"), json={"area": "transport", "dimensions": []})
    monkeypatch.setenv("GOVPERF_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        corr = TrainingData().get("corrections")
    finally:
        get_settings.cache_clear()
    assert corr is not None and corr["area"].tolist() == ["transport"]
