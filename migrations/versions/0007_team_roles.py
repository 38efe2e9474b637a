"""team roles on PostgreSQL: owner, coder, reviewer — enforced by grants and row-level security

Revision ID: 0007_team_roles
Revises: 0006_suggestions
Create Date: 2026-12-03 20:00:00

Each member of a PostgreSQL project logs in as their own role; the coder they code as is
the coder named like that role. Four group roles per database (``qc_<database>_owner``,
``_coder``, ``_reviewer``, ``_reconcile``) carry the project roles; ``qcoder team`` grants
them. Grants say which tables a group may write; row-level security policies say which
rows: a coder writes only their own codings, reviews, undo history and memos, a reviewer
reads everything and writes memos only, an owner manages settings, documents and members.
Whoever holds the reconcile right (owner, or a coder given it) writes the consensus
coder's codings. The database administrator who owns the tables (and runs migrations) is
not held by the policies, as PostgreSQL never holds a table's owner to them.

On SQLite this revision does nothing: a SQLite file is one researcher's, with self-declared coders.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_team_roles"
down_revision: str | None = "0006_suggestions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("owner", "coder", "reviewer", "reconcile")

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION qcoder_group(kind text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT left('qc_' || current_database(), 50) || '_' || kind $$;

CREATE OR REPLACE FUNCTION qcoder_in(kind text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = qcoder_group(kind)) THEN
        RETURN false;
    END IF;
    RETURN pg_has_role(current_user, qcoder_group(kind), 'MEMBER');
END $$;

CREATE OR REPLACE FUNCTION qcoder_is_member(login text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE kind text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
        RETURN false;
    END IF;
    FOREACH kind IN ARRAY ARRAY['owner', 'coder', 'reviewer'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = qcoder_group(kind))
           AND pg_has_role(login, qcoder_group(kind), 'MEMBER') THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;

-- The rows of a coder the current login may write: its own, or (with the reconcile right) a
-- coder that is no member's login — the consensus coder.
CREATE OR REPLACE FUNCTION qcoder_may_write_for(cid integer) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE who text;
BEGIN
    IF cid IS NULL THEN
        RETURN true;
    END IF;
    SELECT name INTO who FROM coders WHERE id = cid;
    IF who = current_user THEN
        RETURN true;
    END IF;
    RETURN (qcoder_in('owner') OR qcoder_in('reconcile')) AND who IS NOT NULL AND NOT qcoder_is_member(who);
END $$;

CREATE OR REPLACE FUNCTION qcoder_codes() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN qcoder_in('owner') OR qcoder_in('coder');
END $$;

-- Codebook changes by coders unless the owner turned them off (setting coders_edit_codebook = false).
CREATE OR REPLACE FUNCTION qcoder_edits_codebook() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN qcoder_in('owner') OR (
        qcoder_in('coder')
        AND COALESCE((SELECT value::text FROM settings WHERE key = 'coders_edit_codebook'), 'true') <> 'false'
    );
END $$;
"""

# table -> policies (command, USING/WITH CHECK expression)
POLICIES: dict[str, list[tuple[str, str]]] = {
    "codings": [
        ("INSERT", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
        ("UPDATE", "qcoder_in('owner') OR (qcoder_codes() AND qcoder_may_write_for(coder_id))"),
        ("DELETE", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
    ],
    "document_reviews": [
        ("INSERT", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
        ("UPDATE", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
        ("DELETE", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
    ],
    "history": [
        ("INSERT", "qcoder_may_write_for(coder_id)"),
        ("UPDATE", "qcoder_may_write_for(coder_id)"),
        ("DELETE", "qcoder_may_write_for(coder_id)"),
    ],
    "memos": [
        ("INSERT", "qcoder_may_write_for(coder_id)"),
        ("UPDATE", "qcoder_in('owner') OR qcoder_may_write_for(coder_id)"),
        ("DELETE", "qcoder_in('owner') OR qcoder_may_write_for(coder_id)"),
    ],
    "events": [("INSERT", "qcoder_may_write_for(coder_id)")],
    "coders": [
        ("INSERT", "name = current_user OR qcoder_in('owner') OR qcoder_in('reconcile')"),
        ("UPDATE", "qcoder_in('owner')"),
        ("DELETE", "qcoder_in('owner')"),
    ],
    "codes": [
        ("INSERT", "qcoder_edits_codebook()"),
        ("UPDATE", "qcoder_edits_codebook()"),
        ("DELETE", "qcoder_in('owner')"),  # a deleted code takes every coder's codings with it
    ],
    "relations": [
        ("INSERT", "qcoder_edits_codebook()"),
        ("UPDATE", "qcoder_edits_codebook()"),
        ("DELETE", "qcoder_edits_codebook()"),
    ],
    "documents": [
        ("INSERT", "qcoder_codes()"),
        ("UPDATE", "qcoder_codes()"),
        ("DELETE", "qcoder_in('owner')"),  # with its statements and every coder's codings
    ],
    "sentences": [
        ("INSERT", "qcoder_codes()"),
        ("UPDATE", "qcoder_codes()"),
        ("DELETE", "qcoder_codes()"),
    ],
    "suggestion_rejections": [  # a coder's own "not this code" answers to suggestions
        ("INSERT", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
        ("UPDATE", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
        ("DELETE", "qcoder_codes() AND qcoder_may_write_for(coder_id)"),
    ],
    "settings": [
        ("INSERT", "qcoder_in('owner')"),
        ("UPDATE", "qcoder_in('owner')"),
        ("DELETE", "qcoder_in('owner')"),
    ],
}
REVIEWER_WRITES = ("memos", "events", "coders", "history")


def _groups() -> dict[str, str]:
    name = op.get_bind().exec_driver_sql("SELECT left('qc_' || current_database(), 50)").scalar()
    return {kind: f"{name}_{kind}" for kind in KINDS}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: one researcher per file, coders self-declared
    execute = op.get_bind().exec_driver_sql
    groups = _groups()
    for group in groups.values():
        if not execute("SELECT 1 FROM pg_roles WHERE rolname = %(g)s", {"g": group}).first():
            execute(f'CREATE ROLE "{group}" NOLOGIN')
    execute(FUNCTIONS)
    owner, coder, reviewer = groups["owner"], groups["coder"], groups["reviewer"]
    for group in (owner, coder, reviewer):
        execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{group}"')
        execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{group}"')
        execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "{group}"')
        execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{group}"')
    for group in (owner, coder):
        tables = ", ".join(f'"{t}"' for t in POLICIES)
        execute(f'GRANT INSERT, UPDATE, DELETE ON {tables} TO "{group}"')
    for table in REVIEWER_WRITES:
        execute(f'GRANT INSERT, UPDATE, DELETE ON "{table}" TO "{reviewer}"')
    for table, policies in POLICIES.items():
        execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        execute(f'CREATE POLICY qcoder_read ON "{table}" FOR SELECT USING (true)')
        for command, rule in policies:
            name = f"qcoder_{command.lower()}"
            if command == "INSERT":
                execute(f'CREATE POLICY {name} ON "{table}" FOR INSERT WITH CHECK ({rule})')
            elif command == "UPDATE":
                execute(f'CREATE POLICY {name} ON "{table}" FOR UPDATE USING ({rule}) WITH CHECK ({rule})')
            else:
                execute(f'CREATE POLICY {name} ON "{table}" FOR DELETE USING ({rule})')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    execute = op.get_bind().exec_driver_sql
    for table, policies in POLICIES.items():
        for name in ("qcoder_read", *(f"qcoder_{command.lower()}" for command, _ in policies)):
            execute(f'DROP POLICY IF EXISTS {name} ON "{table}"')
        execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    for group in _groups().values():
        if execute("SELECT 1 FROM pg_roles WHERE rolname = %(g)s", {"g": group}).first():
            execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM "{group}"')
            execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM "{group}"')
            execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{group}"')
            execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{group}"')
            execute(f'DROP ROLE "{group}"')
    for function in (
        "qcoder_edits_codebook()",
        "qcoder_codes()",
        "qcoder_may_write_for(integer)",
        "qcoder_is_member(text)",
        "qcoder_in(text)",
        "qcoder_group(text)",
    ):
        execute(f"DROP FUNCTION IF EXISTS {function}")
