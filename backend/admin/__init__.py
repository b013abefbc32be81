"""Administration and the data lifecycle (issue 9): the organisation, children and placements,
caseloads, CSV import, devices, retention and the right of access. Services only; the pages
are in `backend/web/pages/admin_*.py`."""
