"""Our own words that help a clinician choose and sign: who each category is for, and what the
Code of Ethics and the Endorsement Agreement ask (summaries, never the documents' text, which
belongs to the association that publishes them; pure data)."""

from __future__ import annotations

from dataclasses import dataclass

# Who each category of the shipped rule sets is for, in one line. A category an association
# adds has no line until it is written here; the picker then shows its name only.
CATEGORY_FOR = {
    "IFA": "Starting out with babies, toddlers and families: child care, early learning or "
    "home-visiting staff, often with a CDA or an associate degree.",
    "IFS": "Practitioners who support infants, toddlers and their families in homes or "
    "programmes, such as home visitors and early-intervention staff.",
    "IFRS": "Supervisors who give reflective supervision to people who work with infants "
    "and families (not clinical treatment).",
    "IMHS": "Clinicians who offer relationship-based infant mental health treatment to "
    "infants, toddlers and their caregivers.",
    "IMHM-C": "Experienced infant mental health clinicians who also give reflective "
    "supervision to other clinicians.",
    "IMHM-P": "Leaders who shape programmes, systems and policy for infants and families.",
    "IMHM-R": "University faculty and researchers who teach or study infant mental health.",
    "ECFA": "Starting out with young children (about 3 to 6) and their families: early "
    "learning or family-support staff.",
    "ECFS": "Practitioners who support young children (about 3 to 6) and their families in "
    "homes, classrooms or programmes.",
    "ECFRS": "Supervisors who give reflective supervision to people who work with young "
    "children and families.",
    "ECMHS": "Clinicians who offer relationship-based mental health treatment to young "
    "children (about 3 to 6) and their caregivers.",
    "ECMHM-C": "Experienced early childhood mental health clinicians who also give reflective "
    "supervision to other clinicians.",
    "ECMHM-P": "Leaders who shape programmes, systems and policy for young children and families.",
    "ECMHM-R": "University faculty and researchers who teach or study early childhood "
    "mental health.",
}


@dataclass(frozen=True)
class DocumentSummary:
    """What a document to sign asks, in our words, and where to read the full text."""

    code: str
    title: str
    purpose: str
    points: tuple[str, ...]


DOCUMENTS = {
    "code_of_ethics": DocumentSummary(
        "code_of_ethics",
        "Code of Ethics",
        "The standards of conduct every endorsed professional keeps in their work with "
        "infants, young children, families and colleagues.",
        (
            "Put the wellbeing and safety of the child and the family first, and do no harm.",
            "Respect each family's culture, language, values and choices.",
            "Keep what families tell you confidential, within the limits the law sets, and "
            "tell them those limits.",
            "Work within your competence; keep learning, and seek reflective supervision.",
            "Avoid conflicts of interest and relationships that could exploit a family.",
            "Report concerns about a child's safety as the law requires.",
        ),
    ),
    "endorsement_agreement": DocumentSummary(
        "endorsement_agreement",
        "Endorsement Agreement",
        "What you promise the association that endorses you, for as long as you hold the "
        "endorsement.",
        (
            "Keep to the Code of Ethics.",
            "Keep your association membership current.",
            "Renew every year: the required hours of training and, where your category asks "
            "for it, of reflective supervision.",
            "Tell the association of changes that affect your endorsement.",
            "Accept that the association may suspend or revoke the endorsement after a "
            "finding of misconduct, following its own procedure.",
        ),
    ),
}
