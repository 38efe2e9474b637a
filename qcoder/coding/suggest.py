"""In-vivo code suggestions: the participants' own words as candidate codes.

Quoted phrases (“揭榜挂帅”, 「新基建」) are the strongest in-vivo signal, so they come
first; jieba TF-IDF keywords follow. Names that already are codes are left out. Accepting
a suggestion creates the code (coding the statements) and adds the phrase to the project's
user dictionary, so later imports segment it as one word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from qcoder.coding.workbench import CodeInfo, Workbench
from qcoder.store.settings import get_setting, set_setting

MIN_LENGTH = 2


@dataclass(frozen=True)
class Suggestion:
    phrase: str
    source: str  # "quoted" | "keyword"


def _usable(phrase: str) -> bool:
    text = phrase.strip()
    return len(text) >= MIN_LENGTH and not text.isdigit()


def suggest(
    text: str, existing_names: Iterable[str] = (), limit: int = 9, user_words: Sequence[str] = ()
) -> list[Suggestion]:
    """Quoted phrases first, then keywords; no duplicates, no existing code names.

    ``user_words`` (the project dictionary) keeps known terms whole when jieba segments.
    """
    from qcoder.corpus.tokenize import keywords, quoted_phrases  # jieba loads on first use

    taken = {name.casefold() for name in existing_names}
    result: list[Suggestion] = []
    seen: set[str] = set()
    candidates = [(p, "quoted") for p in quoted_phrases(text)]
    candidates += [(k, "keyword") for k in keywords(text, limit * 2, user_words)]
    for phrase, source in candidates:
        phrase = phrase.strip()
        key = phrase.casefold()
        if not _usable(phrase) or key in seen or key in taken:
            continue
        seen.add(key)
        result.append(Suggestion(phrase, source))
        if len(result) >= limit:
            break
    return result


def add_user_word(session: Session, word: str) -> bool:
    """Add ``word`` to the project's user dictionary; True if it was not there yet."""
    words = list(get_setting(session, "user_words"))
    if word in words:
        return False
    set_setting(session, "user_words", [*words, word])
    return True


def accept(workbench: Workbench, phrase: str, sentence_ids: Sequence[int], level: int = 0) -> CodeInfo:
    """Create the code ``phrase`` on the statements (one undoable step), then remember the word."""
    code = workbench.create_code(phrase, level, code_sentences=sentence_ids)
    workbench.project.run(lambda session: add_user_word(session, code.name))
    return code
