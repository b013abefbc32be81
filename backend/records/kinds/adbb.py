"""ADBB screening (domain §4.1): total, cut-off, age, follow-up task, two-in-a-row flag."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from backend.domain import adbb
from backend.domain.dates import age_in_months
from backend.records.models import Record
from backend.records.rules import RecordRules, Write, register
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import AdbbData


class AdbbRules(RecordRules):
    type = "adbb"

    def check(self, write: Write) -> None:
        data: AdbbData = write.data  # type: ignore[assignment]
        write.past_date("screened_on", data.screened_on)
        if self._needs_age_reason(write, data):
            write.error(
                "age_reason", "Barnet er uden for 2–24 måneder. Skriv, hvorfor der alligevel screenes."
            )
        if write.is_final and data.action == "other" and not (data.action_note or "").strip():
            write.error("action_note", "Beskriv den anden handling.")

    @staticmethod
    def _needs_age_reason(write: Write, data: AdbbData) -> bool:
        if write.child is None or data.screened_on is None or data.screened_on < write.child.birth_date:
            return False
        outside = adbb.age_is_outside_range(write.child.birth_date, data.screened_on)
        return outside and not (data.age_reason or "").strip()

    def derive(self, write: Write) -> dict[str, Any]:
        data: AdbbData = write.data  # type: ignore[assignment]
        items = {k: v for k, v in data.items.model_dump().items() if v is not None}
        cutoff = self._cutoff(write)
        total = adbb.total(items)
        derived: dict[str, Any] = {
            "total": total,
            "cutoff": cutoff,
            "above_cutoff": adbb.is_above_cutoff(total, cutoff),
            "scored_items": len(items),
        }
        if write.child and data.screened_on:
            derived["age_months"] = age_in_months(write.child.birth_date, data.screened_on)
        if write.is_final and data.screened_on and data.occasion:
            current = adbb.Screening(data.screened_on, derived["above_cutoff"], data.occasion)
            derived["consider_notification"] = adbb.consider_notification(current, self._earlier(write))
            if derived["above_cutoff"]:
                derived["follow_up_due_on"] = adbb.follow_up_due_on(
                    data.screened_on, write.actor.municipal.adbb_follow_up_days
                ).isoformat()
        return derived

    def after_save(self, write: Write, record: Record) -> None:
        if not write.is_final or write.child is None:
            return
        data: AdbbData = write.data  # type: ignore[assignment]
        # A later screening does the follow-up that an earlier one asked for.
        for earlier in self._earlier_records(write):
            if earlier.data.get("screened_on", "") <= (data.screened_on.isoformat()):
                close_tasks(write.db, closed_by=write.user.id, key=f"adbb_follow_up:{earlier.id}")
        if data.occasion in ("first", "second"):  # the scheduled screening is done
            close_tasks(write.db, closed_by=write.user.id, key=f"adbb_{data.occasion}_due:{record.child_id}")
        if record.derived.get("above_cutoff"):
            ensure_task(
                write.db,
                key=f"adbb_follow_up:{record.id}",
                kind="adbb_follow_up",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=record.author_id,
                record_id=record.id,
                due_on=adbb.follow_up_due_on(data.screened_on, write.actor.municipal.adbb_follow_up_days),
            )
        else:
            close_tasks(
                write.db, closed_by=write.user.id, status="cancelled", key=f"adbb_follow_up:{record.id}"
            )

    def _cutoff(self, write: Write) -> int:
        """A screening keeps the cut-off it was first judged against."""
        if write.existing is not None and "cutoff" in write.existing.derived:
            return int(write.existing.derived["cutoff"])
        return write.actor.municipal.adbb_cutoff

    def _earlier_records(self, write: Write) -> list[Record]:
        query = select(Record).where(
            Record.type == "adbb",
            Record.child_id == write.child.id,
            Record.unit_id == write.unit_id,
            Record.status == "final",
            Record.id != write.record_id,
        )
        return list(write.db.exec(query))

    def _earlier(self, write: Write) -> list[adbb.Screening]:
        from datetime import date

        return [
            adbb.Screening(
                date.fromisoformat(r.data["screened_on"]),
                bool(r.derived.get("above_cutoff")),
                r.data.get("occasion", ""),
            )
            for r in self._earlier_records(write)
            if r.data.get("screened_on")
        ]


register(AdbbRules())
