"""The ``signoff`` command line (also ``python -m signoff``): serve, worker, db, admin, audit,
lint, push, pull, version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

import signoff

# Everything else is imported by the command that needs it: `signoff --help` stays quick.
if TYPE_CHECKING:
    from signoff.core.config import Settings

cli = typer.Typer(
    help="Signoff: design documents on a template, traced and signed off.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
admin_cli = typer.Typer(
    help="Administration (accounts, organizations, keys).", no_args_is_help=True
)
cli.add_typer(admin_cli, name="admin")
audit_cli = typer.Typer(help="The audit log's hash chains (ADR 0016).", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


def _settings(*, database: bool = True) -> Settings:
    """The settings, or exit 2 with one line per bad variable; with ``database``, also
    exit 2 with one line when the database cannot be reached or written (a traceback
    only with --debug)."""
    from signoff.core.config import SettingsError, load_settings, unknown_variables

    for name, close in unknown_variables():
        hint = f"; did you mean {close}?" if close else ""
        typer.echo(f"warning: {name} is not a Signoff setting, it is ignored{hint}", err=True)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _refuse(exc.problems)
    if database:
        from signoff.core.preflight import StartupError, check_database

        try:
            check_database(settings.database)
        except StartupError as exc:
            if settings.debug:
                raise
            _refuse([(exc.variable, str(exc))])
    return settings


def _refuse(problems: list[tuple[str, str]]) -> NoReturn:
    if len(problems) == 1:
        variable, problem = problems[0]
        line = problem if problem.startswith(variable) else f"{variable}: {problem}"
        typer.echo(f"Signoff cannot start: {line}", err=True)
    else:
        typer.echo("Signoff cannot start with these settings:", err=True)
        for variable, problem in problems:
            typer.echo(f"  {variable}: {problem}", err=True)
    raise typer.Exit(2)


def _configure_logging(settings: Settings) -> None:
    from signoff.core.logging import configure_logging

    configure_logging(settings.log.level, settings.log_format, debug=settings.debug)


@cli.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [SIGNOFF_SERVER__HOST].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [SIGNOFF_SERVER__PORT].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [SIGNOFF_SERVER__WORKERS].")
    ] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(help="Apply migrations first [default: on except in production]."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Local variables in logged tracebacks; never in production [SIGNOFF_DEBUG].",
        ),
    ] = False,
) -> None:
    """Run the HTTP server (uvicorn with uvloop and httptools)."""
    import os

    from signoff.core.access_cache import VERSIONS_ENV
    from signoff.migrations import runner

    if debug:
        # Through the environment: each uvicorn worker reads its settings from it.
        os.environ["SIGNOFF_DEBUG"] = "true"
    settings = _settings()
    _configure_logging(settings)
    if migrate if migrate is not None else settings.auto_migrate:
        runner.upgrade(settings.database)
    host = host or settings.server.host
    port = port if port is not None else settings.server.port
    base = settings.server.public_url or f"http://{host}:{port}"
    docs = f"  (API docs: {base}/docs)" if settings.api_docs else ""
    typer.echo(f"Signoff {signoff.__version__} on {base}  (web UI: {base}/ui/){docs}")
    count = workers or settings.server.workers
    if count > 1 and VERSIONS_ENV not in os.environ:
        # The workers share the access cache's version counters (core/access_cache.py).
        import tempfile

        os.environ[VERSIONS_ENV] = tempfile.mkstemp(prefix="signoff-access-")[1]
    run_uvicorn(
        settings,
        "signoff.app:app_from_environment",
        host=host,
        port=port,
        workers=count,
    )


def run_uvicorn(settings: Settings, factory: str, *, host: str, port: int, workers: int) -> None:
    """Serve the app made by ``factory`` (an import string) until SIGTERM or SIGINT.

    On either signal the server stops accepting connections, answers what has arrived
    (new requests 503 with ``Connection: close``), and lets in-flight requests finish for up
    to ``SIGNOFF_SERVER__GRACEFUL_SHUTDOWN_S`` before cancelling them (signoff/runtime/serving.py).
    """
    import uvicorn

    from signoff.runtime import serving

    proxies = settings.server.trusted_proxies
    config = uvicorn.Config(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        server_header=False,
        # Forwarded headers are believed only from proxies the operator named.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else None,
        timeout_graceful_shutdown=int(settings.server.graceful_shutdown_s),
        timeout_keep_alive=5,
    )
    serving.run(config)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from signoff.migrations import runner

    settings = _settings()
    _configure_logging(settings)
    runner.upgrade(settings.database, revision)
    typer.echo(f"database at {runner.current(settings.database)}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="e.g. -1, base, or an id")]) -> None:
    """Revert migrations down to REVISION."""
    from signoff.migrations import runner

    settings = _settings()
    _configure_logging(settings)
    runner.downgrade(settings.database, revision)
    typer.echo(f"database at {runner.current(settings.database)}")


@db_cli.command("check")
def db_check() -> None:
    """Fail unless the database is at head and the models match the migrations."""
    from alembic.util import AutogenerateDiffsDetected

    from signoff.migrations import runner

    settings = _settings()
    current, head = runner.current(settings.database), runner.head_revision()
    if current != head:
        typer.echo(runner.schema_behind(current, head), err=True)
        raise typer.Exit(1)
    try:
        runner.check(settings.database)
    except AutogenerateDiffsDetected as exc:
        typer.echo(f"models and migrations differ:\n{exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"database at head ({head}); models and migrations agree")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from signoff.migrations import runner

    typer.echo(runner.current(_settings().database) or "empty (no migrations applied)")


def _admin(work: Callable[[Settings], Coroutine[Any, Any, str]]) -> None:
    from signoff.core.errors import SignoffError

    settings = _settings()
    _configure_logging(settings)
    try:
        typer.echo(asyncio.run(work(settings)))
    except (SignoffError, LookupError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc


@admin_cli.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
) -> None:
    """Create a user who signs in with a password: from SIGNOFF_ADMIN_PASSWORD, standard
    input (--password-stdin), or else prompted for (twice) on a terminal."""
    from signoff.cli import admin

    password = _password(password_stdin)
    _admin(lambda s: admin.create_user(s, email, name, password))


def _password(from_stdin: bool) -> str:
    import os
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("SIGNOFF_ADMIN_PASSWORD"):
        return os.environ["SIGNOFF_ADMIN_PASSWORD"]
    if not sys.stdin.isatty():
        # getpass would read the terminal anyway, or warn that it echoes: say what works.
        typer.echo(
            "Standard input is not a terminal: pipe the password with --password-stdin, or "
            "set SIGNOFF_ADMIN_PASSWORD.",
            err=True,
        )
        raise typer.Exit(2)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@admin_cli.command("create-org")
def admin_create_org(
    slug: Annotated[str, typer.Option(help="URL name: lower case, digits, hyphens.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    owner: Annotated[str, typer.Option(help="Email of an existing user who will own it.")],
) -> None:
    """Create an organization owned by an existing user."""
    from pydantic import ValidationError

    from signoff.cli import admin
    from signoff.orgs.schemas import OrgCreate

    try:
        # The API's request schema: what `POST /v1/orgs` refuses, the command refuses.
        body = OrgCreate(slug=slug, name=name)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = OrgCreate.model_fields[str(error["loc"][0])]
        rule = field.description or error["msg"]
        given = slug if error["loc"][0] == "slug" else name
        raise typer.BadParameter(
            f"{given!r}: {rule} (the API refuses it too)", param_hint=f"--{error['loc'][0]}"
        ) from exc
    _admin(lambda s: admin.create_org(s, body.slug, body.name, owner))


@admin_cli.command("rotate-keys")
def admin_rotate_keys() -> None:
    """Start signing access tokens with a new key now."""
    from signoff.cli import admin

    _admin(admin.rotate_keys)


@cli.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="The file to write (SQLite copy, or pg_dump).")],
) -> None:
    """Back up the whole database while it serves (SQLite backup API, or pg_dump)."""
    from signoff.runtime import backup

    _backup_step(lambda s: backup.backup(s.database, target))


@cli.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file made by `signoff backup`.")],
) -> None:
    """Restore a backup into the configured database, which must be empty."""
    from signoff.runtime import backup

    _backup_step(lambda s: backup.restore(s.database, source))


def _backup_step(step: Callable[[Settings], str]) -> None:
    from signoff.runtime.backup import BackupError

    settings = _settings()
    try:
        typer.echo(step(settings))
    except BackupError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc


@audit_cli.command("checkpoint")
def audit_checkpoint(
    file: Annotated[
        Path, typer.Option(help="Append the signed chain heads here: keep it off the database.")
    ],
) -> None:
    """Write every chain's head (last entry and hash), signed, to a file outside the database;
    run it on a schedule (cron) so that `audit verify` can find a tail cut off later."""
    from signoff.cli import audit as work

    settings = _settings()
    typer.echo(
        f"{asyncio.run(work.checkpoint_heads(settings, file))} chain heads written to {file}"
    )


@audit_cli.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="The checkpoint file `audit checkpoint` writes.")
    ] = None,
) -> None:
    """Check every chain from its first entry (and against the checkpoints): say where each
    break is; exit 1 when there is one."""
    from signoff.cli import audit as work

    settings = _settings()
    chains, findings = asyncio.run(work.verify(settings, checkpoints))
    for finding in findings:
        typer.echo(str(finding))
    if findings:
        typer.echo(f"{len(findings)} break(s) in {chains} chain(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{chains} chain(s) verified, no break")


@cli.command()
def worker() -> None:
    """Run scheduled jobs, the outbox relay, webhook deliveries and email notices alone (set
    SIGNOFF_WORKER__IN_PROCESS=false on the servers)."""
    from signoff.runtime.worker import run_worker

    settings = _settings()
    _configure_logging(settings)
    asyncio.run(run_worker(settings))


def _docs_commands() -> None:
    from signoff.cli import docs, exchange

    cli.command("lint")(docs.lint_file)
    cli.command("push")(docs.push)
    cli.command("pull")(docs.pull)
    cli.command("export")(exchange.export)
    cli.command("import")(exchange.import_)
    template_cli = typer.Typer(help="Templates, offline.", no_args_is_help=True)
    template_cli.command("infer")(docs.infer_template_file)
    cli.add_typer(template_cli, name="template")


_docs_commands()


@cli.command()
def version() -> None:
    """Print Signoff's version."""
    typer.echo(signoff.__version__)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
