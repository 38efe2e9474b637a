"""The one XML parser for files from other programs (Word documents, REFI-QDA files).

It resolves no entities, loads no DTD, never touches the network and keeps libxml2's size
limits. It lives in ``corpus`` because reading a Word file needs it; the exchange layer's
``xml_safety`` uses the same parser and adds its refusals of DTDs and oversized files.
"""

from __future__ import annotations

from lxml import etree


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
