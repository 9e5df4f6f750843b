"""Helpers for the console tests: users, CSRF tokens from pages, signing in, messages."""

from __future__ import annotations

import re

from api.console.users import add_user

PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_user(app, username: str, role: str, password: str = PASSWORD) -> None:
    with app.state.session_factory() as session:
        add_user(session, username, role, password, actor="test")
        session.commit()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD, next_path: str = "/console/"):
    token = csrf_of(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf": token, "next": next_path},
        follow_redirects=False,
    )


def classify(client, api_key: str, messages: list[tuple[str, str]]) -> None:
    body = {"messages": [{"message_id": mid, "text": text} for mid, text in messages]}
    response = client.post("/v1/feedback/classify", json=body, headers={"X-API-Key": api_key})
    assert response.status_code == 200, response.text


def fast_hashing(monkeypatch) -> None:
    """argon2id with the smallest cost: the production cost makes each hash take ~0.1-0.5 s."""
    from argon2 import PasswordHasher

    from api.console import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
