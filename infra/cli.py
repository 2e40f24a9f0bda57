"""`mission-planner` command line: dev tokens, migrations and the admin cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from infra.auth import TokenAuthenticator
from infra.demo import demo
from infra.settings import Settings

if TYPE_CHECKING:
    from domain.cleanup import CleanupResult

app = typer.Typer(help="Mission Planner service tools.", no_args_is_help=True)
console = Console()


def fail(message: str, exit_code: int) -> typer.Exit:
    """One red line for an expected error, never a traceback: raise what this returns."""
    console.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
    return typer.Exit(exit_code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # The setting and what is wrong with it, not its value: it may be a secret.
        problem = error.errors()[0]
        name = ".".join(str(part) for part in problem["loc"])
        raise fail(f"Setting {name}: {problem['msg']}", 2) from None


def database_unusable(error: Exception, outcome: str) -> typer.Exit:
    return fail(f"The database cannot be used ({type(error).__name__}); {outcome}", 1)


@app.command()
def token(
    user_id: str = typer.Argument("dev-user", help="The token's `sub`: whose reports it sees."),
    admin: bool = typer.Option(False, "--admin", help="Grant app_metadata.role = admin."),
    ttl_hours: float = typer.Option(24.0, "--ttl-hours", min=0.01, help="Lifetime in hours."),
    email: str | None = typer.Option(None, help="Optional email claim."),
) -> None:
    """Mint a dev JWT signed with this instance's AUTH_JWT_SECRET (or generated secret)."""
    settings = load_settings()
    authenticator = TokenAuthenticator(
        settings.jwt_secret, audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer
    )
    jwt = authenticator.mint(user_id, admin=admin, ttl_seconds=int(ttl_hours * 3600), email=email)
    print(jwt)


@app.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL or the embedded SQLite file) to the latest revision.

    With the LLM service embedded (no LLM_SERVICE_URL) its tables live here too, and its
    own tree runs after the API's; a standalone service migrates its own database
    (`mission-planner llm-service migrate`, or at start).
    """
    from infra.db.engine import create_engines
    from infra.db.migrate import upgrade_to_head

    settings = load_settings()

    async def run() -> None:
        engines = create_engines(settings.resolved_database_url)
        try:
            await upgrade_to_head(engines.writer, with_llm_service=settings.embedded_llm_service)
        finally:
            await engines.dispose()

    try:
        asyncio.run(run())
    except (OSError, SQLAlchemyError) as error:
        raise database_unusable(error, "nothing was migrated.") from None
    console.print("[green]database is at the latest revision[/green]")


llm_service_app = typer.Typer(
    help="The LLM service on its own (LLM_DATABASE_URL, LLM_SERVICE_API_SECRET, "
    "LLM_WEBHOOK_SECRET).",
    no_args_is_help=True,
)
app.add_typer(llm_service_app, name="llm-service")


@llm_service_app.command("serve")
def llm_service_serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8100, "--port", min=1, max=65535, help="Port to listen on."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level."),
) -> None:
    """Serve the LLM service; it migrates its own database first. Point the API at it
    with LLM_SERVICE_URL=http://HOST:PORT and the same LLM_SERVICE_API_SECRET."""
    from llm_service.serve import serve

    serve(host=host, port=port, log_level=log_level)


@llm_service_app.command("migrate")
def llm_service_migrate() -> None:
    """Upgrade the LLM service's own database (LLM_DATABASE_URL) to the latest revision."""
    from llm_service.db import create_db_engine
    from llm_service.migrate import upgrade_to_head
    from llm_service.settings import LLMServiceSettings

    async def run() -> None:
        engine = create_db_engine(LLMServiceSettings().database_url)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    console.print("[green]the LLM service's database is at the latest revision[/green]")


app.command()(demo)


jobs_app = typer.Typer(help="Jobs of the LLM service.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("cleanup")
def cleanup(
    older_than_days: int = typer.Option(
        7, "--older-than-days", help="Delete what finished before this many days ago."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; delete nothing."),
) -> None:
    """Delete old finished jobs, their webhook deliveries and old webhook receipts.

    Never a queued or running job, nor a report, its plan or its events. Runs against
    DATABASE_URL and LLM_SERVICE_URL (or the embedded service), as the API would.
    """
    from domain.errors import InvalidInput, LLMServiceUnavailable

    # The run's audit line goes to stderr; the table to stdout.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("domain.cleanup").setLevel(logging.INFO)
    settings = load_settings()
    try:
        result = asyncio.run(_cleanup(settings, older_than_days, dry_run))
    except DatabaseNotMigrated:
        message = (
            "The database is not at the latest revision: run "
            "`mission-planner migrate` first. Nothing was deleted."
        )
        raise fail(message, 1) from None
    except (OSError, SQLAlchemyError) as error:
        raise database_unusable(error, "nothing was deleted.") from None
    except InvalidInput as error:
        raise fail(f"--older-than-days {error.errors[0].message}", 2) from None
    except LLMServiceUnavailable as error:
        raise fail(error.message, 1) from None
    console.print(cleanup_table(result))


async def _cleanup(settings: Settings, older_than_days: int, dry_run: bool) -> CleanupResult:
    from domain.cleanup import CLI_ACTOR, Actor, cleanup_old_jobs
    from infra.db.engine import create_engines
    from infra.db.migrate import is_at_head
    from infra.db.read_queries import ReadQueries, SqlBundleCatalog
    from infra.publisher import NoBusPublisher
    from infra.wiring import build_dependencies, open_llm_service

    async with contextlib.AsyncExitStack() as stack:
        engines = create_engines(settings.resolved_database_url)
        stack.push_async_callback(engines.dispose)
        if not await is_at_head(engines.writer, with_llm_service=settings.embedded_llm_service):
            raise DatabaseNotMigrated()
        llm = await open_llm_service(settings, engines, stack, webhook_app=None)
        catalog = SqlBundleCatalog(ReadQueries(engines.reader))
        deps = build_dependencies(settings, engines, llm, NoBusPublisher(), catalog)
        actor = Actor(CLI_ACTOR, is_admin=True)  # whoever holds the shell holds the database
        return await cleanup_old_jobs(deps, actor, older_than_days, dry_run)


class DatabaseNotMigrated(Exception):
    """The cleanup refuses to guess at tables an older schema may lack."""


def cleanup_table(result: CleanupResult) -> Table:
    mode = "dry run, nothing deleted" if result.dry_run else "deleted"
    table = Table(
        title=f"Jobs cleanup: {mode}",
        caption=f"cutoff {result.cutoff.isoformat(timespec='seconds')}",
    )
    table.add_column("kind")
    table.add_column("matched", justify="right")
    table.add_column("deleted", justify="right")
    jobs = result.jobs
    table.add_row("finished jobs (LLM service)", str(jobs.matched), str(jobs.deleted))
    table.add_row(
        "webhook deliveries (LLM service)",
        str(jobs.deliveries_matched),
        str(jobs.deliveries_deleted),
    )
    table.add_row(
        "webhook receipts (API)", str(result.receipts_matched), str(result.receipts_deleted)
    )
    return table


if __name__ == "__main__":
    app()
