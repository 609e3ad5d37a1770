"""The `telcrm` console command.

Its own commands (version, setup, generate, import, user, demo, serve) work before any
configuration exists; any other command is forwarded to Django's management commands,
so `telcrm migrate`, `telcrm createsuperuser` or `telcrm shell` work as with manage.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from telcrm.churn_cli import churn_app
from telcrm.clv_cli import clv_app

app = typer.Typer(
    name="telcrm",
    help="Telco CRM: customer relationship management for telecom operators. "
    "Commands not listed here are forwarded to Django (e.g. `telcrm migrate`).",
    no_args_is_help=True,
    add_completion=False,
)

DEFAULT_SETTINGS = "telcrm.settings.base"

# Options several commands share.
TruthOption = Annotated[
    Path, typer.Option(help="The truth/ folder `telcrm generate` wrote")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the figures as JSON on stdout")
]


def configure_django() -> None:
    """Point Django at its settings (embedded defaults unless told otherwise)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()


def run_django_command(*args: str) -> None:
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    execute_from_command_line(["telcrm", *args])


@app.command()
def version() -> None:
    """Print the version."""
    from telcrm import __version__

    typer.echo(f"telcrm {__version__}")


@app.command()
def setup() -> None:
    """Create the home directory's database (migrate) and collect the static files."""
    configure_django()
    from telcrm.core.setup import setup_home

    setup_home()


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option(help="Directory to write silos/ and truth/ into")
    ],
    customers: Annotated[int, typer.Option(min=1, help="Number of customers")] = 2000,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of history")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes")] = 1,
    encoding: Annotated[
        str, typer.Option(help="Encoding of the CSV files: utf-8 or gbk")
    ] = "utf-8",
    start: Annotated[
        str | None, typer.Option(help="First month, YYYY-MM (default: a fixed month)")
    ] = None,
) -> None:
    """Generate a synthetic operator: source silos as files, ground truth apart."""
    from telcrm.generate_command import run_generate

    run_generate(
        out=out,
        customers=customers,
        months=months,
        seed=seed,
        encoding=encoding,
        start=start,
    )


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(help="A silos/ directory, or files of the kind given by --kind"),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            help="The files' kind (customers, bills, cdr, ...; docs/silos.md)"
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Encoding (default: the manifest's, else detected per file)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the accounting as JSON on stdout")
    ] = False,
) -> None:
    """Import silo and CDR files: validate, quarantine bad rows, load the rest."""
    configure_django()
    from telcrm.imports.command import run_import

    run_import(paths, kind=kind, encoding=encoding, as_json=as_json)


# Model commands that need no configuration: they read any CSV the analyst gives.
app.add_typer(clv_app, name="clv")
app.add_typer(churn_app, name="churn")

linkage_app = typer.Typer(
    help="Identity linkage: one customer from the CRM, billing and broadband records.",
    no_args_is_help=True,
)
app.add_typer(linkage_app, name="linkage")


@linkage_app.command("run")
def linkage_run_command() -> None:
    """Score record pairs, link the certain ones, queue the uncertain for review."""
    configure_django()
    from telcrm.linkage.command import run_linkage

    run_linkage()


@linkage_app.command("evaluate")
def linkage_evaluate_command(
    truth: TruthOption,
    as_json: JsonOption = False,
) -> None:
    """Pairwise precision and recall of the current customers against ground truth."""
    configure_django()
    from telcrm.linkage.command import run_evaluate

    run_evaluate(truth, as_json=as_json)


pipeline_app = typer.Typer(
    help="The analytics pipeline: features, churn, fraud, bad debt, value, segments.",
    no_args_is_help=True,
)
app.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("run")
def pipeline_run_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run's figures as JSON on stdout")
    ] = False,
) -> None:
    """Run every stage on the loaded operator; write marts and staff-facing results."""
    configure_django()
    from telcrm.analytics.command import run_pipeline_command

    run_pipeline_command(as_json=as_json)


@pipeline_app.command("evaluate")
def pipeline_evaluate_command(
    truth: TruthOption,
    as_json: JsonOption = False,
) -> None:
    """Churn, fraud and bad-debt quality of the latest run against ground truth."""
    configure_django()
    from telcrm.analytics.command import evaluate_command

    evaluate_command(truth, as_json=as_json)


model_app = typer.Typer(
    help="The model registry: trained models, their quality, the approved one.",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")


@model_app.command("list")
def model_list(
    kind: Annotated[str, typer.Argument(help="Model kind, e.g. churn")] = "churn",
) -> None:
    """Every registered version with its training window and quality."""
    configure_django()
    from telcrm.analytics.command import model_list_command

    model_list_command(kind)


@model_app.command("approve")
def model_approve(
    kind: Annotated[str, typer.Argument(help="Model kind, e.g. churn")],
    version: Annotated[int, typer.Argument(help="The version to approve")],
    note: Annotated[str, typer.Option(help="Why (kept in the registry)")],
) -> None:
    """Approve a version: scoring uses it from the next pipeline run."""
    configure_django()
    from telcrm.analytics.command import model_approve_command

    model_approve_command(kind, version, note=note)


user_app = typer.Typer(
    help="Staff accounts of the web app: one role each (docs/web.md, Users).",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add_command(
    username: Annotated[str, typer.Argument(help="The login name")],
    role: Annotated[
        str, typer.Option(help="agent, outlet_staff, account_manager, ...")
    ],
    password_file: Annotated[
        Path,
        typer.Option(
            exists=True, dir_okay=False, help="A file whose first line is the password"
        ),
    ],
    manager_of: Annotated[
        str | None,
        typer.Option(help="A group's top node number or a customer number to manage"),
    ] = None,
) -> None:
    """Add a member of staff; the password never appears on the command line."""
    configure_django()
    from telcrm.users.services import UserAddError, user_add

    lines = password_file.read_text(encoding="utf-8").splitlines()
    try:
        user = user_add(
            username=username,
            role=role,
            password=lines[0] if lines else "",
            manager_of=manager_of,
        )
    except UserAddError as refused:
        typer.echo(f"Error: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Added {user.username} ({user.role}).")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1, help="Threads per process (default: 8 for waitress, 1 per worker)"
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes: 1 is waitress (any system); more are gunicorn's "
            "pre-forked workers (Linux, macOS), about one per core plus one",
        ),
    ] = 1,
) -> None:
    """Serve the web app (static files included, no other server to install)."""
    # Not configure_django(): the processes that serve set Django up themselves
    # (see telcrm.core.serve).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from telcrm.core.serve import ServeError, serve_app

    try:
        serve_app(host=host, port=port, threads=threads, workers=workers)
    except ServeError as refused:
        typer.echo(f"Error: {refused}", err=True)
        raise typer.Exit(1) from None


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=1)] = 3000,
    months: Annotated[int, typer.Option(min=1, max=36)] = 4,
    seed: Annotated[int, typer.Option()] = 42,
    port: Annotated[int, typer.Option()] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Prepare everything, do not serve")
    ] = False,
) -> None:
    """Generate a small operator, load it, and serve the app on 127.0.0.1."""
    configure_django()
    from telcrm.core.demo import run_demo

    run_demo(
        customers=customers, months=months, seed=seed, port=port, serve=not no_serve
    )


def own_command_names() -> set[str]:
    names = {command.name or "" for command in app.registered_commands}
    names |= {
        (command.callback.__name__ if command.callback else "").replace("_", "-")
        for command in app.registered_commands
    }
    names |= {group.name or "" for group in app.registered_groups}
    return names - {""}


def main() -> None:
    """Entry point: our commands and --help go to Typer, the rest to Django."""
    args = sys.argv[1:]
    if args and not args[0].startswith("-") and args[0] not in own_command_names():
        run_django_command(*args)
        return
    app()


if __name__ == "__main__":
    main()
