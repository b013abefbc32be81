"""The kinds of unit (domain §1), with their one set of Danish labels."""

from __future__ import annotations

from enum import StrEnum

from backend.domain.messages import N_


class UnitKind(StrEnum):
    health_visiting = "health_visiting"
    childminding = "childminding"
    institution = "institution"


#: Each kind's Danish label (admin forms, settings, reports); translated where shown.
UNIT_KIND_LABELS: dict[str, str] = {
    UnitKind.health_visiting: N_("Sundhedspleje"),
    UnitKind.childminding: N_("Dagpleje"),
    UnitKind.institution: N_("Daginstitution"),
}
