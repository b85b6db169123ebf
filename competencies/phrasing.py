"""Say the clinician's own words about them to someone else: "your RSC window closes" on the
clinician's page reads "Maya Chen's RSC window closes" on the coordinator's report (pure)."""

from __future__ import annotations

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
    name = name.strip() or "the clinician"
    for pattern, words in _RULES:
        text = pattern.sub(lambda _m, w=words: w.format(name=name), text)
    return text
