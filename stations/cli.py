"""`stations`: the service's command line."""

import logging
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from api import auth
from api.auth import Role
from stations.settings import get_settings

app = typer.Typer(help="民政服务站报表服务 / Civil-affairs service stations reporting service.",
                  no_args_is_help=True, add_completion=False)
console = Console()


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(help="API processes (1 with the embedded database)")] = 1) -> None:
    """Run the API; with no DATABASE_URL, on an embedded PostgreSQL kept in the data directory."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if settings.database_url is None:
        if workers != 1:
            raise typer.BadParameter("the embedded database serves one process; set DATABASE_URL for more")
        console.print(f"[bold]嵌入式 PostgreSQL / embedded PostgreSQL[/] in {settings.data_dir / 'pgdata'}")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


@app.command()
def token(role: Annotated[Role, typer.Option(help="station, district, city, auditor or admin")],
          district: Annotated[str | None, typer.Option(help="district code, for station and district")] = None,
          town: Annotated[str | None, typer.Option(help="town code, for station")] = None,
          sub: Annotated[str | None, typer.Option(help="subject (defaults to the role and scope)")] = None,
          hours: Annotated[int | None, typer.Option(help="hours until it expires")] = None) -> None:
    """Mint a bearer token signed with this service's secret."""
    settings = get_settings()
    subject = sub or "-".join(filter(None, [role.value, district, town]))
    try:
        minted = auth.mint(settings.jwt_secret.get_secret_value(), sub=subject, role=role, district=district,
                           town=town, hours=hours or settings.token_hours)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(minted)


if __name__ == "__main__":
    app()
