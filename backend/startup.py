"""What the app and the command line connect at start, explicitly (no import side effects).

Services never import each other upwards to find their collaborators: here the e-mail sender
learns which e-mails have a give-up hook, sign-out that a phone's pushes stop with it,
provisioning that a removed role hands the person's tasks to the leaders, and the scheduler
the e-mail and retention jobs.
`backend/app.py` (`create_app`) and `backend/cli.py` call `connect_services()` before anything runs.
"""

from __future__ import annotations

from datetime import timedelta

from backend.admin.retention import run_retention_periodic
from backend.auth.provisioning import register_roles_removed_hook
from backend.auth.signin import register_sign_out_hook
from backend.forums.reminders import run_preparation_reminders
from backend.notify.email import register_give_up_hook, run_email_job
from backend.records.kinds.reflection import email_gave_up
from backend.records.tasks import release_tasks_of_removed_roles
from backend.reminders.push import forget_device_subscriptions
from backend.reminders.scheduler import register_job


def connect_services() -> None:
    """Idempotent: registering twice replaces the same entries."""
    register_give_up_hook("reflection", email_gave_up)
    register_sign_out_hook(forget_device_subscriptions)
    register_roles_removed_hook(release_tasks_of_removed_roles)
    register_job("email", timedelta(minutes=1), run_email_job, exclusive=False)
    register_job("forum_reminders", timedelta(hours=1), run_preparation_reminders)
    register_job("retention", timedelta(days=1), run_retention_periodic, lease=timedelta(hours=1))
