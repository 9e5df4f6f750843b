"""Request helpers shared by the API test modules."""

from __future__ import annotations


def post_obs(client, auth, items: list[dict], role: str = "scoring_core"):
    """POST ``items`` to /v1/observations with ``role``'s key."""
    return client.post("/v1/observations", headers=auth(role), json={"observations": items})
