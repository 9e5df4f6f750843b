"""The bundled, seeded "sample city": synthetic performance data with labelled anomalies.

A fictional prefecture-level city with twelve districts (``D01`` .. ``D12``) in three peer
groups. For each district it produces thirty monthly KPIs across the evaluation
dimensions, daily public-demand series (12345 hotline calls and service-hall
applications) that sum up to the city, yearly targets, labelled anomalies of every kind
the service must recognise, and the team-written citizen-feedback corpus.

Everything is generated from one ``numpy.random.default_rng(seed)``: the same seed gives
the same city, bit for bit. Nothing is read from the network; the Chinese holiday calendar
comes from :mod:`govperf_ml.calendar`. How the city is made is documented in
``models/SAMPLE_CITY.md``.

Example::

    city = make_sample_city(seed=0)
    city.series.head()                    # unique_id, ds, y (monthly; NaN = missing submission)
    city.anomalies["kind"].value_counts()  # one row per labelled point
"""

from govperf_ml.sample_city.city import SampleCity
from govperf_ml.sample_city.export import write_sample_city
from govperf_ml.sample_city.feedback import load_feedback_corpus, load_training_corpus
from govperf_ml.sample_city.generate import make_sample_city
from govperf_ml.sample_city.spec import ANOMALY_CATEGORIES, ANOMALY_KINDS

__all__ = [
    "ANOMALY_CATEGORIES",
    "ANOMALY_KINDS",
    "SampleCity",
    "load_feedback_corpus",
    "load_training_corpus",
    "make_sample_city",
    "write_sample_city",
]
