"""Care for a SQLite project's files: sync folders, leftover partial copies, one backup per upgrade.

Why: a project file lives on a researcher's disk, often inside a synced folder. A sync
client (Dropbox, OneDrive, iCloud, 坚果云 …) copies the database while it is written, or
removes its ``-wal``/``-shm`` files, and the copy or the project is then damaged; qcoder
warns when it opens one there. An interrupted backup or upgrade leaves a ``….part`` file
next to the project (``sqlite_files.copy_sqlite`` never leaves a half file under the real
name): the next start removes it. An automatic upgrade that failed and is tried again does
not write another full backup when the one it made still holds the project as it is.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

# Folder names sync clients create (matched against every part of the project's path).
_SYNC_FOLDERS = re.compile(
    r"^(dropbox( \(.*\))?|onedrive( - .*)?|onedrive|icloud ?drive|mobile documents|google ?drive|googledrive|"
    r"my drive|我的云端硬盘|坚果云|我的坚果云|nutstore|nutstore files|box|box sync|pcloud ?drive|mega|megasync|"
    r"synologydrive|synology drive|百度网盘|baidunetdisk|baidu netdisk|seafile|nextcloud|owncloud|"
    r"wps ?cloud ?files|wps云盘|腾讯微云|weiyun|阿里云盘|aliyundrive|天翼云盘|onedrive - personal)$",
    re.IGNORECASE,
)
PART_AGE_S = 300  # a .part not written to for this long belongs to no running copy


def sync_folder(path: Path) -> str | None:
    """The synced folder ``path`` sits in (its name as on disk), or None."""
    for part in path.resolve().parent.parts:
        if _SYNC_FOLDERS.match(part.strip()):
            return part
    return None


def sync_folder_warning(path: Path) -> str | None:
    folder = sync_folder(path)
    if folder is None:
        return None
    return (
        f"warning: {path.name} is inside the synced folder '{folder}'; a sync program can copy the database "
        "while it is being written or remove its -wal/-shm files, and damage it. Keep the project outside "
        "synced folders and share it with `qcoder backup` copies or a PostgreSQL server"
    )


def remove_stale_parts(path: Path, *, now: float | None = None) -> list[Path]:
    """Remove ``<project stem>.*.part`` files an interrupted backup or upgrade left; return them."""
    now = time.time() if now is None else now
    removed = []
    for part in path.parent.glob(f"{glob_escape(path.stem)}.*.part"):
        try:
            if part.is_file() and now - part.stat().st_mtime > PART_AGE_S:
                part.unlink()
                removed.append(part)
        except OSError:
            continue  # another process's, or not ours to remove
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def reusable_backup(path: Path, tag: str) -> Path | None:
    """A backup with ``tag`` next to the project written after its last change (so it holds it as it is)."""
    changed = path.stat().st_mtime
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        changed = max(changed, wal.stat().st_mtime)
    suffix = path.suffix or ".db"
    candidates = [
        backup
        for backup in path.parent.glob(f"{glob_escape(path.stem)}.{glob_escape(tag)}-*{glob_escape(suffix)}")
        if backup.is_file() and backup.stat().st_mtime >= changed
    ]
    return max(candidates, key=lambda backup: backup.stat().st_mtime) if candidates else None
