"""A server project's URL spelled without SQLAlchemy, exactly as ``resolve_url`` spells it.

The workbench keys a coder's preferences (their name, where they left off) by this
string before the engine loads; if the two spellings differed, a coder launching on
PostgreSQL would be asked their name again and lose their place.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from qcoder.store.database import resolve_url
from qcoder.store.location import server_url
from qcoder.store.preferences import _key

URLS = [
    "postgresql+psycopg://qcoder@/bench?host=/tmp/qcpg-abc/s",
    "postgresql://alice:s3cret@db.example.org:5432/project",
    "postgres://alice@db.example.org/project",
    "postgresql+psycopg2://alice:pa%40ss%2Fw:rd@localhost/p",
    "postgresql://bob:p%20w+x@[::1]:6543/qc%C3%B6der?sslmode=require&application_name=qcoder",
    "postgresql://@localhost/p",
    "postgresql://alice@/p?host=/var/run/postgresql&host=/tmp&connect_timeout=10",
    "postgresql://alice@host:05432/p?empty=&b=2&a=1",
    "postgresql://张三:密码@host/项目",
    "postgresql://alice@host",
    "postgresql://host/p?",
]


@pytest.mark.parametrize("url", URLS)
def test_server_url_is_resolve_url(url: str) -> None:
    found = server_url(url)
    assert found is not None
    assert found.url == resolve_url(url)
    assert found.username == make_url(url).username
    assert found.shown == make_url(found.url).render_as_string(hide_password=True)
    assert _key(found.url) == found.shown  # the preferences' key, also without SQLAlchemy


@pytest.mark.parametrize("value", ["sqlite:///x.db", "mysql://a@h/d", "postgresql://a@h:port/d", "not a url"])
def test_other_values_are_left_to_sqlalchemy(value: str) -> None:
    assert server_url(value) is None
