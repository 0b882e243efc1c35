"""The `microcred` command line (Typer + Rich).

Each group lives in its own module and is registered here; exit codes: 0 ok, 1 verification failed,
2 bad input (unreadable file, malformed JSON, wrong key file...).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="microcred",
    help="Define, issue and verify Open Badges 3.0 micro-credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Imported for their side effect of adding commands to `app`.
    import importlib

    for module in (
        "microcred.cli.domain_commands",
        "microcred.cli.vc_commands",
        "microcred.cli.taxonomy_commands",
        "microcred.cli.lifecycle_commands",
        "microcred.cli.assessment_commands",
        "microcred.cli.transcripts_commands",
        "microcred.cli.partners_commands",
        "microcred.cli.earner_commands",
        "microcred.cli.jobs_commands",
        "microcred.cli.bulk_commands",
    ):
        importlib.import_module(module)


def main() -> None:
    _register()
    app()
