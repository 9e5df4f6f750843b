"""Which KPIs a citizen's complaint speaks to: service dimensions ↔ evaluation dimensions.

Messages are tagged with *service* dimensions (timeliness, attitude, …: the taxonomy's
``dimensions``); indicators belong to *evaluation* dimensions (efficiency, service quality,
…: the indicator catalogue's ``dimension``). :data:`SERVICE_TO_EVALUATION` is the one table
that makes the two comparable: a complaint surge of a district in a service dimension is
linked to the KPI alerts and red targets of the same district whose indicator lies in one
of the evaluation dimensions it maps to, and the reverse.

The indicator catalogue is the sample city's (:data:`govperf_ml.sample_city.spec.SPEC`);
an indicator outside it has no evaluation dimension and is never linked.
"""

from __future__ import annotations

from functools import lru_cache

#: service dimension of a message -> evaluation dimensions of the indicators it speaks to
SERVICE_TO_EVALUATION: dict[str, tuple[str, ...]] = {
    "timeliness": ("efficiency",),  # slow processing, no reply -> on-time rate, processing days, backlog
    "accessibility": ("efficiency",),  # too many trips, online system down -> online processing rate
    "outcome_quality": ("service_quality", "outcome"),  # problem not solved -> first-contact resolution, repairs
    "attitude": ("satisfaction",),  # rude staff -> satisfaction scores
    "fairness": ("satisfaction",),  # favouritism, unequal treatment -> satisfaction scores
    "transparency": ("transparency",),  # nothing published -> disclosure indicators
    "fees": ("economy",),  # charges -> cost per case
}


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, str]:
    from govperf_ml.sample_city.spec import SPEC

    return dict(zip(SPEC["indicator"], SPEC["dimension"], strict=True))


def evaluation_dimension(indicator: str) -> str | None:
    """The evaluation dimension of a catalogue indicator (None outside the catalogue)."""
    return _catalogue().get(indicator)


def service_dimensions_of(indicator: str) -> list[str]:
    """The service dimensions whose complaints speak to ``indicator`` (in the table's order)."""
    dim = evaluation_dimension(indicator)
    return [s for s, evals in SERVICE_TO_EVALUATION.items() if dim is not None and dim in evals]


def indicators_of(service_dimension: str) -> list[str]:
    """The catalogue indicators a complaint of ``service_dimension`` speaks to."""
    evals = SERVICE_TO_EVALUATION.get(service_dimension, ())
    return [ind for ind, dim in _catalogue().items() if dim in evals]
