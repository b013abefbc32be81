"""Each record type's rules (checks, derived values, tasks), one module per type."""

import backend.records.kinds.dialogue_meeting
import backend.records.kinds.reflection  # noqa: F401
from backend.records.kinds import adbb, concern_note, consent, notification, wellbeing  # noqa: F401

from backend.records.kinds import transition  # noqa: F401  # isort: skip
