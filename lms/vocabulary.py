"""One vocabulary: the name people read for every code they see.

Each kind of code ("role", "evidence_status", "education", …) maps a code to its name. The core
declares the roles; a plugin adds its kinds with `register` in its own vocabulary module (pure
data, importable without Flask: the evaluator and the PDF renderer read it too). Templates use
two filters, registered once by the core (lms.views):

    {{ membership.role|label("role") }}            → RSC provider
    {{ e.status|label("evidence_status") }}        → Waiting for verification
    {{ code|named(name=category_name) }}           → Infant Family Specialist (IFS)
    {{ area|named("area", area_names) }}           → Relationship-based practice (A1)

so a code is never shown without its name. An unknown code is shown humanised ("on_hold" →
"On hold"), never as an error.
"""

from __future__ import annotations

from collections.abc import Mapping

# How each role is written for people.
ROLE_LABELS = {
    "clinician": "Clinician",
    "trainer": "Trainer",
    "rsc_provider": "RSC provider",
    "agency_manager": "Agency manager",
    "reviewer": "Reviewer",
    "coordinator": "Coordinator",
    "admin": "Administrator",
}

_KINDS: dict[str, dict[str, str]] = {"role": ROLE_LABELS}


def register(kind: str, names: Mapping[str, str]) -> None:
    """Add (or complete) a kind of code with the names of its codes."""
    _KINDS.setdefault(kind, {}).update(names)


def names(kind: str) -> dict[str, str]:
    """Return every code of a kind with its name (empty for an unknown kind)."""
    return dict(_KINDS.get(kind, {}))


def humanise(code: str) -> str:
    """Return a code as words: "in_progress" → "In progress"."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(code: str | None, kind: str, default: str | None = None) -> str:
    """Return the name of a code of this kind; unknown codes come back humanised."""
    if code is None or code == "":
        return ""
    found = _KINDS.get(kind, {}).get(code)
    if found is not None:
        return found
    return default if default is not None else humanise(code)


def named(
    code: str | None, kind: str | None = None, name: str | Mapping[str, str] | None = None
) -> str:
    """Return "Name (CODE)": the name from `name` (a text, or a mapping of codes to names),
    else from the vocabulary's `kind`; the code alone only when no name is known."""
    if code is None or code == "":
        return ""
    if isinstance(name, Mapping):
        name = name.get(code)
    if not name and kind is not None:
        name = _KINDS.get(kind, {}).get(code)
    if not name or name == code:
        return str(code)
    return f"{name} ({code})"


def role_label(role: str) -> str:
    """Return a role's name for people ("RSC provider" for rsc_provider)."""
    return label(role, "role")
