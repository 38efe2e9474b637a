"""Opening a ``.qdpx`` (or a bare ``.qde``) without trusting it.

Nothing is ever extracted to disk: members are read into memory one at a time, through a
reader that stops at a size cap whatever the zip header claims (zip bombs), and a name
that would escape the project folder (``../../evil``, ``/etc/x``, ``C:\\x``) refuses the
whole file (zip slip). Other tools vary: the XML need not be called ``project.qde`` and the
folder may be ``sources`` or ``Sources``; paths may lack the ``internal://`` prefix.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qcoder.corpus.zip_limits import read_member
from qcoder.errors import QcoderError, file_bytes, file_size

MAX_MEMBER_BYTES = 100 * 1024 * 1024  # one source text or project.qde, uncompressed
MAX_TOTAL_BYTES = 500 * 1024 * 1024  # everything read from one package
MAX_MEMBERS = 50_000
MAX_QDE_BYTES = 200 * 1024 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_member_name(name: str, package: str) -> str:
    """The member's path, or a refusal if it would land outside the folder it is unpacked in."""
    path = name.replace("\\", "/")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or _DRIVE.match(path) or ".." in parts or "\x00" in path:
        raise QcoderError(f"{package}: entry {name!r} would be written outside the project folder (zip slip); refused")
    return path


@dataclass
class Package:
    """``project.qde`` and a way to read the source files it points to."""

    name: str
    qde_name: str
    qde: bytes
    _find_source: Callable[[str], bytes | None] = field(repr=False)
    _find_member: Callable[[str], bytes | None] = field(repr=False, default=lambda _path: None)
    members: tuple[str, ...] = ()

    def source(self, path: str) -> bytes | None:
        """A file named by ``internal://x.txt`` (or plain ``x.txt``) in the sources folder, if present."""
        text = path.strip()
        for prefix in ("internal://", "internal:"):
            if text.lower().startswith(prefix):
                text = text[len(prefix) :]
                break
        else:
            if "://" in text:  # relative:// and absolute:// point outside the package: never read
                return None
        text = text.lstrip("/")
        if not text:
            return None
        return self._find_source(text)

    def member(self, path: str) -> bytes | None:
        """A member by its exact path (qcoder's own side files); None when absent."""
        return self._find_member(path)


class _ZipReader:
    """Reads members with per-member and total caps, counting bytes actually inflated."""

    def __init__(self, archive: zipfile.ZipFile, package: str) -> None:
        self.archive = archive
        self.package = package
        self.total = 0
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise QcoderError(f"{package} has {len(infos):,} entries, over the {MAX_MEMBERS:,} limit; refused")
        self.by_path: dict[str, zipfile.ZipInfo] = {}
        self.by_folded: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            path = check_member_name(info.filename, package)
            if info.is_dir():
                continue
            self.by_path[path] = info
            self.by_folded.setdefault(path.lower(), info)

    def read(self, info: zipfile.ZipInfo, cap: int | None = None) -> bytes:
        cap = MAX_MEMBER_BYTES if cap is None else cap
        if info.flag_bits & 0x1:
            raise QcoderError(
                f"{self.package}: entry {info.filename!r} is encrypted; export it again without a password"
            )
        limit = min(cap, MAX_TOTAL_BYTES - self.total)

        def refuse(line: str) -> QcoderError:
            what = "" if limit == cap else " (over the total size limit)"
            return QcoderError(f"{self.package}: {line}{what}")

        try:  # inflated in chunks, refused at the cap or a bomb's ratio (qcoder.corpus.zip_limits)
            data = read_member(self.archive, info, refuse, cap=limit)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            raise QcoderError(f"{self.package}: cannot read entry {info.filename!r} ({error})") from None
        self.total += len(data)
        return data

    def exact(self, path: str) -> bytes | None:
        info = self.by_path.get(path)
        return self.read(info) if info is not None else None

    def source(self, path: str) -> bytes | None:
        path = check_member_name(path, self.package)
        for candidate in (f"sources/{path}", path):
            info = self.by_path.get(candidate) or self.by_folded.get(candidate.lower())
            if info is not None:
                return self.read(info)
        return None


def _find_qde(reader: _ZipReader, package: str) -> zipfile.ZipInfo:
    if "project.qde" in reader.by_path:
        return reader.by_path["project.qde"]
    candidates = [info for path, info in reader.by_path.items() if path.lower().endswith(".qde")]
    top = [info for info in candidates if "/" not in info.filename.strip("/")]
    chosen = top or candidates
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise QcoderError(f"{package} holds no .qde project file; is it a REFI-QDA project (.qdpx)?")
    names = ", ".join(info.filename for info in chosen[:4])
    raise QcoderError(f"{package} holds several project files ({names}); keep one and try again")


def open_qdpx(data: bytes | Path, name: str) -> Package:
    """A package from a ``.qdpx`` (its bytes or its path; members are read only when needed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError):
        raise QcoderError(f"{name} is not a zip archive; a .qdpx project is one (a .qde file is plain XML)") from None
    reader = _ZipReader(archive, name)
    qde_info = _find_qde(reader, name)
    qde = reader.read(qde_info, MAX_QDE_BYTES)
    return Package(
        name=name,
        qde_name=qde_info.filename,
        qde=qde,
        _find_source=reader.source,
        _find_member=reader.exact,
        members=tuple(reader.by_path),
    )


def _folder_reader(folder: Path | None, package: str) -> Callable[[str], bytes | None]:
    """Source files of a bare ``.qde`` from the ``sources`` folder beside it, by plain name only."""

    def read(path: str) -> bytes | None:
        if folder is None:
            return None
        clean = check_member_name(path, package)
        if "/" in clean:
            return None
        target = folder / clean
        if not target.is_file():
            return None
        if target.stat().st_size > MAX_MEMBER_BYTES:  # a plain file: its size is what is read
            raise QcoderError(f"{target} is over {MAX_MEMBER_BYTES / 1e6:.0f} MB; refused")
        return file_bytes(target)

    return read


def read_package(path: Path) -> Package:
    """A ``.qdpx`` archive, or a bare ``.qde`` whose texts (if any) sit in ``sources/`` beside it."""
    size = file_size(path)
    if path.suffix.lower() == ".qde" or path.suffix.lower() == ".xml":
        if size > MAX_QDE_BYTES:
            raise QcoderError(
                f"{path.name} is {size / 1e6:.0f} MB, over the {MAX_QDE_BYTES / 1e6:.0f} MB limit; refused"
            )
        folder = next((path.parent / n for n in ("sources", "Sources") if (path.parent / n).is_dir()), None)
        return Package(
            name=path.name, qde_name=path.name, qde=file_bytes(path), _find_source=_folder_reader(folder, path.name)
        )
    return open_qdpx(path, path.name)
