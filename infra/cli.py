"""`mission-planner` command line: dev tokens and migrations."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from infra.auth import TokenAuthenticator
from infra.settings import Settings

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


if __name__ == "__main__":
    app()
