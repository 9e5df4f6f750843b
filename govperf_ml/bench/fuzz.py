"""Property-based API checks with schemathesis: the rules both the test suite and
``govperf bench fuzz`` apply.

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
from functools import cache

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
