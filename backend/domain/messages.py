"""Texts the pure rules need: the marker for translatable text, and Danish messages for
Pydantic's validation error types (used by the record service and the web layer alike)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


#: Danish messages for Pydantic's error types (the rest get a general message).
VALIDATION_MESSAGES = {
    "missing": "Skal udfyldes.",
    "string_type": "Skal være tekst.",
    "string_too_long": "Teksten er for lang.",
    "string_too_short": "Skal udfyldes.",
    "string_pattern_mismatch": "Har ikke det rigtige format.",
    "int_type": "Skal være et helt tal.",
    "int_parsing": "Skal være et helt tal.",
    "int_from_float": "Skal være et helt tal.",
    "bool_type": "Skal være ja eller nej.",
    "bool_parsing": "Skal være ja eller nej.",
    "date_type": "Skal være en dato.",
    "date_parsing": "Skal være en dato (ÅÅÅÅ-MM-DD).",
    "date_from_datetime_parsing": "Skal være en dato (ÅÅÅÅ-MM-DD).",
    "datetime_parsing": "Skal være et tidspunkt.",
    "uuid_parsing": "Skal være et gyldigt id.",
    "uuid_type": "Skal være et gyldigt id.",
    "json_invalid": "Ugyldig JSON.",
    "json_type": "Ugyldig JSON.",
    "dict_type": "Skal være et objekt.",
    "model_type": "Skal være et objekt.",
    "model_attributes_type": "Skal være et objekt.",
    "list_type": "Skal være en liste.",
    "literal_error": "Er ikke en af de tilladte værdier.",
    "enum": "Er ikke en af de tilladte værdier.",
    "greater_than_equal": "Er for lille.",
    "less_than_equal": "Er for stor.",
    "too_long": "Der er for mange.",
    "extra_forbidden": "Feltet kendes ikke.",
    "value_error": "Ugyldig værdi.",
}
