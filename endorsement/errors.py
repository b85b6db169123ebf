"""Errors of the workflow services."""

from __future__ import annotations


class WorkflowError(ValueError):
    """A workflow step cannot be done as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotVisible(LookupError):
    """The record belongs to someone the actor may not act for (views answer 404)."""
