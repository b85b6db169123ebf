"""Errors of the workflow services."""

from __future__ import annotations

from lms.errors import NotFound, ServiceError


class WorkflowError(ServiceError, ValueError):
    """A workflow step cannot be done as asked; `field` names the input at fault."""


class NotVisible(NotFound, LookupError):
    """The record belongs to someone the actor may not act for (views answer 404)."""
