"""Say the clinician's own words about them to someone else: "your RSC window closes" on the
clinician's page reads "Maya Chen's RSC window closes" on the coordinator's report (pure)."""

from __future__ import annotations

import functools
import re

YOU = re.compile(r"\b[Yy]ou")  # a text to rephrase says "you" or "your"
_RULES = (
    (re.compile(r"\b[Yy]ou need\b"), "{name} needs"),
    (re.compile(r"\b[Yy]ou are\b"), "{name} is"),
    (re.compile(r"\b[Yy]ou have\b"), "{name} has"),
    (re.compile(r"\b[Yy]our\b"), "{name}'s"),
    (re.compile(r"\b[Yy]ou\b"), "{name}"),
)


def about(name: str, text: str) -> str:
    """Return the text with "you" and "your" naming the person instead."""
    parts = _parts(text)
    return parts[0] if len(parts) == 1 else (name.strip() or "the clinician").join(parts)


_MARK = "\0"  # where the name goes; no text rephrased holds it (`_parts` checks)


@functools.lru_cache(maxsize=4096)  # a report rephrases the same few texts for every row
def _parts(text: str) -> tuple[str, ...]:
    """Return the text cut where the name goes, with the verb after it agreeing: "Your window
    closes" gives ("", "'s window closes"). Only the text is rephrased, never the name put in."""
    if _MARK in text or not YOU.search(text):
        return (text,)
    for pattern, words in _RULES:
        text = pattern.sub(words.replace("{name}", _MARK), text)
    return tuple(text.split(_MARK))
