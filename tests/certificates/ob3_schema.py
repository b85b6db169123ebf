"""JSON Schemas of the Open Badges 3.0 credential and the W3C status list credential.

1EdTech's own achievementcredential schema is published under the IMS specification licence,
which grants redistribution only to registered users and forbids modified copies, so it is not
vendored here. This file is written from the facts of that schema (OB 3.0.3, VC Data Model 2.0)
and checks everything it requires: @context, id, type (VerifiableCredential plus
OpenBadgeCredential or AchievementCredential), name, issuer Profile (id, type), validFrom,
credentialSubject as an AchievementSubject with no properties outside its list (so no bare
`name`: the learner is named by IdentityObjects), each IdentityObject with exactly type, hashed,
identityHash, identityType (from the enumeration or `ext:`) and salt; the Achievement with id,
type, criteria (id or narrative), description, name, achievementType from the vocabulary and an
Image (id, type); credentialSchema entries with id and type; credentialStatus with id and type;
proofs with type. On top, what this app promises: a credentialSchema naming 1EdTech's schema,
an achievement image, a BitstringStatusListEntry and an eddsa-rdfc-2022 proof.
"""

DATE_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
}
URI = {"type": "string", "pattern": r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$"}
OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
IDENTIFIER_TYPES = [
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId",
    "sisSourcedId", "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId",
    "ltiUserId", "identifier",
]  # fmt: skip
ACHIEVEMENT_TYPES = [
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
    "Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
    "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
]  # fmt: skip


def _types_containing(*names: str) -> dict:
    return {
        "oneOf": [
            {"type": "string", "enum": list(names)} if len(names) == 1 else {"not": {}},
            {
                "type": "array",
                "items": {"type": "string"},
                "allOf": [{"contains": {"const": n}} for n in names],
            },
        ]
    }


IMAGE = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {"id": URI, "type": {"const": "Image"}, "caption": {"type": "string"}},
}

IDENTITY_OBJECT = {
    "type": "object",
    "required": ["type", "hashed", "identityHash", "identityType"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "IdentityObject"},
        "identityHash": {"type": "string", "minLength": 1},
        "identityType": {
            "anyOf": [
                {"type": "string", "enum": IDENTIFIER_TYPES},
                {"type": "string", "pattern": "^ext:[a-zA-Z0-9._-]+$"},
            ]
        },
        "hashed": {"type": "boolean"},
        "salt": {"type": "string"},
    },
    "if": {"properties": {"hashed": {"const": True}}},
    "then": {"properties": {"identityHash": {"pattern": r"^(sha256|md5)\$[0-9a-fA-F]+$"}}},
}

ACHIEVEMENT = {
    "type": "object",
    "required": ["id", "type", "criteria", "description", "name", "image"],
    "properties": {
        "id": URI,
        "type": _types_containing("Achievement"),
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "criteria": {
            "type": "object",
            "anyOf": [{"required": ["id"]}, {"required": ["narrative"]}],
            "properties": {"id": URI, "narrative": {"type": "string"}},
        },
        "achievementType": {
            "anyOf": [
                {"type": "string", "enum": ACHIEVEMENT_TYPES},
                {"type": "string", "pattern": "^ext:[a-zA-Z0-9._-]+$"},
            ]
        },
        "image": IMAGE,
    },
}

PROFILE = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": URI,
        "type": _types_containing("Profile"),
        "name": {"type": "string"},
        "url": URI,
        "image": IMAGE,
    },
}

ACHIEVEMENT_SUBJECT = {
    "type": "object",
    "required": ["type", "achievement"],
    "anyOf": [{"required": ["id"]}, {"required": ["identifier"]}],
    "additionalProperties": False,
    "properties": {
        "id": URI,
        "type": _types_containing("AchievementSubject"),
        "activityEndDate": DATE_TIME,
        "activityStartDate": DATE_TIME,
        "creditsEarned": {"type": "number"},
        "achievement": ACHIEVEMENT,
        "identifier": {"type": "array", "minItems": 1, "items": IDENTITY_OBJECT},
        "image": IMAGE,
        "licenseNumber": {"type": "string"},
        "narrative": {"type": "string"},
        "result": {"type": "array"},
        "role": {"type": "string"},
        "source": PROFILE,
        "term": {"type": "string"},
    },
}

PROOF = {
    "type": "object",
    "required": [
        "type", "cryptosuite", "created", "proofPurpose", "verificationMethod", "proofValue"
    ],
    "properties": {
        "type": {"const": "DataIntegrityProof"},
        "cryptosuite": {"const": "eddsa-rdfc-2022"},
        "created": DATE_TIME,
        "proofPurpose": {"const": "assertionMethod"},
        "verificationMethod": {"type": "string", "pattern": r"^did:web:[^#\s]+#key-\d+$"},
        "proofValue": {"type": "string", "pattern": "^z[1-9A-HJ-NP-Za-km-z]+$"},
    },
}  # fmt: skip

STATUS_ENTRY = {
    "type": "object",
    "required": ["id", "type", "statusPurpose", "statusListIndex", "statusListCredential"],
    "properties": {
        "id": URI,
        "type": {"const": "BitstringStatusListEntry"},
        "statusPurpose": {"enum": ["revocation", "suspension"]},
        "statusListIndex": {"type": "string", "pattern": r"^\d+$"},
        "statusListCredential": URI,
    },
}

CONTEXT_PREFIX = {
    "type": "array",
    "minItems": 2,
    "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
    "prefixItems": [
        {"const": "https://www.w3.org/ns/credentials/v2"},
        {
            "type": "string",
            "pattern": r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json$",
        },
    ],
}

OPEN_BADGE_CREDENTIAL = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "@context",
        "id",
        "type",
        "name",
        "issuer",
        "validFrom",
        "credentialSubject",
        "credentialSchema",
        "credentialStatus",
    ],
    "properties": {
        "@context": CONTEXT_PREFIX,
        "id": URI,
        "type": {
            "anyOf": [
                _types_containing("VerifiableCredential", "OpenBadgeCredential"),
                _types_containing("VerifiableCredential", "AchievementCredential"),
            ]
        },
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "issuer": {"allOf": [PROFILE, {"properties": {"id": {"pattern": "^did:web:[^#\\s]+$"}}}]},
        "validFrom": DATE_TIME,
        "validUntil": DATE_TIME,
        "credentialSubject": ACHIEVEMENT_SUBJECT,
        "credentialSchema": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type"],
                "properties": {"id": URI, "type": {"type": "string"}},
            },
            "contains": {
                "properties": {
                    "id": {"const": OB_SCHEMA_URL},
                    "type": {"const": "1EdTechJsonSchemaValidator2019"},
                }
            },
        },
        "credentialStatus": STATUS_ENTRY,
        "proof": {"oneOf": [PROOF, {"type": "array", "items": PROOF}]},
    },
}

BITSTRING_STATUS_LIST_CREDENTIAL = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"],
    "properties": {
        "@context": {"type": "array", "prefixItems": [{"const": "https://www.w3.org/ns/credentials/v2"}]},
        "id": URI,
        "type": _types_containing("VerifiableCredential", "BitstringStatusListCredential"),
        "issuer": {"type": "string", "pattern": "^did:web:"},
        "validFrom": DATE_TIME,
        "credentialSubject": {
            "type": "object",
            "required": ["id", "type", "statusPurpose", "encodedList"],
            "properties": {
                "type": {"const": "BitstringStatusList"},
                "statusPurpose": {"enum": ["revocation", "suspension"]},
                "encodedList": {"type": "string", "pattern": "^u[A-Za-z0-9_-]+$"},
            },
        },
        "proof": PROOF,
    },
}  # fmt: skip
