"""``python -m govperf_ml.cli``: the library's commands."""

from govperf_ml.cli import main

main()
