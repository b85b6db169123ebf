"""Import and export competency frameworks: our JSON/YAML document and Moodle's CSV.

Pure code: no Flask, no database, no network. Three modules, one name to import from:

- `model`: `FrameworkDoc` (domains → areas, possibly deeper), `FieldError`, `FrameworkError`
  and the safe HTML subset of descriptions (`sanitize_html`);
- `document`: our JSON or YAML format (`load_framework`, `dump_framework`,
  `framework_to_dict`, `demo_framework`), validated by pydantic models;
- `moodle_csv`: Moodle's tool_lpimportcsv CSV (`load_moodle_csv`, `dump_moodle_csv`), read
  through the shared tabular reader `lms.tabular` and then through `load_framework`, so
  whatever an import accepts re-reads to the same document.
"""

from competencies.frameworks_io.document import (
    MAX_FRAMEWORK_NODES,
    demo_framework,
    dump_framework,
    framework_to_dict,
    load_framework,
)
from competencies.frameworks_io.model import (
    MAX_DEPTH,
    MAX_TEXT_LENGTH,
    AreaDoc,
    DomainDoc,
    FieldError,
    FrameworkDoc,
    FrameworkError,
    MoodleFields,
    sanitize_html,
)
from competencies.frameworks_io.moodle_csv import (
    _MOODLE_KEYS,
    MOODLE_HEADER,
    dump_moodle_csv,
    load_moodle_csv,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_FRAMEWORK_NODES",
    "MAX_TEXT_LENGTH",
    "MOODLE_HEADER",
    "_MOODLE_KEYS",
    "AreaDoc",
    "DomainDoc",
    "FieldError",
    "FrameworkDoc",
    "FrameworkError",
    "MoodleFields",
    "demo_framework",
    "dump_framework",
    "dump_moodle_csv",
    "framework_to_dict",
    "load_framework",
    "load_moodle_csv",
    "sanitize_html",
]
