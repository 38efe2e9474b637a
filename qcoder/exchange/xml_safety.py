"""Parsing XML from other tools without trusting it.

Files come from colleagues and other programs, so the parser resolves no entities, loads
no DTD, never touches the network and keeps libxml2's size limits. A document type
declaration is refused outright: REFI-QDA files never carry one, and it is what XXE and
"billion laughs" attacks need. Every refusal is one line naming the file and the reason.
"""

from __future__ import annotations

import re

from lxml import etree

from qcoder.corpus.xml_parser import safe_parser
from qcoder.errors import QcoderError

MAX_XML_BYTES = 200 * 1024 * 1024  # a project with inline texts; codebooks are far smaller

# Lenient on the version spelling (`1.0`, `1:0`, `0:4`) and case; strict on the family.
_REFI_NAMESPACE = re.compile(r"^urn:qda-xml:(project|codebook):\d+[.:]\d+$", re.IGNORECASE)


def _refuse_dtd(tree: etree._ElementTree, what: str) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None:
        for entity in dtd.iterentities():  # type: ignore[attr-defined]  # lxml-stubs lack DTD.iterentities
            if entity.system_url:
                raise QcoderError(
                    f"{what} declares an external entity {entity.name!r} ({entity.system_url}); "
                    "refused: REFI-QDA files have no DTD, and external entities can read local files"
                )
        names = [entity.name for entity in dtd.iterentities()]  # type: ignore[attr-defined]  # lxml-stubs lack DTD.iterentities
        if names:
            raise QcoderError(
                f"{what} declares entities ({', '.join(names[:3])}); refused: REFI-QDA files have no DTD, "
                "and entity declarations are used for entity-expansion attacks"
            )
    if tree.docinfo.doctype:  # type: ignore[attr-defined]  # lxml-stubs lack DocInfo.doctype
        raise QcoderError(f"{what} has a document type declaration (<!DOCTYPE>); REFI-QDA files have none, refused")


def parse_xml(data: bytes, *, what: str, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``; refuses oversized input, DTDs, entities and bad syntax."""
    if len(data) > max_bytes:
        raise QcoderError(
            f"{what} is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for XML; refused"
        )
    if not data.strip():
        raise QcoderError(f"{what} is empty")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as error:
        message = str(error.msg or error).split(",")[0].strip()
        line = f" line {error.lineno}" if error.lineno else ""
        if "entity" in message.lower():
            raise QcoderError(
                f"{what}{line}: uses an entity ({message}); refused: REFI-QDA files have no DTD, "
                "and entities can read local files or expand without bound"
            ) from None
        if "huge" in message.lower() or "limit" in message.lower():
            raise QcoderError(f"{what}{line}: over the XML parser's safety limits ({message}); refused") from None
        raise QcoderError(f"{what}{line}: not well-formed XML ({message})") from None
    _refuse_dtd(root.getroottree(), what)
    return root


def refi_root(data: bytes, *, what: str, roots: tuple[str, ...], max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse a REFI-QDA document and strip its namespace so callers use plain tag names.

    The namespace must be a REFI-QDA one (any version spelling) or absent; the root must
    be one of ``roots`` (``Project``, ``CodeBook``).
    """
    root = parse_xml(data, what=what, max_bytes=max_bytes)
    qname = etree.QName(root)
    if qname.namespace is not None and not _REFI_NAMESPACE.match(qname.namespace):
        raise QcoderError(
            f"{what}: root element is in namespace {qname.namespace!r}, not urn:QDA-XML:project:1.0 "
            "or urn:QDA-XML:codebook:1.0; not a REFI-QDA file"
        )
    if qname.localname not in roots:
        raise QcoderError(f"{what}: root element is <{qname.localname}>, expected <{'> or <'.join(roots)}>")
    for element in root.iter(tag=etree.Element):  # elements only (no DTD, so no entity nodes either)
        local = etree.QName(element).localname
        if element.tag != local:
            element.tag = local
    etree.cleanup_namespaces(root)
    return root
