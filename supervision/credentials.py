"""Provider credentials: which a provider may hold, which they hold now, record and revoke.

Each write is one transaction with its audit row. Sessions attested before a revocation keep
the credentials their attestation recorded.
"""

from __future__ import annotations

import datetime as dt

from competencies.endorsements import active_credentials, category_names
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.models import Association, User, utcnow
from supervision.models import ProviderCredential
from supervision.rules import EARLIEST, SupervisionError, has_role

EXTRA_CODES = {"IFS:master": "Infant Family Specialist with a master's degree"}


# --- credentials ----------------------------------------------------------------------------


def credential_names(association: Association, today: dt.date | None = None) -> dict[str, str]:
    """Return the credential codes a provider may hold, with their names."""
    names = category_names(association, today or dt.date.today())
    names.update(EXTRA_CODES)
    return names


def credentials_of(provider: User, association: Association | int) -> list[str]:
    """Return the provider's credentials now: recorded ones plus active endorsements."""
    recorded = ProviderCredential.select(ProviderCredential.code).where(
        (ProviderCredential.provider == provider)
        & (ProviderCredential.association == association)
        & ProviderCredential.revoked_at.is_null()
        & (ProviderCredential.valid_from <= dt.date.today())
    )
    codes = {row.code for row in recorded}
    codes.update(active_credentials(provider, association))
    return sorted(codes)


@transactional
def record_credential(
    provider: User,
    association: Association,
    code: str,
    valid_from: dt.date,
    *,
    actor: User,
    today: dt.date | None = None,
) -> ProviderCredential:
    """Record that a provider holds a credential (an endorsement category or add-on)."""
    today = today or dt.date.today()
    refuse_own(
        actor,
        provider,
        "record your own credential",
        error=SupervisionError,
        field="provider",
        then="another coordinator of your association records it",
    )
    if not has_role(provider, association, "rsc_provider"):
        raise SupervisionError("This person is not an RSC provider of the association.", "provider")
    code = (code or "").strip()
    if code not in credential_names(association, today):
        raise SupervisionError(f"Unknown credential {code!r}.", "code")
    if valid_from is None or valid_from > today or valid_from < EARLIEST:
        raise SupervisionError("Enter a date between 1990 and today.", "valid_from")
    if (
        ProviderCredential.select()
        .where(
            (ProviderCredential.provider == provider)
            & (ProviderCredential.association == association)
            & (ProviderCredential.code == code)
            & ProviderCredential.revoked_at.is_null()
        )
        .exists()
    ):
        raise SupervisionError("The provider already holds this credential.", "code")
    row = ProviderCredential.create(
        provider=provider,
        association=association,
        code=code,
        valid_from=valid_from,
        recorded_by=actor,
    )
    audit.record(
        "rsc_credential.record",
        row,
        actor=actor,
        association_id=association.id,
        after={"provider": provider.id, "code": code, "valid_from": valid_from},
    )
    return row


@transactional
def revoke_credential(row: ProviderCredential, *, actor: User) -> ProviderCredential:
    """Revoke a recorded credential; sessions attested before keep what they recorded."""
    now = utcnow()
    updated = (
        ProviderCredential.update(revoked_at=now)
        .where((ProviderCredential.id == row.id) & ProviderCredential.revoked_at.is_null())
        .execute()
    )
    if not updated:
        raise SupervisionError("This credential is already revoked.", "code")
    row.revoked_at = now
    audit.record(
        "rsc_credential.revoke",
        row,
        actor=actor,
        association_id=row.association_id,
        after={"revoked_at": now},
    )
    return row
