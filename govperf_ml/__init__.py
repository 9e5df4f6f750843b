"""govperf-ml: the ML service beside a government performance-management scoring core.

Data flows one way: ``contracts`` (validate) → ``features`` → models (``anomaly``,
``forecasting``, ``targets``, ``feedback``) → ``postprocess`` → ``alerts``; ``registry``
is the only module that talks to MLflow, ``cli`` is the command line.
"""

__version__ = "0.2.0"
