"""Words for the codes of rule sets and evidence: in sentences (evaluator), as form labels and
as the names shown beside codes.

Pure data, importable from the evaluator (no Flask); the forms and the node types read it, and
it registers its kinds with the one vocabulary, lms.vocabulary (templates: `label`, `named`).
"""

from __future__ import annotations

from lms import vocabulary

# In sentences: "Complete 4 more hours of training on diversity, equity & inclusion".
TAG_WORDS = {"dei": "diversity, equity & inclusion", "rsc-topic": "reflective supervision"}
WORK_WORDS = {
    "paid_infant_family": "paid work with infants and families",
    "unpaid_infant_family": "unpaid work with infants and families",
    "dyadic_clinical": "dyadic infant–caregiver clinical work",
    "leadership": "leadership",
    "rsc_giving": "giving reflective supervision",
    "policy_leadership": "policy leadership",
    "university_teaching_research": "university teaching or research",
}
LEVEL_WORDS = {
    "cda": "CDA",
    "associate_related": "related associate degree",
    "bachelor": "bachelor's degree",
    "master": "master's degree",
    "doctorate": "doctorate",
    "mh_license": "mental-health licence",
}
ADD_ON_WORDS = {"ERS": "Endorsed Reflective Supervisor"}
DOCUMENT_WORDS = {
    "code_of_ethics": "the Code of Ethics",
    "endorsement_agreement": "the Endorsement Agreement",
}
KIND_WORDS = {
    "training": "Training",
    "rsc": "Reflective supervision",
    "work": "Work record",
    "education": "Education record",
    "reference": "Reference rating",
    "exam": "Exam",
    "membership": "Membership",
    "agreement": "Agreement",
}

# As labels of form choices and in the rule-set page.
EDUCATION_LABELS = {
    "cda": "Child Development Associate (CDA)",
    "associate_related": "Associate degree in a related field",
    "bachelor": "Bachelor's degree",
    "master": "Master's degree",
    "doctorate": "Doctorate",
    "mh_license": "Mental health licence",
}
WORK_LABELS = {
    "paid_infant_family": "Paid work with infants and families",
    "unpaid_infant_family": "Unpaid work with infants and families (volunteer, placement)",
    "dyadic_clinical": "Dyadic infant–caregiver clinical work",
    "leadership": "Leadership",
    "rsc_giving": "Giving reflective supervision",
    "policy_leadership": "Policy leadership",
    "university_teaching_research": "University teaching or research",
}
DOCUMENT_LABELS = {
    "code_of_ethics": "Code of Ethics",
    "endorsement_agreement": "Endorsement Agreement",
}

# Statuses, as shown beside a record (templates: {{ status|label("evidence_status") }}).
RESULT_STATUS_LABELS = {
    "met": "Met",
    "in_progress": "In progress",
    "not_started": "Not started",
    "expired": "Expired",
}
EVIDENCE_STATUS_LABELS = {
    "pending": "Waiting for verification",
    "verified": "Verified",
    "attested": "Attested",
    "rejected": "Rejected",
    "void": "Withdrawn",
}
ENDORSEMENT_STATUS_LABELS = {"active": "Active", "lapsed": "Lapsed", "revoked": "Revoked"}

# The one vocabulary (lms.vocabulary) holds every kind, for the `label` and `named` filters.
for _kind, _names in {
    "result_status": RESULT_STATUS_LABELS,
    "evidence_status": EVIDENCE_STATUS_LABELS,
    "endorsement_status": ENDORSEMENT_STATUS_LABELS,
    "evidence_kind": KIND_WORDS,
    "education": EDUCATION_LABELS,
    "work": WORK_LABELS,
    "document": DOCUMENT_LABELS,
    "tag": TAG_WORDS,
}.items():
    vocabulary.register(_kind, _names)
