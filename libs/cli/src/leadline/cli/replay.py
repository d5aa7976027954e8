"""``leadline replay``: rebuild a service's projection from its source while the service runs.

The projection is rebuilt in a shadow schema beside the live tables, caught up under a short lock, compared
row for row and swapped in (``leadline.platform.projection_replay``). ``--dry-run`` stops after the
comparison: it says what would change and changes nothing.

A replay whose source cannot explain the live projection (``leadline.platform.replay_guard``) is refused: one
paragraph on stderr, exit 2, nothing changed; a dry run also lists the rows it would remove and why. ``--force``
swaps anyway, and the report says it was forced and what it removed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from leadline.platform.projection_replay import ReplayableProjection, ReplayReport

from . import context

out = Console(highlight=False)
PROJECTIONS = {
    "history": "lead timelines, replayed from the topics history consumes",
    "router": "conversation and message views, refolded from the router's event store",
}


def _projection(name: str, bootstrap: str | None) -> ReplayableProjection:
    if name == "history":
        from leadline.history.bootstrap import replayable
        from leadline.history.entrypoints.settings import HistorySettings

        return replayable(
            HistorySettings(**context.kafka(bootstrap).model_dump())
        )  # how to connect, from the environment too
    if name == "router":
        from leadline.router.bootstrap import replayable as router_replayable

        return router_replayable()
    context.fail(f"unknown projection {name!r}; projections: {', '.join(PROJECTIONS)}", 2)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        context.fail(f"--from must be an ISO 8601 time such as 2026-11-26T09:00:00Z, not {value!r}", 2)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def replay(
    projection: str = typer.Argument(..., help=f"what to rebuild: {', '.join(PROJECTIONS)}"),
    since: str | None = typer.Option(
        None, "--from", help="keep the projection and replay the events since this time on top of it (history only)"
    ),
    lead: str | None = typer.Option(None, help="replace only this lead's rows"),
    conversation: str | None = typer.Option(None, help="replace only this conversation's rows"),
    dry_run: bool = typer.Option(False, "--dry-run", help="report what would change, change nothing"),
    force: bool = typer.Option(
        False,
        "--force",
        help="swap even when the source cannot explain rows it would remove "
        "(truncated or recreated topics, events missing); the report "
        "records what was removed",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="the service's database (default: <SERVICE>_DATABASE_URL, DATABASE_URL, or the `make run` stack)",
    ),
    bootstrap_servers: str | None = typer.Option(None, "--bootstrap-servers", help="broker (history)"),
) -> None:
    """Rebuild a projection beside the live one and swap it in, safely while the service runs."""
    from leadline.platform.projection_replay import replay_projection  # here: the other commands start without it

    if lead and conversation:
        context.fail("give --lead or --conversation, not both", 2)
    scope = ("lead", lead) if lead else ("conversation", conversation) if conversation else None
    target = _projection(projection, bootstrap_servers)
    url = context.database_url(projection, database_url)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as bar:
        task = bar.add_task(f"replaying {projection}", total=None)

        def advance(read: int, expected: int) -> None:
            bar.update(task, completed=read, total=max(read, expected))

        report = context.run(
            replay_projection(
                target, url, since=_since(since), scope=scope, dry_run=dry_run, force=force, progress=advance
            ),
            doing=f"replaying {projection}",
        )
    print_report(report)
    if report.refused:
        context.fail(refusal(report), 2)


def print_report(report: ReplayReport) -> None:
    if report.diffs:
        table = Table(
            "table",
            "live rows",
            "rebuilt rows",
            "would remove/change" if report.dry_run else "removed/changed",
            "would add/change" if report.dry_run else "added/changed",
            title=f"{report.projection}" + (f" ({report.scope[0]} {report.scope[1]})" if report.scope else ""),
        )
        for diff in report.diffs:
            table.add_row(
                diff.table, str(diff.live_rows), str(diff.rebuilt_rows), str(diff.only_live), str(diff.only_rebuilt)
            )
        out.print(table)
    if report.unexplained:
        out.print(
            "rows no replayed event explains"
            + (" (removed anyway: --force)" if report.forced and report.swapped else "")
        )
        for rows in report.unexplained:
            out.print(f"  {rows.table}: {rows.count} row(s), {rows.why}; e.g. {'; '.join(rows.examples)}")
    if report.forced:
        out.print("forced past: " + " ".join(_sentences(report)))
    verdict = (
        "dry run: nothing changed"
        if report.dry_run
        else "swapped in (forced)"
        if report.forced and report.swapped
        else "swapped in"
        if report.swapped
        else "refused: nothing changed"
    )
    out.print(
        f"{report.events_built + report.events_caught_up} events replayed "
        f"({report.events_caught_up} in the catch-up), {report.changes} row difference(s); {verdict}; "
        f"{report.seconds:.1f} s, live writes paused {report.locked_seconds:.2f} s"
    )


def refusal(report: ReplayReport) -> str:
    """The one paragraph an operator reads when a replay is refused."""
    opening = (
        f"a replay of {report.projection} would be refused"
        if report.dry_run
        else f"refused to replay {report.projection}"
    )
    return (
        f"{opening}: its source cannot explain the projection it would replace. {' '.join(_sentences(report))} "
        "Nothing was changed. Check that the command points at the right broker and database; "
        "`--dry-run` lists the rows a replay would remove; `--force` replays anyway and removes them."
    )


def _sentences(report: ReplayReport) -> list[str]:
    found = [f"{objection.reason[0].upper()}{objection.reason[1:]}." for objection in report.objections]
    if report.unexplained:
        counts = ", ".join(f"{rows.count} from {rows.table}" for rows in report.unexplained)
        found.append(f"The rebuild would remove rows no replayed event explains ({counts}).")
    return found
