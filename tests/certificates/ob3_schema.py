"""A JSON Schema of the Open Badges 3.0 credential structure, written from the spec's facts.

1EdTech's own schema cannot be fetched here. This one encodes what OB 3.0 (on the W3C
Verifiable Credentials Data Model 2.0) requires of an OpenBadgeCredential: the two contexts
first, both types, an issuer Profile with id and type, validFrom as a date-time, a subject of
type AchievementSubject identified by id or identifier, whose Achievement has id, type, name,
description and criteria; and, when present, credentialStatus with id and type, proofs with type.
"""

DATE_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
}
URI = {"type": "string", "pattern": r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$"}


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


IDENTITY_OBJECT = {
    "type": "object",
    "required": ["type", "identityHash", "identityType", "hashed"],
    "properties": {
        "type": {"const": "IdentityObject"},
        "identityHash": {"type": "string"},
        "identityType": {"type": "string"},
        "hashed": {"type": "boolean"},
        "salt": {"type": "string"},
    },
}

ACHIEVEMENT = {
    "type": "object",
    "required": ["id", "type", "name", "description", "criteria"],
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
        "achievementType": {"type": "string"},
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
    },
}

OPEN_BADGE_CREDENTIAL = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "name",
        "credentialSubject",
    ],
    "properties": {
        "@context": {
            "type": "array",
            "minItems": 2,
            "prefixItems": [
                {"const": "https://www.w3.org/ns/credentials/v2"},
                {
                    "type": "string",
                    "pattern": r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json$",
                },
            ],
        },
        "id": URI,
        "type": _types_containing("VerifiableCredential", "OpenBadgeCredential"),
        "name": {"type": "string", "minLength": 1},
        "issuer": {"oneOf": [URI, PROFILE]},
        "validFrom": DATE_TIME,
        "validUntil": DATE_TIME,
        "credentialSubject": {
            "type": "object",
            "required": ["type", "achievement"],
            "anyOf": [{"required": ["id"]}, {"required": ["identifier"]}],
            "properties": {
                "id": URI,
                "type": _types_containing("AchievementSubject"),
                "identifier": {"type": "array", "minItems": 1, "items": IDENTITY_OBJECT},
                "achievement": ACHIEVEMENT,
            },
        },
        "credentialStatus": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {"id": URI, "type": {"type": "string"}},
        },
        "proof": {
            "oneOf": [
                {"$ref": "#/$defs/proof"},
                {"type": "array", "items": {"$ref": "#/$defs/proof"}},
            ]
        },
    },
    "$defs": {
        "proof": {
            "type": "object",
            "required": ["type", "proofPurpose", "verificationMethod", "proofValue"],
            "properties": {
                "type": {"type": "string"},
                "cryptosuite": {"type": "string"},
                "created": DATE_TIME,
                "proofPurpose": {"const": "assertionMethod"},
                "verificationMethod": URI,
                "proofValue": {"type": "string", "pattern": "^z[1-9A-HJ-NP-Za-km-z]+$"},
            },
        }
    },
}
