"""`mission-planner` command line: dev tokens, migrations and the admin cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from infra.auth import TokenAuthenticator
from infra.demo import demo
from infra.settings import Settings

if TYPE_CHECKING:
    from domain.cleanup import CleanupResult

app = typer.Typer(help="Mission Planner service tools.", no_args_is_help=True)
console = Console()


@app.command()
def token(
    user_id: str = typer.Argument("dev-user", help="The token's `sub`: whose reports it sees."),
    admin: bool = typer.Option(False, "--admin", help="Grant app_metadata.role = admin."),
    ttl_hours: float = typer.Option(24.0, "--ttl-hours", min=0.01, help="Lifetime in hours."),
    email: str | None = typer.Option(None, help="Optional email claim."),
) -> None:
    """Mint a dev JWT signed with this instance's AUTH_JWT_SECRET (or generated secret)."""
    settings = Settings()
    authenticator = TokenAuthenticator(
        settings.jwt_secret, audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer
    )
    jwt = authenticator.mint(user_id, admin=admin, ttl_seconds=int(ttl_hours * 3600), email=email)
    print(jwt)


@app.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL or the embedded SQLite file) to the latest revision."""
    from infra.db.engine import create_engines
    from infra.db.migrate import upgrade_to_head

    async def run() -> None:
        engines = create_engines(Settings().resolved_database_url)
        try:
            await upgrade_to_head(engines.writer)
        finally:
            await engines.dispose()

    asyncio.run(run())
    console.print("[green]database is at the latest revision[/green]")


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
    from sqlalchemy.exc import SQLAlchemyError

    from domain.errors import InvalidInput, LLMServiceUnavailable

    # The run's audit line goes to stderr; the table to stdout.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("domain.cleanup").setLevel(logging.INFO)
    try:
        result = asyncio.run(_cleanup(Settings(), older_than_days, dry_run))
    except DatabaseNotMigrated:
        console.print(
            "[red]The database is not at the latest revision: run "
            "`mission-planner migrate` first. Nothing was deleted.[/red]"
        )
        raise typer.Exit(1) from None
    except (OSError, SQLAlchemyError) as error:
        console.print(
            f"[red]The database cannot be used ({type(error).__name__}); nothing was deleted.[/red]"
        )
        raise typer.Exit(1) from None
    except InvalidInput as error:
        console.print(f"[red]--older-than-days {error.errors[0].message}[/red]")
        raise typer.Exit(2) from None
    except LLMServiceUnavailable as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
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
        if not await is_at_head(engines.writer):
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
