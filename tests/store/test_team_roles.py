"""Team roles on the real PostgreSQL server: held by the database, for qcoder and plain SQL alike.

Each member logs in as their own role (created here, as a server administrator would); the
administrator (the session's superuser ``qcoder``, who owns the tables) makes them members.
Before migration 0005 any login could remove anyone's codings and code in anyone's name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from factories import add_document, qc
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import open_project
from qcoder.store.models import Coder, Coding, Event, Memo
from qcoder.store.team import members

pytestmark = pytest.mark.postgres


@dataclass
class Team:
    admin_url: str
    logins: dict[str, str]  # short name -> login role
    server: object

    def url(self, who: str) -> str:
        parsed = make_url(self.admin_url)
        return parsed.set(username=self.logins[who]).render_as_string(hide_password=False)

    def raw(self, who: str) -> psycopg.Connection:
        parsed = make_url(self.admin_url)
        return psycopg.connect(
            host=parsed.query["host"], user=self.logins[who], dbname=parsed.database, autocommit=True
        )


@pytest.fixture
def team(pg_url: str, postgres_server) -> Iterator[Team]:  # type: ignore[no-untyped-def]
    suffix = uuid.uuid4().hex[:8]
    logins = {who: f"{who}_{suffix}" for who in ("alice", "bob", "sup", "boss", "carol")}
    admin = psycopg.connect(host=str(postgres_server.socket_dir), user="qcoder", dbname="postgres", autocommit=True)
    for login in logins.values():
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
    with open_project(pg_url) as project:
        add_document(project, ["第一句话。", "第二句话。", "第三句话。"])
        Workbench(project, "admin").create_code("融资难", 0)
    for who, role in (("alice", "coder"), ("bob", "coder"), ("sup", "reviewer"), ("boss", "owner")):
        code, _out, err = qc("team", "add", logins[who], "--role", role, "--db", pg_url)
        assert code == 0, err
    try:
        yield Team(pg_url, logins, postgres_server)
    finally:
        database = make_url(pg_url).database
        admin.execute(
            sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}").format(
                sql.Literal(database)
            )
        )
        admin.close()


def _codings_of(url: str, coder: str) -> int:
    with open_project(url) as project, project.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Coding)
                .join(Coder, Coder.id == Coding.coder_id)
                .where(Coder.name == coder)
            )
            or 0
        )


def test_team_list_shows_roles(team: Team) -> None:
    code, out, err = qc("team", "list", "--db", team.admin_url)
    assert code == 0, err
    lines = set(out.splitlines())
    assert f"{team.logins['alice']}  coder" in lines
    assert f"{team.logins['sup']}  reviewer" in lines
    assert f"{team.logins['boss']}  owner" in lines


def test_a_member_codes_only_as_themselves(team: Team) -> None:
    alice = team.logins["alice"]
    with open_project(team.url("alice")) as project, pytest.raises(QcoderError, match=f"your login '{alice}'"):
        Workbench(project, team.logins["bob"])
    code, _out, err = qc(
        "code", "D01-S001", "--code", "融资难", "--coder", team.logins["bob"], "--db", team.url("alice")
    )
    assert code == 1 and "you cannot act as" in err
    code, _out, err = qc("code", "D01-S001", "--code", "融资难", "--db", team.url("alice"))  # the login codes
    assert code == 0, err
    assert _codings_of(team.admin_url, alice) == 1


def test_a_coder_cannot_change_another_coders_codings(team: Team) -> None:
    alice, bob = team.logins["alice"], team.logins["bob"]
    with open_project(team.url("alice")) as project:
        bench = Workbench(project, alice)
        ids = bench.statement_ids(["D01-S001..3"])
        bench.code_named(ids, "融资难")
    assert _codings_of(team.admin_url, alice) == 3
    # through qcoder: bob's uncode removes bob's codings only, and he cannot be alice
    qc("uncode", "D01-S001..3", "--code", "融资难", "--coder", bob, "--db", team.url("bob"))
    assert _codings_of(team.admin_url, alice) == 3
    # with plain SQL: deletes and updates of alice's rows touch nothing, an insert in her name is refused
    with team.raw("bob") as connection:
        alice_id = connection.execute("SELECT id FROM coders WHERE name = %s", (alice,)).fetchone()[0]  # type: ignore[index]
        assert connection.execute("DELETE FROM codings WHERE coder_id = %s", (alice_id,)).rowcount == 0
        assert (
            connection.execute("UPDATE codings SET coder_id = coder_id WHERE coder_id = %s", (alice_id,)).rowcount == 0
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(
                "INSERT INTO codings (sentence_id, code_id, coder_id, created_at) "
                "SELECT s.id, c.id, %s, now() FROM sentences s, codes c LIMIT 1 OFFSET 0",
                (alice_id,),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(
                "INSERT INTO document_reviews (coder_id, document_id, reviewed_at) SELECT %s, id, now() FROM documents",
                (alice_id,),
            )
    assert _codings_of(team.admin_url, alice) == 3


def test_a_reviewer_reads_and_writes_memos_but_cannot_code(team: Team) -> None:
    sup = team.logins["sup"]
    with open_project(team.url("sup")) as project:
        bench = Workbench(project, sup)
        ids = bench.statement_ids(["D01-S001"])
        with pytest.raises(QcoderError, match="your role on this project does not allow that"):
            bench.code_named(ids, "融资难")
        bench.add_memo("督导意见：编码过细。", type_="theoretical", target="project")
        assert len(bench.documents()) == 1  # reads everything
    with team.raw("sup") as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("DELETE FROM codes")
    with open_project(team.admin_url) as project, project.session() as session:
        assert session.scalar(select(func.count()).select_from(Memo)) == 1
    assert _codings_of(team.admin_url, sup) == 0


def test_an_owner_manages_members_and_a_coder_cannot(team: Team) -> None:
    carol = team.logins["carol"]
    code, _out, err = qc("team", "add", carol, "--role", "coder", "--db", team.url("alice"))
    assert code == 1 and err.startswith("error:")
    code, _out, err = qc("team", "add", carol, "--role", "coder", "--db", team.url("boss"))
    assert code == 0, err
    code, _out, err = qc("team", "set-role", carol, "--role", "reviewer", "--db", team.url("boss"))
    assert code == 0, err
    with open_project(team.admin_url) as project, project.session() as session:
        roles = {member.login: member.role for member in members(session)}
    assert roles[carol] == "reviewer"


def test_consensus_is_written_by_whoever_holds_the_reconcile_right(team: Team) -> None:
    alice, bob = team.logins["alice"], team.logins["bob"]
    for who, code in (("alice", "融资难"), ("bob", "融资约束")):
        with open_project(team.url(who)) as project:
            bench = Workbench(project, team.logins[who])
            bench.code_named(bench.statement_ids(["D01-S001"]), code)
            bench.review(bench.find_document("D01")[0])
    args = ("reconcile", "--coders", f"{alice},{bob}", "D01-S001", "--accept", "a")
    code, _out, err = qc(*args, "--db", team.url("bob"))  # a coder without the right
    assert code == 1 and "does not allow" in err
    code, _out, err = qc(*args, "--db", team.url("sup"))  # a reviewer
    assert code == 1
    code, _out, err = qc("team", "set-role", bob, "--role", "coder", "--reconcile", "--db", team.url("boss"))
    assert code == 0, err
    code, _out, err = qc(*args, "--by", alice, "--db", team.url("bob"))  # in someone else's name: no
    assert code == 1 and "you cannot act as" in err
    code, _out, err = qc(*args, "--db", team.url("bob"))
    assert code == 0, err
    assert _codings_of(team.admin_url, "consensus") == 1
    with open_project(team.admin_url) as project, project.session() as session:
        decided_by = session.scalar(
            select(Coder.name)
            .join(Event, Event.coder_id == Coder.id)
            .where(Event.action == "reconcile.decide")
            .order_by(Event.id.desc())
        )
    assert decided_by == bob  # logged as the login who decided


def test_the_owner_decides_whether_coders_change_the_codebook(team: Team) -> None:
    alice = team.logins["alice"]
    with open_project(team.url("alice")) as project:
        Workbench(project, alice).create_code("人才", 0)  # allowed by default
    code, _out, err = qc("settings", "coders_edit_codebook", "false", "--db", team.url("alice"))
    assert code == 1 and "does not allow" in err  # settings are the owner's
    code, _out, err = qc("settings", "coders_edit_codebook", "false", "--db", team.url("boss"))
    assert code == 0, err
    with open_project(team.url("alice")) as project, pytest.raises(QcoderError, match="does not allow"):
        Workbench(project, alice).create_code("政策", 0)
    with open_project(team.url("boss")) as project:
        Workbench(project, team.logins["boss"]).create_code("政策", 0)


def test_sqlite_projects_have_no_team_roles(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "p.qcoder")
    assert qc("init", "--db", db)[0] == 0
    code, _out, err = qc("team", "list", "--db", db)
    assert code == 1 and "SQLite project is one researcher's file" in err
