"""``leadline``: the command developers and on-call engineers use."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import replace

import typer
from rich.console import Console

from leadline.platform.tokens import Role, mint_token

from . import dlq, events, replay, simulate, topics

app = typer.Typer(
    help="leadline: shared WhatsApp inbox tied to CRM leads.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(simulate.app, name="simulate")
app.add_typer(dlq.app, name="dlq")
app.add_typer(events.app, name="events")
app.add_typer(topics.app, name="topics")
app.command("replay")(replay.replay)
console = Console()


@app.command()
def run(
    fresh: bool = typer.Option(
        False, "--fresh", help="start from empty embedded databases (deletes var/postgres, var/media)"
    ),
) -> None:
    """Start the whole system (embedded broker and database unless configured) until Ctrl-C or SIGTERM.

    The embedded databases are kept between runs; the embedded broker starts empty every run.
    """
    from .stack import SERVICES, Stack, StackConfig, what_a_restart_keeps  # here: the other commands start without it

    config = replace(StackConfig.from_env(), fresh=fresh)
    stack = Stack(config, say=lambda line: console.print(line, soft_wrap=True))
    stopping = threading.Event()

    def request_stop(signum: int, _: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        console.print("[bold]leadline[/bold] starting…")
        stack.start()
        console.print(f"broker    {stack.bootstrap_servers}" + ("  (embedded tansu, in memory)" if stack.kafka else ""))
        console.print(
            "database  "
            + ("embedded PostgreSQL in " + str(config.var_dir / "postgres") if stack.postgres else "DATABASE_URL")
        )
        if kept := what_a_restart_keeps(
            embedded_broker=stack.kafka is not None,
            embedded_database=stack.postgres.data_dir if stack.postgres else None,
        ):
            console.print(kept, soft_wrap=True)
        fakes = {"fakegraph": "  (fake WhatsApp Graph API)", "fakeevolution": "  (fake Evolution API)"}
        for name in (*SERVICES, *fakes):
            suffix = fakes.get(name, f"  docs {config.url(name)}/docs")
            console.print(f"{name:<10}{config.url(name)} {suffix}")
        console.print(f"logs      {config.var_dir / 'logs'}")
        console.print(json.dumps({"ready": True, "pids": stack.pids()}), highlight=False)
        console.print("ready — Ctrl-C to stop")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            for name, child in stack.children.items():
                if child.poll() is not None:
                    console.print(
                        f"[red]{name} exited with {child.returncode}[/red]; see {config.var_dir}/logs/{name}.log"
                    )
                    stopping.set()
    except Exception as error:  # one line for the operator, no traceback
        console.print(f"[red]leadline run failed:[/red] {error}")
        stack.stop()
        raise typer.Exit(1) from None
    console.print("stopping…")
    stack.stop()
    if stack.postgres and stack.postgres.other_users:
        console.print(f"stopped; PostgreSQL keeps running for pid {', '.join(map(str, stack.postgres.other_users))}")
    else:
        console.print("stopped")


@app.command()
def token(
    agent_id: str = typer.Option(..., "--agent", help="agent id (the token's subject)"),
    name: str = typer.Option(..., help="agent's display name"),
    role: Role = typer.Option(Role.ATTENDANT, help="attendant, seller or admin"),
    account: str = typer.Option("acme-motors", help="account id"),
    team: list[str] = typer.Option([], "--team", help="team id (repeatable)"),
    hours: int = typer.Option(12, help="validity in hours"),
) -> None:
    """Mint a development JWT signed with JWT_SECRET (HS256)."""
    from datetime import timedelta

    from leadline.platform.settings import ServiceSettings

    secret = os.environ.get("JWT_SECRET") or ServiceSettings().jwt_secret.get_secret_value()
    print(
        mint_token(
            secret=secret,
            agent_id=agent_id,
            name=name,
            role=role,
            account_id=account,
            teams=team,
            ttl=timedelta(hours=hours),
        )
    )


if __name__ == "__main__":
    app()
