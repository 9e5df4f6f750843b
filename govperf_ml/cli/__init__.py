"""The ``govperf`` command line: train, score, bench, demo, models, sample-city.

Every command that reads data takes file paths, so the same command runs on the bundled
sample city or on a department's own CSV files. Bad input ends with one line naming
what is wrong (exit code 2), never a traceback.

This is the library's part. The installed ``govperf`` command is ``api.cli``: these
commands plus those that need the service (``serve``; handlers' corrections stored by the
service feeding ``train feedback``).
"""

from __future__ import annotations

import typer

from govperf_ml.cli import bench, models, score, train
from govperf_ml.cli.train import TrainingData, run_training

__all__ = ["TrainingData", "app", "run_training"]

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0],
    pretty_exceptions_show_locals=False,  # locals may hold citizens' messages
)
app.command()(train.train)
app.add_typer(models.app, name="models")
app.command()(score.score)
app.command("sample-city")(score.sample_city)
app.command()(score.demo)
app.command()(bench.bench)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
