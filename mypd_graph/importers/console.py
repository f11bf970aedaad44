"""The import commands' work, apart from their click wiring in :mod:`mypd_graph.cli`: who the
command runs as, the progress it shows while it works, and the summary printed at the end."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import click
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.importers.job import ImportProgress
from mypd_graph.importers.pipeline import run_import
from mypd_graph.importers.printable import printable
from mypd_graph.models import District, ImportRowError, ImportRun, Role, User
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import IMPORT_ROLES, Actor, actor_for
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.settings import Settings

EXIT_REJECTED = 3
EXIT_FAILED = 4
SUMMARY_ERRORS = 10


def parse_options(pairs: tuple[str, ...], mapping: Path | None) -> dict[str, Any]:
    """``-o key=value`` pairs (``true``/``false`` and numbers are converted) and a mapping file
    (JSON or TOML: an object of field → header)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        options[key.strip()] = _value(value.strip())
    if mapping is not None:
        text = mapping.read_text(encoding="utf-8-sig")
        try:
            loaded = tomllib.loads(text) if mapping.suffix.lower() == ".toml" else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as error:
            raise click.BadParameter(f"{mapping}: {error}", param_hint="--mapping") from error
        loaded = loaded.get("mapping", loaded) if isinstance(loaded, dict) else loaded
        if not isinstance(loaded, dict):
            raise click.BadParameter(f"{mapping}: expected an object", param_hint="--mapping")
        options["mapping"] = loaded
    return options


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


async def importing_actor(session: AsyncSession, email: str | None) -> Actor:
    """The user the command runs as: ``--as EMAIL``, else the one importer service account, else
    (a new deployment: ``district create`` made one district and its admin) the admin of the only
    district. When that is ambiguous the error names the flag and the emails to pass to it."""
    if email:
        user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise click.ClickException(f"no active user with email {email!r}")
        if user.role not in IMPORT_ROLES:
            raise click.ClickException(
                f"{user.email} is a {user.role}; only a district admin or the importer service "
                "may import"
            )
        return actor_for(user)
    users = list(
        await session.scalars(
            select(User).where(User.role == "importer", User.active.is_(True)).limit(2)
        )
    )
    if len(users) == 1:
        return actor_for(users[0])
    if users:
        raise click.ClickException(
            "several importer service users: pass --as EMAIL (a district admin or importer)"
        )
    return await _only_admin(session)


async def _only_admin(session: AsyncSession) -> Actor:
    """The active admin of the deployment's only district, when there is exactly one of each."""
    districts = list(await session.scalars(select(District.key).order_by(District.key).limit(6)))
    if len(districts) != 1:
        several = f" (districts: {', '.join(districts)})" if districts else ""
        raise click.ClickException(
            "no importer service user: pass --as EMAIL, the email of a district admin of the "
            f"district to import into{several}"
        )
    admins = list(
        await session.scalars(
            select(User)
            .where(User.role == Role.DISTRICT_ADMIN.value, User.active.is_(True))
            .order_by(User.email)
            .limit(6)
        )
    )
    if len(admins) != 1:
        which = ", ".join(admin.email for admin in admins) or "none is active"
        raise click.ClickException(
            f"no importer service user and {len(admins) or 'no'} district admins: pass --as "
            f"EMAIL (a district admin: {which})"
        )
    click.echo(f"importing as {admins[0].email}, the district's admin", err=True)
    return actor_for(admins[0])


PLAIN_EVERY = 5.0  # seconds between progress lines when standard error is not a terminal


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _size(count: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return plural(count, "byte")


def describe(progress: ImportProgress) -> str:
    """Where an import stands: the share of the file read (when its size says it), rows so far,
    their rate, and the rows rejected so far."""
    rows = (
        f"{plural(progress.rows_read, 'row')}, {progress.rows_per_second:,.0f} rows/s, "
        f"{progress.rows_rejected:,} rejected"
    )
    if progress.bytes_total <= 0:
        return rows
    done = min(progress.bytes_read, progress.bytes_total)
    share = done / progress.bytes_total
    return f"{share:.0%} ({_size(done)} of {_size(progress.bytes_total)}), {rows}"


class ProgressReport:
    """An import's progress on standard error, as the pipeline reports it after each batch.

    On a terminal: a bar of the bytes read out of the file's size, the rows beside it. Elsewhere
    (a log file, a pipe, cron) a bar shows only its first frame, so a plain line says the same
    every ``every`` seconds (:data:`PLAIN_EVERY`). A folder (a OneRoster export) has no byte
    count to show: its progress is lines of rows, on a terminal too.
    """

    def __init__(
        self,
        name: str,
        stream: TextIO | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = printable(name)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.every = PLAIN_EVERY if every is None else every
        self.clock = clock
        self.bar: Any = None
        self.shown = 0
        self.text = ""
        self.last_line: float | None = None

    def __call__(self, progress: ImportProgress) -> None:
        label = f"importing {self.name}" + (f" ({progress.layout})" if progress.layout else "")
        if self.tty and progress.bytes_total > 0:
            self._bar(progress, label)
            return
        now = self.clock()
        if self.last_line is None or now - self.last_line >= self.every:
            self.last_line = now
            click.echo(f"{label}: {describe(progress)}", file=self.stream)

    def _bar(self, progress: ImportProgress, label: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=progress.bytes_total,
                label=label,
                file=self.stream,
                show_eta=True,
                item_show_func=lambda _: self.text,
            )
            self.bar.__enter__()
        self.text = (
            f"{plural(progress.rows_read, 'row')}, {progress.rows_per_second:,.0f} rows/s, "
            f"{progress.rows_rejected:,} rejected"
        )
        done = min(progress.bytes_read, progress.bytes_total)
        self.bar.update(max(done - self.shown, 0), self.text)
        self.shown = max(done, self.shown)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


async def _run(
    settings: Settings,
    plugins: PluginSet,
    importer: str,
    path: Path,
    options: Mapping[str, Any],
    email: str | None,
    bar: ProgressReport,
) -> tuple[ImportRun, list[ImportRowError], int]:
    from mypd_graph import migrate
    from mypd_graph.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        if not await migrate.is_at_head(engine):
            raise click.ClickException(
                "the database is not migrated to the current schema: run `mypd-graph db upgrade`"
            )
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            actor = await importing_actor(session, email)
        try:
            run = await run_import(
                sessionmaker, actor, importer, path, options, plugins=plugins, progress=bar
            )
        except (UserInputError, PermissionDenied) as error:
            raise click.ClickException(printable(str(error))) from error
        async with sessionmaker() as session:
            errors = list(
                await session.scalars(
                    select(ImportRowError)
                    .where(ImportRowError.import_id == run.id)
                    .order_by(ImportRowError.id)
                    .limit(SUMMARY_ERRORS)
                )
            )
            total = await session.scalar(
                select(func.count()).where(ImportRowError.import_id == run.id)
            )
        return run, errors, int(total or 0)
    finally:
        await engine.dispose()


def run_command(
    settings: Settings,
    plugins: PluginSet,
    importer: str,
    path: Path,
    options: Mapping[str, Any],
    email: str | None,
) -> int:
    """Import, print the summary, and return the exit status (0, or 3 rejected, 4 failed)."""
    if importer not in plugins.importers and importer.replace("_", "-") in plugins.importers:
        importer = importer.replace("_", "-")  # the plugin is csv_scores, its importer csv-scores
    bar = ProgressReport(path.name)
    started = time.monotonic()
    try:
        run, errors, total = asyncio.run(
            _run(settings, plugins, importer, path, options, email, bar)
        )
    finally:
        bar.close()
    click.echo(summary(run, errors, total, time.monotonic() - started))
    if run.status == ImportStatus.REJECTED.value:
        return EXIT_REJECTED
    if run.status != ImportStatus.COMPLETED.value:
        return EXIT_FAILED
    return 0


def summary(run: ImportRun, errors: list[ImportRowError], total: int, seconds: float) -> str:
    """What the command prints at the end; nothing of the file reaches the terminal unescaped."""
    layout = f", {run.layout}" if run.layout else ""
    rate = run.rows_read / seconds if seconds > 0 else 0
    lines = [
        f"import {run.id} {run.status}: {printable(run.file_name)} ({run.importer}{layout}) "
        f"in {seconds:.1f}s, {rate:,.0f} rows/s",
        f"  read {plural(run.rows_read, 'row')}: {run.rows_inserted:,} inserted, "
        f"{run.rows_updated:,} updated, {run.rows_unchanged:,} unchanged, "
        f"{run.rows_rejected:,} rejected, {run.rows_skipped:,} skipped",
    ]
    if run.message:
        lines.append(f"  {printable(run.message)}")
    for error in errors:
        where = f"{error.file} row {error.row}" if error.file else f"row {error.row}"
        column = f", {error.column}" if error.column else ""
        value = f" {error.value!r}" if error.value not in (None, "") else ""
        lines.append(printable(f"  {where}{column}{value}: {error.reason}"))
    if total > len(errors):
        lines.append(
            f"  ... {total - len(errors):,} more row errors: mypd-graph import errors {run.id}"
        )
    return "\n".join(lines)


async def write_errors(settings: Settings, run_id: int, out: Any) -> bool:
    """Every row error of a run as CSV (row, file, column, value, reason), streamed; False when
    there is no such run."""
    import csv

    from mypd_graph.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if await session.get(ImportRun, run_id) is None:
                return False
            writer = csv.writer(out)
            writer.writerow(["row", "file", "column", "value", "reason"])
            rows = await session.stream_scalars(
                select(ImportRowError)
                .where(ImportRowError.import_id == run_id)
                .order_by(ImportRowError.id)
                .execution_options(yield_per=1000)
            )
            async for error in rows:
                writer.writerow([error.row, error.file, error.column, error.value, error.reason])
            return True
    finally:
        await engine.dispose()
