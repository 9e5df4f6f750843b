"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid requests (fixed seed) against a
service serving really trained (tiny) champions from MLflow, with every schemathesis check:
no 5xx, every status, header and content type documented, every response valid against
its schema, invalid requests refused, valid ones accepted (see
:mod:`govperf_ml.bench.fuzz` for the one refinement). ``govperf bench fuzz`` runs the same
with many more examples against a running server.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.auth import ensure_api_keys
from api.main import create_app
from api.services import sample
from api.settings import Settings, get_settings
from govperf_ml.bench.fuzz import checks
from govperf_ml.sample_city import make_sample_city
from tests.api.trained import serving_settings

EXAMPLES = 10  # per operation and phase; `govperf bench fuzz` runs far more

# The app exists at collection (one test per operation); its settings are set by the fixture
# before its lifespan starts, on schemathesis' first call.
APP = create_app(Settings(_env_file=None))
# The two sample-city loaders cost a second or two a call: they get their own test with
# fewer examples and without the coverage phase (every boundary case, ~40 calls), which
# `govperf bench fuzz` runs in full.
_DOC = APP.openapi()
_LOADERS = re.compile(r"^/v1/admin/sample-city(/forecasts)?$")  # POST only


def _schema(keep, config=None):
    doc = {**_DOC, "paths": {p: item for p, item in _DOC["paths"].items() if keep(p)}}
    loaded = schemathesis.openapi.from_dict(doc, config=config)
    loaded.app = APP
    return loaded


schema = _schema(lambda path: not _LOADERS.match(path))
loaders = _schema(_LOADERS.match, SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}))
EXCLUDED, ADDITIONAL = checks()


@pytest.fixture(scope="module")
def fuzz_headers(tiny_registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    config = serving_settings(
        folder, tiny_registry,
        auth_failures_per_minute=100_000,  # the fuzzer sends wrong keys on purpose
        webhooks_enabled=False,  # generated subscription URLs are never called
    )
    keys = ensure_api_keys(config.api_keys_file)
    headers = {"X-API-Key": keys["scoring_core"]}  # the one role every operation admits
    APP.dependency_overrides[get_settings] = lambda: config
    small = make_sample_city(n_districts=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sample, "sample_city", lambda *args, **kwargs: small)
        with TestClient(APP, raise_server_exceptions=False) as client:  # alerts, targets, forecasts to read
            r = client.post("/v1/admin/sample-city", headers=headers, json={"months": 2})
            assert r.status_code == 200, r.text
        yield headers


_SETTINGS = {"derandomize": True, "deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


@schema.parametrize()
@settings(max_examples=EXAMPLES, **_SETTINGS)
def test_every_operation_conforms(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, excluded_checks=EXCLUDED, additional_checks=ADDITIONAL)


@loaders.parametrize()
@settings(max_examples=2, **_SETTINGS)
def test_the_sample_city_loaders_conform(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, excluded_checks=EXCLUDED, additional_checks=ADDITIONAL)
