"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from backend.admin.models import AdminApproval
from backend.audit import AuditEvent
from backend.auth.models import (
    Device,
    LoginAttempt,
    OidcFlow,
    OidcLogin,
    PendingSignIn,
    RecoveryCode,
    TotpCredential,
    WebSession,
)
from backend.notify.models import OutgoingEmail
from backend.parents.consent_models import ParentConsentLink
from backend.parents.models import ParentInvitation
from backend.people.forum_models import Forum, ForumCase, ForumContribution, ForumMeeting, ForumMember
from backend.people.models import (
    Caseload,
    Child,
    Guardian,
    ImportBatch,
    Municipality,
    PasswordToken,
    Placement,
    RoleAssignment,
    Room,
    Unit,
    User,
)
from backend.records.models import EvaluationRound, KeptWrite, Record, RecordVersion, Task
from backend.reminders.models import (
    PushSend,
    PushSubscription,
    ReminderDelivery,
    SchedulerLease,
    ServerKey,
)
from backend.sync.models import SealingKey

__all__ = [
    "AdminApproval",
    "AuditEvent",
    "Caseload",
    "Child",
    "Device",
    "EvaluationRound",
    "Forum",
    "ForumCase",
    "ForumContribution",
    "ForumMeeting",
    "ForumMember",
    "KeptWrite",
    "Guardian",
    "ImportBatch",
    "LoginAttempt",
    "Municipality",
    "OidcFlow",
    "OidcLogin",
    "PendingSignIn",
    "OutgoingEmail",
    "ParentConsentLink",
    "ParentInvitation",
    "PasswordToken",
    "Placement",
    "PushSend",
    "PushSubscription",
    "Record",
    "RecordVersion",
    "ReminderDelivery",
    "RoleAssignment",
    "Room",
    "SealingKey",
    "SchedulerLease",
    "ServerKey",
    "Task",
    "RecoveryCode",
    "TotpCredential",
    "Unit",
    "User",
    "WebSession",
]
