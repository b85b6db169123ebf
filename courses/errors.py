"""CourseError: the one error every courses service raises for a request it cannot do."""

from __future__ import annotations

from lms.errors import ServiceError


class CourseError(ServiceError, ValueError):
    """A request cannot be done as asked; `field` names the input at fault."""
