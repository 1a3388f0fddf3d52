"""`pantau users`: web accounts (viewer, triager, admin) and their API tokens."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from sqlmodel import Session

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.storage.models import USER_ROLES
from pantau.storage.users import UserError, add_user, get_user, issue_token, list_users, set_disabled, set_password

users_app = typer.Typer(
    help="Manage web users: roles viewer (read), triager (change status and labels), admin (users).",
    no_args_is_help=True,
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin", 2)
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@users_app.command("add")
def add_command(
    username: str = typer.Argument(..., help="Login name: lowercase letters, digits, '.', '_' or '-'."),
    role: str = typer.Option("viewer", "--role", "-r", help=f"One of {', '.join(USER_ROLES)}."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin (scripts)."),
) -> None:
    """Create a web user. The password is asked twice (or read from stdin) and stored as an argon2 hash.

    Example: a triager (the password is asked at the prompt), then an admin from a script:

        pantau users add siti --role triager

        printf '%s\\n' "$PASSWORD" | pantau users add ops --role admin --password-stdin
    """
    if role not in USER_ROLES:
        fail(f"--role must be one of {', '.join(USER_ROLES)}", 2)
    password = _read_password(password_stdin)
    engine = get_engine(get_settings())
    with Session(engine) as session:
        try:
            user = add_user(session, username, password, role)
        except UserError as exc:
            fail(str(exc), 2)
        session.commit()
        err.print(f"user {user.username} created with role {user.role}", markup=False)


@users_app.command("list")
def list_command() -> None:
    """List users with their role, whether they are disabled and whether they hold an API token.

    Example:

        pantau users list
    """
    engine = get_engine(get_settings())
    with Session(engine) as session:
        users = list_users(session)
    table = Table("username", "role", "disabled", "api token", "created")
    for user in users:
        table.add_row(
            user.username,
            user.role,
            "yes" if user.disabled else "no",
            "yes" if user.token_hash else "no",
            user.created_at.strftime("%Y-%m-%d"),
        )
    out.print(table)


def _existing(session: Session, username: str):  # type: ignore[no-untyped-def]
    user = get_user(session, username)
    if user is None:
        fail(f"no user named {username!r}")
    return user


@users_app.command("disable")
def disable_command(username: str = typer.Argument(..., help="The user to lock out.")) -> None:
    """Disable a user: their sessions stop working at the next request and their API token is revoked.

    Example:

        pantau users disable budi
    """
    engine = get_engine(get_settings())
    with Session(engine) as session:
        user = _existing(session, username)
        set_disabled(session, user, True)
        session.commit()
    err.print(f"user {username} disabled", markup=False)


@users_app.command("enable")
def enable_command(username: str = typer.Argument(..., help="The user to let back in.")) -> None:
    """Enable a disabled user again (issue a new token with `pantau users token`).

    Example:

        pantau users enable budi
    """
    engine = get_engine(get_settings())
    with Session(engine) as session:
        set_disabled(session, _existing(session, username), False)
        session.commit()
    err.print(f"user {username} enabled", markup=False)


@users_app.command("password")
def password_command(
    username: str = typer.Argument(..., help="Whose password to change."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from stdin."),
) -> None:
    """Set a new password; every existing browser session of that user ends.

    Example:

        pantau users password siti
    """
    password = _read_password(password_stdin)
    engine = get_engine(get_settings())
    with Session(engine) as session:
        try:
            set_password(session, _existing(session, username), password)
        except UserError as exc:
            fail(str(exc), 2)
        session.commit()
    err.print(f"password of {username} changed", markup=False)


@users_app.command("token")
def token_command(username: str = typer.Argument(..., help="The user the API token acts as.")) -> None:
    """Print a new API bearer token for a user, once; only its hash is stored, and any older token stops working.

    Example: a token for a script, then an API call with it:

        export PANTAU_TOKEN=$(pantau users token siti)

        curl -H "Authorization: Bearer $PANTAU_TOKEN" "http://127.0.0.1:8000/api/posts?label=account_access"
    """
    engine = get_engine(get_settings())
    with Session(engine) as session:
        user = _existing(session, username)
        if user.disabled:
            fail(f"user {username} is disabled; enable it first")
        token = issue_token(session, user)
        session.commit()
    typer.echo(token)
    err.print("store this token now: it is not shown again", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
