"""Who may do what in the catalogue, and who the clinicians of an association are.

Services take an Actor (lms.permissions) and check objects themselves: another association's
record is 404, a training a trainer does not own is 403.
"""

from __future__ import annotations

import peewee as pw

from courses.errors import CourseError
from courses.models import Session, SessionTrainer, Training
from lms.duties import refuse_own
from lms.errors import Forbidden, NotFound
from lms.models import Association, Membership, User
from lms.permissions import Actor

MANAGERS = frozenset({"coordinator", "admin"})


def is_manager(actor: Actor, association_id: int) -> bool:
    """Tell whether the actor runs the association (coordinator or admin there)."""
    return bool(actor.roles(association_id) & MANAGERS)


def in_association(actor: Actor, capability: str, association_id: int) -> None:
    if not actor.can(capability, association_id):
        raise NotFound()


def check_manage(actor: Actor, training: Training) -> None:
    """Let coordinators manage any training of their association, trainers their own."""
    in_association(actor, "courses:view_catalogue", training.association_id)
    if not actor.can("courses:manage_trainings", training.association_id):
        raise Forbidden()
    if not is_manager(actor, training.association_id) and training.owner_id != actor.user.id:
        raise Forbidden()


def may_record(actor: Actor, training: Training) -> bool:
    """Tell whether the actor may record completions of this training."""
    if not actor.can("courses:record_completion", training.association_id):
        return False
    if is_manager(actor, training.association_id) or training.owner_id == actor.user.id:
        return True
    return (
        SessionTrainer.select()
        .join(Session)
        .where((Session.training == training) & (SessionTrainer.trainer == actor.user))
        .exists()
    )


def check_record(actor: Actor, training: Training) -> None:
    in_association(actor, "courses:view_catalogue", training.association_id)
    if not may_record(actor, training):
        raise Forbidden()


RECORD_OWN = "record your own training"
RECORD_OTHERS = "another trainer or your coordinator records it"


def refuse_own_record(actor: Actor, clinician_id: int, field: str = "clinician") -> None:
    """Refuse to record (as verified) a completion of the actor's own."""
    refuse_own(actor, clinician_id, RECORD_OWN, error=CourseError, field=field, then=RECORD_OTHERS)


def recordable_trainings(actor: Actor, association: Association) -> pw.ModelSelect:
    """Return the trainings of the association the actor may record completions of."""
    query = Training.select().where(Training.association == association)
    if is_manager(actor, association.id):
        return query
    taught = (
        Session.select(Session.training)
        .join(SessionTrainer)
        .where(SessionTrainer.trainer == actor.user)
    )
    return query.where((Training.owner == actor.user) | Training.id.in_(taught))


def get_training(actor: Actor, training_id: int) -> Training:
    """Return a training the actor may see, else 404."""
    training = Training.get_or_none(Training.id == training_id)
    if training is None:
        raise NotFound()
    in_association(actor, "courses:view_catalogue", training.association_id)
    return training


def get_session(actor: Actor, session_id: int) -> Session:
    session = Session.get_or_none(Session.id == session_id)
    if session is None:
        raise NotFound()
    get_training(actor, session.training_id)
    return session


# --- clinicians --------------------------------------------------------------------------------


def clinicians_of(association: Association) -> pw.ModelSelect:
    """Return the clinicians of an association."""
    return (
        User.select()
        .join(Membership)
        .where((Membership.association == association) & (Membership.role == "clinician"))
    )


def search_clinicians(association: Association, text: str, limit: int = 50) -> list[User]:
    """Find clinicians of the association by name or email."""
    query = clinicians_of(association)
    if text.strip():
        like = f"%{text.strip()}%"
        query = query.where(User.display_name.ilike(like) | User.email.ilike(like))
    return list(query.order_by(User.display_name).limit(limit))


def check_clinician(association_id: int, clinician_id: int) -> None:
    if (
        not Membership.select()
        .where(
            (Membership.user == clinician_id)
            & (Membership.association == association_id)
            & (Membership.role == "clinician")
        )
        .exists()
    ):
        raise CourseError("The person is not a clinician of this association.", "clinician")
