"""Team roles on a PostgreSQL project: who may do what, held by the database (migration 0007_team_roles).

Why in the database: ``--coder`` used to be self-declared, so one coder could remove another's
codings or tick a review in their name, and agreement figures rested on honour. On a server
each member logs in as their own role; the group roles ``qc_<database>_owner|coder|reviewer``
(and ``_reconcile``, the right to write the consensus coder) carry the project role, and the
grants and row-level security policies of the migration apply to every client, qcoder or a
plain SQL script alike. The database administrator who owns the tables is not held by them.
A SQLite project is one researcher's file: none of this applies there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qcoder.errors import QcoderError
from qcoder.store.models import Coder

ROLES = ("owner", "coder", "reviewer")


@dataclass(frozen=True)
class Member:
    login: str
    role: str  # owner, coder or reviewer
    reconcile: bool  # may write the consensus coder's codings


def has_team_roles(session: Session) -> bool:
    """Whether this is a PostgreSQL project with the team roles of migration 0005."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(session.execute(text("SELECT to_regproc('qcoder_group') IS NOT NULL")).scalar())


def login(session: Session) -> str:
    return str(session.execute(text("SELECT current_user")).scalar())


def is_administrator(session: Session) -> bool:
    """A superuser or the tables' owner: the policies do not hold them (they run migrations, add owners)."""
    return bool(
        session.execute(
            text(
                "SELECT r.rolsuper OR pg_has_role(current_user, t.tableowner, 'USAGE') "
                "FROM pg_roles r, pg_tables t WHERE r.rolname = current_user "
                "AND t.tablename = 'codings' AND t.schemaname = current_schema()"
            )
        ).scalar()
    )


def own_role(session: Session) -> str | None:
    """The project role of the login this session runs as; None for the administrator or a non-member."""
    if not has_team_roles(session) or is_administrator(session):
        return None
    for role in ROLES:
        if session.execute(text("SELECT qcoder_in(:r)"), {"r": role}).scalar():
            return role
    return None


def required_coder(session: Session, asked: str) -> str | None:
    """The coder a team member must code as (their login); refuses ``--coder`` for someone else."""
    if own_role(session) is None:
        return None
    me = login(session)
    if asked != me:
        raise QcoderError(
            f"on this PostgreSQL project you work as your login {me!r}; you cannot act as {asked!r} "
            f"(use --coder {me} or leave the coder to qcoder)"
        )
    return me


def _group(session: Session, kind: str) -> str:
    return str(session.execute(text("SELECT qcoder_group(:k)"), {"k": kind}).scalar())


def _require(session: Session) -> None:
    if not has_team_roles(session):
        raise QcoderError(
            "team roles need a PostgreSQL project at the current schema (`qcoder db upgrade`); "
            "a SQLite project is one researcher's file"
        )


def _quote(session: Session, name: str) -> str:
    return str(session.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar())


def members(session: Session) -> list[Member]:
    _require(session)
    groups = {kind: _group(session, kind) for kind in (*ROLES, "reconcile")}
    rows = session.execute(
        text(
            "SELECT m.rolname, g.rolname FROM pg_auth_members a "
            "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
            "WHERE g.rolname = ANY(:groups) ORDER BY m.rolname"
        ),
        {"groups": list(groups.values())},
    ).all()
    kind_of = {group: kind for kind, group in groups.items()}
    roles: dict[str, str] = {}
    reconcile: set[str] = set()
    for member, group in rows:
        kind = kind_of[group]
        if kind == "reconcile":
            reconcile.add(member)
        elif kind in ROLES and (member not in roles or ROLES.index(kind) < ROLES.index(roles[member])):
            roles[member] = kind
    return [Member(name, role, role == "owner" or name in reconcile) for name, role in sorted(roles.items())]


def set_role(session: Session, name: str, role: str, *, reconcile: bool | None = None, add: bool = False) -> Member:
    """Give login ``name`` the project ``role`` (and the reconcile right); an owner may manage members."""
    _require(session)
    if role not in ROLES:
        raise QcoderError(f"--role takes owner, coder or reviewer, not {role!r}")
    exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if exists is None:
        raise QcoderError(
            f"there is no login {name!r} on the server; ask its administrator to create it "
            f"(CREATE ROLE {name} LOGIN PASSWORD '…'), then run `qcoder team add {name} --role {role}`"
        )
    current = {member.login: member for member in members(session)}
    if add and name in current:
        raise QcoderError(f"{name} is already a member ({current[name].role}); use `qcoder team set-role`")
    if not add and name not in current:
        raise QcoderError(f"{name} is not a member yet; use `qcoder team add {name} --role {role}`")
    quoted = _quote(session, name)
    for kind in ROLES:
        group = _quote(session, _group(session, kind))
        if kind == role:
            admin = " WITH ADMIN OPTION" if kind == "owner" else ""
            session.execute(text(f"GRANT {group} TO {quoted}{admin}"))
        elif name in current and current[name].role == kind:
            session.execute(text(f"REVOKE {group} FROM {quoted}"))
    reconcile_group = _quote(session, _group(session, "reconcile"))
    if role == "owner":  # an owner manages members: each group may be granted on
        for kind in ("coder", "reviewer", "reconcile"):
            session.execute(text(f"GRANT {_quote(session, _group(session, kind))} TO {quoted} WITH ADMIN OPTION"))
    if reconcile is True:
        session.execute(text(f"GRANT {reconcile_group} TO {quoted}"))
    elif reconcile is False and role != "owner":
        session.execute(text(f"REVOKE {reconcile_group} FROM {quoted}"))
    if session.scalar(select(Coder.id).where(Coder.name == name)) is None:
        session.add(Coder(name=name))  # the member's coder, named like their login
        session.flush()
    return next(member for member in members(session) if member.login == name)
