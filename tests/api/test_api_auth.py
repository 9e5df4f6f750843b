"""API keys: 401 without a valid key, 403 for the wrong role, the role map, the keys file."""

from __future__ import annotations

import json
import stat

import pytest

from api.auth import ensure_api_keys, hash_key
from api.settings import ROLES

# (method, path, body) for one endpoint of each group, with the roles allowed on it
SCORE = ("post", "/v1/anomalies/score", {"series": [{"unique_id": "a", "ds": "2024-01-01", "y": 1}]})
OBSERVATIONS = (
    "post",
    "/v1/observations",
    {"observations": [{"org_unit": "d1", "indicator": "i", "ds": "2024-01-01", "value": 1}]},
)
LIST_ALERTS = ("get", "/v1/alerts", None)
PATCH_ALERT = ("patch", "/v1/alerts/999", {"status": "acknowledged"})
FORECAST = (
    "post",
    "/v1/forecasts",
    {
        "series": [{"unique_id": "a", "ds": "2024-01-01", "y": 1}, {"unique_id": "a", "ds": "2024-01-02", "y": 2}],
        "h": 1,
    },
)
TARGETS = (
    "post",
    "/v1/targets/risk",
    {
        "series": [{"unique_id": "a", "ds": "2024-01-01", "y": 1}],
        "targets": [
            {"unique_id": "a", "target": 2, "deadline": "2024-12-31", "direction": "higher", "aggregation": "last"}
        ],
    },
)
CLASSIFY = ("post", "/v1/feedback/classify", {"messages": [{"text": "公交车太慢"}]})
REVIEW = ("get", "/v1/feedback/review", None)
CORRECT = ("post", "/v1/feedback/nope/corrections", {"area": "transport"})
MODELS = ("get", "/v1/models", None)

ROLE_MAP = [
    (SCORE, {"scoring_core", "supervisor"}),
    (OBSERVATIONS, {"scoring_core", "supervisor"}),
    (LIST_ALERTS, {"scoring_core", "supervisor", "analyst"}),
    (PATCH_ALERT, {"scoring_core", "supervisor"}),
    (FORECAST, {"scoring_core", "supervisor", "analyst"}),
    (TARGETS, {"scoring_core", "supervisor", "analyst"}),
    (CLASSIFY, {"scoring_core", "handler"}),
    (REVIEW, {"scoring_core", "handler"}),
    (CORRECT, {"scoring_core", "handler"}),
    (MODELS, set(ROLES)),
]


def call(client, endpoint, headers=None):
    method, path, body = endpoint
    return client.request(method.upper(), path, json=body, headers=headers or {})


@pytest.mark.parametrize("endpoint", [e for e, _ in ROLE_MAP], ids=lambda e: f"{e[0]} {e[1]}")
def test_missing_key_is_401_with_www_authenticate(client, endpoint):
    r = call(client, endpoint)
    assert r.status_code == 401
    assert "WWW-Authenticate" in r.headers
    assert r.json()["detail"].startswith("missing API key")


def test_invalid_key_is_401(client):
    r = call(client, MODELS, {"X-API-Key": "not-a-key-that-exists-anywhere"})
    assert r.status_code == 401
    assert r.json()["detail"] == "invalid API key" and r.json()["status"] == 401


def test_bearer_token_is_accepted(client, api_keys):
    r = call(client, MODELS, {"Authorization": f"Bearer {api_keys['analyst']}"})
    assert r.status_code == 200


def test_auth_comes_before_body_validation_and_models(make_client):
    client = make_client(models={})
    assert client.post("/v1/forecasts", json={"h": 0}).status_code == 401


@pytest.mark.parametrize(
    ("endpoint", "allowed"), ROLE_MAP, ids=lambda v: f"{v[0]} {v[1]}" if isinstance(v, tuple) else ""
)
@pytest.mark.parametrize("role", ROLES)
def test_role_map(client, auth, endpoint, allowed, role):
    r = call(client, endpoint, auth(role))
    if role in allowed:
        assert r.status_code not in (401, 403), r.text
    else:
        assert r.status_code == 403
        assert role in r.json()["detail"]


def test_keys_file_holds_hashes_only_with_0600(settings, api_keys):
    path = settings.api_keys_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    for key in api_keys.values():
        assert key not in raw
    doc = json.loads(raw)
    assert {e["role"] for e in doc["keys"]} == set(ROLES)
    assert {e["sha256"] for e in doc["keys"]} == {hash_key(k) for k in api_keys.values()}
    # the second call changes nothing and shows no keys
    assert ensure_api_keys(path) is None
    assert path.read_text() == raw


def test_keys_from_settings_replace_the_file(make_client, settings, api_keys):
    env_key = "env-supplied-key-0123456789"
    hashed_key = "another-key-0123456789abcdef"
    custom = settings.model_copy(update={"api_keys": {env_key: "analyst", f"sha256:{hash_key(hashed_key)}": "handler"}})
    client = make_client(app_settings=custom)
    assert client.get("/v1/models", headers={"X-API-Key": env_key}).status_code == 200
    assert client.get("/v1/feedback/review", headers={"X-API-Key": hashed_key}).status_code == 200
    # the file's keys no longer work
    assert client.get("/v1/models", headers={"X-API-Key": api_keys["analyst"]}).status_code == 401


def test_keys_file_is_reread_after_rotation(client, settings, api_keys):
    assert client.get("/v1/models", headers={"X-API-Key": api_keys["analyst"]}).status_code == 200
    settings.api_keys_file.unlink()
    new_keys = ensure_api_keys(settings.api_keys_file)
    assert client.get("/v1/models", headers={"X-API-Key": api_keys["analyst"]}).status_code == 401
    assert client.get("/v1/models", headers={"X-API-Key": new_keys["analyst"]}).status_code == 200


def test_settings_reject_unknown_roles():
    from pydantic import ValidationError

    from api.settings import Settings

    with pytest.raises(ValidationError, match="unknown role"):
        Settings(_env_file=None, api_keys={"a-long-enough-key-123": "admin"})
