"""The bare stack Opspor is measured against (`bench/server.py`): FastAPI + SQLAlchemy/psycopg +
Jinja2, with nothing of Opspor's. One indexed read rendered into a small template (or returned as
JSON), and one JSON row inserted. Run: `BARE_DATABASE_URL=... uvicorn bench.bare_app:app`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from fastapi import Body, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import JSON, Column, Date, MetaData, String, Table, Text, create_engine, insert, select
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
JSONType = JSON().with_variant(JSONB(), "postgresql")
item = Table(
    "bare_item",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("born_on", Date, nullable=False),
    Column("note", Text, nullable=False),
)
entry = Table(
    "bare_entry",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("data", JSONType, nullable=False),
)

templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("bare_templates")), autoescape=select_autoescape()
)


def make_engine(url: str):
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False})
    return create_engine(url, pool_size=20, max_overflow=0)  # Opspor's default pool (backend/db.py)


def seed(url: str, count: int = 50) -> list[str]:
    """Create the tables and `count` rows; returns their ids."""
    from datetime import date, timedelta

    engine = make_engine(url)
    metadata.create_all(engine)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with engine.begin() as connection:
        connection.execute(
            insert(item),
            [
                {"id": i, "name": f"Barn {n}", "born_on": date(2025, 1, 1) + timedelta(days=n), "note": "…"}
                for n, i in enumerate(ids)
            ],
        )
    engine.dispose()
    return ids


engine = make_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://"))
app = FastAPI()


def _row(item_id: str) -> dict:
    with engine.connect() as connection:
        row = connection.execute(select(item).where(item.c.id == item_id)).mappings().first()
    if row is None:
        raise HTTPException(404)
    return dict(row)


@app.get("/items/{item_id}")
def item_page(item_id: str) -> HTMLResponse:
    return HTMLResponse(templates.get_template("item.html").render(item=_row(item_id)))


@app.get("/api/items/{item_id}")
def item_json(item_id: str) -> dict:
    row = _row(item_id)
    return {**row, "born_on": row["born_on"].isoformat()}


@app.put("/api/entries/{entry_id}")
def put_entry(entry_id: uuid.UUID, body: dict = Body(...)) -> JSONResponse:
    with engine.begin() as connection:
        connection.execute(insert(entry).values(id=str(entry_id), data=body))
    return JSONResponse({"id": str(entry_id), "data": body}, status_code=201)
