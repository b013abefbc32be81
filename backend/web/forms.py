"""The one way a page reads a posted form: a pydantic model of its (name, text) pairs.

Record forms place the pairs into the write body (`records/forms.py`); admin and settings pages
take the first value of each name (`fields`). Uploaded files are left to the route that wants
them (the CSV import). A body that cannot be read is answered 400 in Danish.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel

from backend.domain.messages import N_

#: Starlette's own limit; the admin pages ask for fewer (their forms are small).
MAX_FIELDS = 1000
ADMIN_MAX_FIELDS = 400
#: The longest text an admin field keeps (the services cut each field to its own length).
FIELD_MAX = 20_000


class SubmittedForm(BaseModel):
    items: list[tuple[str, str]]

    def fields(self) -> dict[str, str]:
        """Field → text, the first value of each name, at most `FIELD_MAX` characters."""
        first: dict[str, str] = {}
        for name, value in self.items:
            first.setdefault(name, value[:FIELD_MAX])
        return first

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]


async def read_form(request: Request, max_fields: int = MAX_FIELDS) -> SubmittedForm:
    try:
        form = await request.form(max_fields=max_fields)
    except Exception:  # a malformed body is answered 400
        raise HTTPException(400, N_("Formularen kunne ikke læses.")) from None
    return SubmittedForm(items=[(k, v) for k, v in form.multi_items() if isinstance(v, str)])


async def submitted_form(request: Request) -> SubmittedForm:
    return await read_form(request)


async def form_fields(request: Request) -> dict[str, str]:
    return (await read_form(request, ADMIN_MAX_FIELDS)).fields()


Form = Annotated[SubmittedForm, Depends(submitted_form)]
Fields = Annotated[dict[str, str], Depends(form_fields)]
