"""Command groups for `flask --app pwa_app ...`: organisations, users, households, demo data."""

import os
import sqlite3
import sys
import time
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from pwa_app.database import writes_first
from pwa_app.extensions import db
from pwa_app.models import User
from pwa_app.services import (
    accounts,
    area_imports,
    backup,
    demo,
    imports,
    issuer_keys,
    organisations,
    recognition,
    user_imports,
)
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
households_cli = AppGroup("households", help="Manage households.")
areas_cli = AppGroup("areas", help="Manage areas (province, district, subdistrict, village).")
demo_cli = AppGroup("demo", help="Load demo data for Nong Ian and Ban Lao.")
badges_cli = AppGroup("badges", help="Recognition badges.")
orgs_cli = AppGroup("orgs", help="Organisations (centres, provincial offices) and their areas.")
notifications_cli = AppGroup("notifications", help="Notifications to volunteers and staff.")
photos_cli = AppGroup("photos", help="Photos of visits and encounters.")


@users_cli.command("create")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--phone", required=True, help="The login: a Thai phone number.")
@click.option("--name", required=True, help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--area",
    "areas",
    multiple=True,
    help="A subdistrict (NI) or village (NI-03) code; an observer's may be of any level.",
)
@click.option("--org", "org", default=None, help="The organisation's code (default: the only one).")
@writes_first
def create_user(role, phone, name, password_stdin, areas, org):
    """Create a user; the password comes from standard input."""
    if not password_stdin:
        raise click.UsageError("pass --password-stdin and give the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    data = accounts.UserInput(
        phone=phone,
        display_name=name,
        role=role,
        area_codes=list(areas),
        password=password,
        org_code=org,
    )
    with refused_on_errors():
        user = accounts.create_user(data)
    db.session.commit()
    click.echo(f"created {user.role} {user.phone} (id {user.id}) in {user.org.code}")


@contextmanager
def refused_on_errors():
    """Turn a service's ValidationError into messages on stderr and exit status 1."""
    try:
        yield
    except ValidationError as error:
        db.session.rollback()
        for field, message in error.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        if not error.fields:
            click.echo(f"error: {error.message}", err=True)
        sys.exit(1)


@orgs_cli.command("create")
@click.option("--code", required=True, help="A short code, e.g. MDH; also the badge issuer's.")
@click.option("--name", required=True, help="The Thai name.")
@click.option("--name-en", default="", help="The English name (default: the Thai one).")
@click.option("--phone", default="", help="The centre's phone number.")
@click.option("--address", default="", help="The centre's address.")
@click.option("--area", "areas", multiple=True, required=True, help="An area code it covers.")
@writes_first
def create_org(code, name, name_en, phone, address, areas):
    """Create an organisation covering areas (and everything below them)."""
    data = organisations.OrganisationInput(
        code=code, name_th=name, name_en=name_en, phone=phone, address=address,
        area_codes=list(areas),
    )  # fmt: skip
    with refused_on_errors():
        organisation = organisations.create(data)
    db.session.commit()
    click.echo(
        f"created {organisation.code} covering {', '.join(a.code for a in organisation.areas)}"
    )


@orgs_cli.command("list")
def list_orgs():
    """List the organisations: code, name, areas, users, villages and households."""
    users = dict(
        db.session.execute(select(User.org_id, func.count(User.id)).group_by(User.org_id)).all()
    )
    for org in organisations.all_organisations():
        areas = " ".join(a.code for a in org.areas)
        click.echo(
            f"{org.code}\t{org.name_th}\t{areas}\tusers {users.get(org.id, 0)}\t"
            f"villages {organisations.village_count(org.id)}\t"
            f"households {organisations.household_count(org.id)}"
        )


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@writes_first
def import_users(path):
    """Create users from a CSV file (phone,name,role,areas,org); print each one-time password.

    The passwords are shown here once: hand each to its owner, who chooses their own at the
    first login. Exit status as for `households import`: 0 every row created or already there,
    1 the file was refused, 3 some rows were left out.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        report = user_imports.import_users(
            raw, by=None, after_chunk=db.session.commit, progress=progress_bar
        )
    except ValidationError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"created {len(report.created)} users, {len(report.already)} already there")
    if report.created:
        click.echo("one-time passwords (shown once; each must be changed at the first login):")
        for account in report.created:
            click.echo(
                f"  line {account.line}  {account.phone}  {account.role:<9}  "
                f"{account.password}  {account.name}"
            )
    for row in report.rejected:
        click.echo(f"line {row.line} ({row.code or '-'}): " + "; ".join(row.reasons))
    if report.rejected:
        click.echo(f"{len(report.rejected)} rows not imported", err=True)
        sys.exit(3)


@households_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@writes_first
def import_households(path):
    """Import households from a CSV file; report the rows left out.

    Rows already imported with the same details are counted, not imported again, so a file can
    be imported again after an interruption. Exit status: 0 no row was left out (each imported
    or already there), 1 the file was refused (nothing imported), 3 some rows were left out
    (the others were imported).
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        report = imports.import_households(
            raw, by=None, after_chunk=db.session.commit, progress=progress_bar
        )
    except ValidationError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(
        f"imported {len(report.imported)} households, {len(report.already)} already imported"
    )
    for row in report.rejected:
        click.echo(f"line {row.line} ({row.code or '-'}): " + "; ".join(row.reasons))
    if report.rejected:
        click.echo(f"{len(report.rejected)} rows not imported", err=True)
        sys.exit(3)


@areas_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@writes_first
def import_areas(path):
    """Import areas from a CSV file (UTF-8 or Windows-874); report the rows left out by line.

    Exit status: 0 no row was left out, 1 the file was refused (nothing imported), 3 some rows
    were left out (the others were imported). Importing the same file again changes nothing.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        report = area_imports.import_areas(
            raw, by=None, after_chunk=db.session.commit, progress=progress_bar
        )
    except ValidationError as error:
        db.session.rollback()
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"imported {len(report.imported)} areas, {len(report.already)} already there")
    for row in report.rejected:
        click.echo(f"line {row.line} ({row.code or '-'}): " + "; ".join(row.reasons))
    if report.rejected:
        click.echo(f"{len(report.rejected)} rows not imported", err=True)
        sys.exit(3)


@demo_cli.command("seed")
@click.option("--households", default=demo.DEFAULT_HOUSEHOLDS, show_default=True, type=int)
@click.option("--visits", default=None, type=int, help="Default: 6 per household.")
@click.option("--quiet", is_flag=True, help="Do not print the demo logins.")
@click.option("--if-empty", is_flag=True, help="Seed only a database that has no users yet.")
@click.option(
    "--orgs",
    default=None,
    type=click.IntRange(1, 1000),
    help="Grow to this many organisations, each over a demo province.",
)
@click.option(
    "--villages",
    default=None,
    type=click.IntRange(1, 500_000),
    help="Grow to this many villages, spread over the demo provinces.",
)
@click.option(
    "--volunteers",
    default=None,
    type=click.IntRange(1, 2_000_000),
    help="Spread at least this many volunteers over the villages.",
)
@click.option(
    "--national",
    is_flag=True,
    help=(
        "A whole country's size: "
        + ", ".join(f"--{name} {value:,}" for name, value in demo.NATIONAL.items())
        + " (options given beside it win)."
    ),
)
def seed_demo(households, visits, quiet, if_empty, orgs, villages, volunteers, national):
    """Top up the database with demo data to the given counts (safe to run again)."""
    if national:
        given = click.get_current_context().get_parameter_source
        sizes = {"households": households, "visits": visits, "orgs": orgs}
        sizes |= {"villages": villages, "volunteers": volunteers}
        for name, value in demo.NATIONAL.items():
            if given(name) is click.core.ParameterSource.DEFAULT:
                sizes[name] = value
        households, visits, orgs = sizes["households"], sizes["visits"], sizes["orgs"]
        villages, volunteers = sizes["villages"], sizes["volunteers"]
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("demo seed: the database already has users; nothing added")
        if not quiet:
            print_logins()
        return
    started = time.perf_counter()
    report = demo.seed(
        households=households,
        visits=visits,
        orgs=orgs,
        villages=villages,
        volunteers=volunteers,
        progress=progress_bar,
    )
    db.session.commit()
    demo.tidy()
    click.echo(f"demo seed: {report} in {time.perf_counter() - started:.1f} s")
    if not quiet:
        print_logins()


def progress_bar(label, total):
    """Show how far a long stage is, on standard error (a bar on a terminal, else its label)."""
    return click.progressbar(length=total, label=label, file=sys.stderr)


def print_logins():
    """Print the demo accounts and their shared password."""
    click.echo(f"demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for role, phone, name in demo.demo_logins():
        click.echo(f"  {role:<10} {phone}  {name}")


@demo_cli.command("logins")
def show_logins():
    """Print the demo logins again."""
    print_logins()


@badges_cli.command("evaluate")
@writes_first
def evaluate_badges():
    """Award every automatic badge that volunteers have earned (never one twice)."""
    awards = recognition.evaluate_all()
    db.session.commit()
    for award in awards:
        click.echo(
            f"awarded {award.badge.code} to {award.volunteer.display_name} ({award.public_id})"
        )
    click.echo(f"{len(awards)} new awards")


@badges_cli.command("rotate-key")
@click.option("--org", "code", default=None, help="The issuer's code (default: ORG_CODE).")
def rotate_key(code):
    """Make a new signing key for an issuer; earlier credentials still verify with the old one."""
    code = (code or current_app.config["ORG_CODE"]).upper()
    if code not in issuer_keys.issuer_codes():
        raise click.BadParameter(f"no issuer with code {code!r}", param_hint="--org")
    thumbprint = issuer_keys.create_key(code)
    click.echo(f"new signing key for {code}: {thumbprint}; the old keys are kept as retired")


@notifications_cli.command("follow-ups")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The follow-up date to remind of (default: tomorrow in Thailand).",
)
@writes_first
def remind_follow_ups(day):
    """Remind each volunteer of their households' follow-ups due tomorrow (once a day each)."""
    from pwa_app.services import notifications

    reminded = notifications.remind_follow_ups(day.date() if day else None)
    click.echo(f"{reminded} volunteers reminded")


@photos_cli.command("clean")
@writes_first
def clean_photos():
    """Remove photos whose visit or encounter never came (after a day), and unused files.

    The worker does this every night; this is the same clean-up, at once.
    """
    from pwa_app.services import photos

    cleaned = photos.clean()
    db.session.commit()
    click.echo(
        f"linked {cleaned.linked} waiting photos, removed {cleaned.orphans} orphaned photos "
        f"and {cleaned.files} unused files"
    )


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=2, help="Threads taking tasks.")
def worker_command(workers):
    """Run the background worker (huey): pushes to phones and the daily follow-up reminders."""
    from pwa_app import worker

    worker.run_consumer(workers)


privacy_cli = AppGroup("privacy", help="Personal data duties (PDPA).")


@privacy_cli.command("purge")
@click.option("--days", type=int, default=None, help="Default: the RETENTION_DAYS setting.")
@click.option("--dry-run", is_flag=True, help="Only count what would be cleared.")
@writes_first
def purge_command(days, dry_run):
    """Clear visit notes and locations, and help-request messages, older than the retention;
    delete the encounters closed and the notifications sent before it."""
    from pwa_app.services import privacy

    days = days or current_app.config["RETENTION_DAYS"]
    try:
        visits, requests, closed, notifications = privacy.purge(days, dry_run=dry_run)
    except ValidationError as error:
        click.echo(f"error: {' '.join(str(m) for m in error.fields.values())}", err=True)
        sys.exit(1)
    db.session.commit()
    verb = "would clear" if dry_run else "cleared"
    click.echo(
        f"{verb} {visits} visits, {requests} help requests, {closed} closed encounters "
        f"and {notifications} notifications older than {days} days"
    )


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path, force):
    """Write a consistent copy of the SQLite database to PATH while the app keeps serving.

    For PostgreSQL use pg_dump (see the README).
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        click.echo("error: this database is not SQLite; back PostgreSQL up with pg_dump", err=True)
        sys.exit(1)
    if os.path.exists(path) and not force:
        click.echo(f"error: {path} exists; choose another path or pass --force", err=True)
        sys.exit(1)
    try:
        visits = backup.sqlite_backup(url.database, path)
    except (backup.BackupError, sqlite3.Error) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"backed up {url.database} to {path} ({visits} visits)")


def register(app):
    """Add the command groups to the app's CLI."""
    app.cli.add_command(orgs_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(households_cli)
    app.cli.add_command(areas_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(photos_cli)
    app.cli.add_command(worker_command)
