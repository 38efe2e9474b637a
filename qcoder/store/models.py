"""The project schema: one database is one grounded-theory project.

Typed SQLAlchemy 2 models. Constraint names follow a naming convention so Alembic
migrations (batch mode on SQLite) can find and alter them by name.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOCUMENT_ROLES = ("coding", "holdout")
MEMO_TYPES = ("code", "theoretical", "operational", "storyline")
BUILTIN_RELATION_TYPES = (
    "causal",
    "similarity",
    "sequence",
    "condition",
    "context",
    "intervening",
    "strategy",
    "consequence",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_guid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Tables whose ids the event log, the undo history or a screen refer to. On SQLite they
# are AUTOINCREMENT so an id is never handed out again after a delete: otherwise undo,
# redo or a recent-code key naming a deleted code would act on whoever got its id next.
NEVER_REUSED = {"sqlite_autoincrement": True}


class Setting(Base):
    """Project settings as JSON values: level ladder, split options, user dictionary…"""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)


class Coder(Base):
    __tablename__ = "coders"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("role IN ('coding', 'holdout')", name="role"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(16), unique=True)  # "D03"
    name: Mapped[str] = mapped_column(String(500))
    source_path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    raw_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    encoding: Mapped[str] = mapped_column(String(40))
    original_text: Mapped[str] = mapped_column(Text)  # decoded, before cleaning
    text: Mapped[str] = mapped_column(Text)  # normalized: what sentences index into
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    role: Mapped[str] = mapped_column(String(16), default="coding")
    import_report: Mapped[list[str]] = mapped_column(JSON, default=list)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sentences: Mapped[list[Sentence]] = relationship(
        back_populates="document", order_by="Sentence.ordinal", cascade="all, delete-orphan"
    )


class Sentence(Base):
    """A raw statement. Invariant: ``document.text[start:end] == text``."""

    __tablename__ = "sentences"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal", name="uq_sentences_document_ordinal"),
        CheckConstraint('0 <= start AND start < "end"', name="span"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # 1-based within the document
    label: Mapped[str] = mapped_column(String(32), unique=True)  # "D03-S017"
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="sentence")  # sentence | heading | context
    text: Mapped[str] = mapped_column(Text)
    # the statement's own attributes (speaker, time, page, row; a heading's "level"), besides the document's
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    tokens: Mapped[str] = mapped_column(Text, default="")  # jieba tokens, space-joined
    cell_width: Mapped[int] = mapped_column(Integer, default=0)  # terminal cells

    document: Mapped[Document] = relationship(back_populates="sentences")


class Code(Base):
    """A code at some level of the ladder (0 = concept, upward to the core category)."""

    __tablename__ = "codes"
    __table_args__ = (
        # Names are unique among a parent's children; top codes (no parent) by name and level.
        # Two partial indexes, because NULL parents are distinct in a plain unique index.
        Index(
            "uq_codes_name_parent",
            "name",
            "parent_id",
            unique=True,
            sqlite_where=sql_text("parent_id IS NOT NULL"),
            postgresql_where=sql_text("parent_id IS NOT NULL"),
        ),
        Index(
            "uq_codes_top_name_level",
            "name",
            "level",
            unique=True,
            sqlite_where=sql_text("parent_id IS NULL"),
            postgresql_where=sql_text("parent_id IS NULL"),
        ),
        CheckConstraint("level >= 0", name="level"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("codes.id", ondelete="SET NULL"), index=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str | None] = mapped_column(String(7))  # "#RRGGBB"
    exemplar_sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A categorical variable: at most one child per coder and statement (see coding/scales.py).
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A scale: its children are ordered values; nominal, ordinal, interval or ratio (None: not a scale).
    scale: Mapped[str | None] = mapped_column(String(8))
    # The number a scale value stands for (its position, or the number its name gives).
    scale_value: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Code | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    __mapper_args__ = {"version_id_col": version}


class Coding(Base):
    """A statement tagged with a code by a coder.

    ``quote_start``/``quote_end``: the exact words coded, as ``[start, end)`` code points
    into the statement's own text (``sentence.text[quote_start:quote_end]``); both NULL
    means the whole statement. The statement stays the unit for counts and agreement.
    """

    __tablename__ = "codings"
    __table_args__ = (
        UniqueConstraint("sentence_id", "code_id", "coder_id", name="uq_codings_sentence_code_coder"),
        CheckConstraint(
            "(quote_start IS NULL AND quote_end IS NULL) OR (quote_start >= 0 AND quote_start < quote_end)",
            name="quote",
        ),
        Index("ix_codings_code_coder", "code_id", "coder_id"),
        Index("ix_codings_coder_sentence", "coder_id", "sentence_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    quote_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quote_end: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DocumentReview(Base):
    """The coder has coded this document completely: uncoded statements count as 0, not missing."""

    __tablename__ = "document_reviews"
    __table_args__ = (
        UniqueConstraint("coder_id", "document_id", name="uq_document_reviews_coder_document"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Relation(Base):
    """A typed axial-coding relation between two codes."""

    __tablename__ = "relations"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "type", name="uq_relations_source_target_type"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    source_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Code] = relationship(foreign_keys=[source_id])
    target: Mapped[Code] = relationship(foreign_keys=[target_id])


class Memo(Base):
    """A memo on the project (no target), a document, a sentence, a code or a relation."""

    __tablename__ = "memos"
    __table_args__ = (
        CheckConstraint("type IN ('code', 'theoretical', 'operational', 'storyline')", name="type"),
        CheckConstraint(
            "(CASE WHEN document_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN sentence_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN code_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN relation_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="one_target",
        ),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    type: Mapped[str] = mapped_column(String(16), default="theoretical")
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    sentence_id: Mapped[int | None] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    relation_id: Mapped[int | None] = mapped_column(ForeignKey("relations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Who saved the current text, and a version a stale editor's save is checked against.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Event(Base):
    """Append-only audit log: who did what when, with enough detail to undo it."""

    __tablename__ = "events"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The undoable step this change belongs to (NULL for changes made by undo itself,
    # by imports and by other tools).
    history_id: Mapped[int | None] = mapped_column(Integer, index=True)


class HistoryEntry(Base):
    """One undoable step of one coder: the events with its id say what it changed.

    Per coder, kept in the database so undo survives a restart; ``state`` is ``done``
    (on the undo stack) or ``undone`` (on the redo stack).
    """

    __tablename__ = "history"
    __table_args__ = (
        CheckConstraint("state IN ('done', 'undone')", name="state"),
        Index("ix_history_coder_state", "coder_id", "state"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(8), default="done")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionRejection(Base):
    """A code suggestion a coder turned down: never offered again, and a negative training example."""

    __tablename__ = "suggestion_rejections"
    __table_args__ = (
        UniqueConstraint("sentence_id", "code_id", "coder_id", name="uq_suggestion_rejections_sentence_code_coder"),
        Index("ix_suggestion_rejections_coder", "coder_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
