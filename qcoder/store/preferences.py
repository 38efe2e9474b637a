"""Per-user local preferences (not in the shared project): e.g. which coder you are.

Kept in the user config directory, keyed by project URL (password hidden), so a
researcher is asked for their coder name once per project.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import platformdirs


def preferences_path() -> Path:
    return Path(platformdirs.user_config_dir("qcoder", appauthor=False)) / "preferences.json"


def _load() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(preferences_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(url: str) -> str:
    if url.startswith("sqlite:"):
        return url  # no password to hide; and no SQLAlchemy needed before the workbench opens
    from qcoder.store.location import server_url

    server = server_url(url)
    if server is not None and server.url == url:  # a PostgreSQL URL as resolve_url spells it
        return server.shown
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def remembered_coder(url: str) -> str | None:
    return _load().get(_key(url), {}).get("coder")


def remember_coder(url: str, coder: str) -> None:
    remember(url, "coder", coder)


EVERY_PROJECT = "*"  # the entry for preferences that are not a project's (the interface language)


def remembered(url: str, name: str) -> Any:
    """A preference kept for the project at ``url`` (``EVERY_PROJECT``: for all); None if never set."""
    return _load().get(url if url == EVERY_PROJECT else _key(url), {}).get(name)


def remember(url: str, name: str, value: Any) -> None:
    """Keep a preference for the project at ``url`` (``EVERY_PROJECT``: for all)."""
    data = _load()
    entry = data.setdefault(url if url == EVERY_PROJECT else _key(url), {})
    if entry.get(name) == value:
        return  # already remembered: no disk write on every start of the workbench
    entry[name] = value
    path = preferences_path()

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
