"""Texts the pure rules need: the marker for translatable text, and Danish messages for
Pydantic's validation error types (used by the record service and the web layer alike)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


#: Danish messages for Pydantic's error types (the rest get a general message).
VALIDATION_MESSAGES = {
    "missing": N_("Skal udfyldes."),
    "string_type": N_("Skal være tekst."),
    "string_too_long": N_("Teksten er for lang."),
    "string_too_short": N_("Skal udfyldes."),
    "string_pattern_mismatch": N_("Har ikke det rigtige format."),
    "int_type": N_("Skal være et helt tal."),
    "int_parsing": N_("Skal være et helt tal."),
    "int_from_float": N_("Skal være et helt tal."),
    "bool_type": N_("Skal være ja eller nej."),
    "bool_parsing": N_("Skal være ja eller nej."),
    "date_type": N_("Skal være en dato."),
    "date_parsing": N_("Skal være en dato (ÅÅÅÅ-MM-DD)."),
    "date_from_datetime_parsing": N_("Skal være en dato (ÅÅÅÅ-MM-DD)."),
    "datetime_parsing": N_("Skal være et tidspunkt."),
    "uuid_parsing": N_("Skal være et gyldigt id."),
    "uuid_type": N_("Skal være et gyldigt id."),
    "json_invalid": "Ugyldig JSON.",
    "json_type": "Ugyldig JSON.",
    "dict_type": N_("Skal være et objekt."),
    "model_type": N_("Skal være et objekt."),
    "model_attributes_type": N_("Skal være et objekt."),
    "list_type": N_("Skal være en liste."),
    "literal_error": N_("Er ikke en af de tilladte værdier."),
    "enum": N_("Er ikke en af de tilladte værdier."),
    "greater_than_equal": N_("Er for lille."),
    "less_than_equal": N_("Er for stor."),
    "too_long": N_("Der er for mange."),
    "extra_forbidden": N_("Feltet kendes ikke."),
    "value_error": N_("Ugyldig værdi."),
}
