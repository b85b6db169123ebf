"""Pages of the competencies plugin (being written)."""
