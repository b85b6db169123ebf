"""A renewal says what its rules still need, from the root result (issue 15, points 3 and 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from endorsement import renewals
from endorsement.errors import WorkflowError


def test_a_long_standing_mentor_is_asked_for_10_hours_of_rsc_not_12(
    clinician, association, coordinator
):
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement
    from lms.permissions import actor_for

    year = max(dt.date.today().year, 2027)  # three years after an award under the 2024 rules
    awarded = dt.date(2024, 6, 1)
    endorsement = record_endorsement(clinician, association, "IMHM-C", awarded, actor=coordinator)
    Endorsement.update(renewal_due=dt.date(year, 12, 31)).where(
        Endorsement.id == endorsement.id
    ).execute()
    endorsement = Endorsement.get_by_id(endorsement.id)
    with pytest.raises(WorkflowError) as caught:
        renewals.submit(endorsement, actor=actor_for(clinician), today=dt.date(year, 11, 1))
    message = str(caught.value)
    assert f"Get 10 hours of reflective supervision by {year}-12-31" in message
    assert "12 hours" not in message  # the option a long-standing mentor does not need
    assert message.count("reflective supervision") == 1
