"""Property-based API checks with schemathesis: the rules both the test suite and
``govperf bench fuzz`` apply, and the bench itself.

``govperf bench fuzz`` starts the service as a subprocess on a fresh database (SQLite,
or a local PostgreSQL) with the sample city loaded, and runs schemathesis' command line
against it: every operation, every check, all phases (examples, coverage, fuzzing,
stateful), ``--max-examples`` per operation, a fixed seed. Webhook delivery is off in
that server (generated subscription URLs are never called).

Every schemathesis check runs as shipped but one: *schema-valid requests are accepted*
(ST202) is kept with one exception. Some rules cannot be written in JSON Schema: rules
across the items of a list (one value per series and period), across fields (a
dismissal needs a reason; ``start`` before ``deadline``) or against stored state (a
service area the loaded model knows). The service answers those with a 422 whose
problem type is ``data-contract``, or a ``validation-error`` raised by a model-level
rule (error type ``value_error``), naming the rule. Such a 422 is what the documented
contract says, so it is not a failure; any other 4xx for generated valid data is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd

from govperf_ml.bench import BenchResult

#: the problem types of rules the OpenAPI document cannot express
SEMANTIC_PROBLEMS = ("urn:govperf:problem:data-contract",)


def is_semantic_rejection(status_code: int, body: bytes | str | None) -> bool:
    """Whether a response refuses a schema-valid request for a rule the schema cannot state."""
    if status_code != 422 or not body:
        return False
    try:
        problem = json.loads(body)
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    if problem.get("type") in SEMANTIC_PROBLEMS:
        return True
    errors = problem.get("errors") or []
    return (
        problem.get("type") == "urn:govperf:problem:validation-error"
        and bool(errors)
        and all(isinstance(e, dict) and e.get("type") == "value_error" for e in errors)
    )


@cache
def checks():
    """(excluded, additional) schemathesis checks for ``case.call_and_validate`` (registered once)."""
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    @schemathesis.check
    def positive_data_acceptance_with_contract_rules(ctx, response, case):
        if is_semantic_rejection(response.status_code, response.content):
            return None
        return positive_data_acceptance(ctx, response, case)

    return [positive_data_acceptance], [positive_data_acceptance_with_contract_rules]


#: schemathesis failure codes that are the goals' two numbers
SERVER_ERROR = "not_a_server_error"
SCHEMA_VIOLATION = "response_schema_conformance"


def _schemathesis(server, *, examples: int, seed: int, folder: Path, timeout_s: float) -> dict:
    """Run schemathesis' CLI against ``server``; its JSON report."""
    report = folder / "schemathesis.json"
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.base_url}/openapi.json",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "-H", f"X-API-Key: {server.keys['scoring_core']}",
        "--max-examples", str(examples), "--seed", str(seed), "--workers", "1",
        "--report", "json", "--report-json-path", str(report), "--request-timeout", "120",
        "--max-response-time", "30", "--suppress-health-check", "all",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "govperf_ml.bench.fuzz_hooks", "NO_COLOR": "1"}
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout_s)
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return json.loads(report.read_text())


def _failure_rows(kind: str, report: dict) -> list[dict]:
    rows = [{"database": kind, "check": f.get("type"), "code": f.get("code"), "count": f.get("count"),
             "operations": ", ".join(f.get("operations") or [])} for f in report.get("failures", [])]
    rows += [{"database": kind, "check": "error", "code": "", "count": e.get("count"), "operations": e.get("title")}
             for e in report.get("errors", [])]
    return rows


def _count(report: dict, check: str) -> int:
    return sum(int(f.get("count") or 0) for f in report.get("failures", []) if f.get("type") == check)


def run(*, db: str = "sqlite", examples: int = 100, seed: int = 0, cache=None, quick: bool = False,
        timeout_s: float = 3600) -> BenchResult:
    """Fuzz the whole API of a live server on each database; one summary row per database."""
    from govperf_ml.bench.load_server import database, load_sample_city, service

    kinds = ["sqlite", "postgres"] if db == "both" else [db]
    cache = Path(cache or "bench-results/load-cache").resolve()  # models trained once, shared with `bench load`
    examples = min(examples, 5) if quick else examples
    env = {"GOVPERF_WEBHOOKS_ENABLED": "false", "GOVPERF_AUTH_FAILURES_PER_MINUTE": "1000000"}
    summary_rows, failures, result = [], [], {}
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="govperf-fuzz-") as tmp, database(kind, Path(tmp)) as url, \
                service(url, cache=cache, env=env) as server:
            load_sample_city(server, months=2)
            report = _schemathesis(server, examples=examples, seed=seed, folder=Path(tmp), timeout_s=timeout_s)
            logged = server.server_errors_logged()
        ops, cases = report.get("operations", {}), report.get("test_cases", {})
        row = {"database": kind, "operations": ops.get("tested"), "of": ops.get("total"),
               "cases": cases.get("generated"), "server_errors": _count(report, SERVER_ERROR) + logged,
               "schema_violations": _count(report, SCHEMA_VIOLATION),
               "other_failures": sum(int(f.get("count") or 0) for f in report.get("failures", []))
               - _count(report, SERVER_ERROR) - _count(report, SCHEMA_VIOLATION),
               "errors": sum(int(e.get("count") or 0) for e in report.get("errors", [])),
               "seconds": report.get("running_time")}
        summary_rows.append(row)
        failures += _failure_rows(kind, report)
        result[kind] = row
    tables = [("schemathesis: every operation, every check, all phases", pd.DataFrame(summary_rows))]
    if failures:
        tables.append(("failures by check", pd.DataFrame(failures)))
    summary = {
        "server_errors": sum(r["server_errors"] for r in summary_rows),
        "schema_violations": sum(r["schema_violations"] for r in summary_rows),
        "other_failures": sum(r["other_failures"] for r in summary_rows),
        "cases": sum(int(r["cases"] or 0) for r in summary_rows),
        "operations": max(int(r["operations"] or 0) for r in summary_rows),
        "examples": examples, "seed": seed, "databases": kinds,
    }
    notes = [f"schemathesis {_version()} against `govperf serve` with the sample city (2 months) loaded; "
             "ST202 refined as in govperf_ml/bench/fuzz.py (422s for rules the schema cannot state)."]
    return BenchResult(tables=tables, summary=summary, notes=notes)


def _version() -> str:
    from importlib.metadata import version

    return version("schemathesis")
