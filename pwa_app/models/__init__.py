"""The data model, one module per aggregate."""

from pwa_app.models.agencies import Agency, agency_areas, agency_programs
from pwa_app.models.announcements import Announcement, AnnouncementRead, announcement_areas
from pwa_app.models.audit import AuditEvent, DashboardCache, RateEvent
from pwa_app.models.badges import Acknowledgement, Award, Badge
from pwa_app.models.encounters import Encounter, EncounterEvent
from pwa_app.models.households import (
    HelpRequest,
    Household,
    HouseholdDay,
    HouseholdTag,
    Member,
    MemberTag,
)
from pwa_app.models.knowledge import KnowledgePage, KnowledgeSlug, KnowledgeVersion
from pwa_app.models.messages import Message, Thread, ThreadRead
from pwa_app.models.notifications import Notification, PushSubscription
from pwa_app.models.people import (
    Area,
    AreaChange,
    Organisation,
    User,
    area_paths,
    org_areas,
    user_areas,
)
from pwa_app.models.photos import Photo
from pwa_app.models.visits import AreaDay, Visit, VisitDay, VisitNeed
from pwa_app.models.welfare import Assistance, AssistanceEvent, WelfareProgram

__all__ = [
    "Announcement",
    "AnnouncementRead",
    "announcement_areas",
    "Message",
    "Thread",
    "ThreadRead",
    "Acknowledgement",
    "Agency",
    "Area",
    "AreaChange",
    "Assistance",
    "AssistanceEvent",
    "AuditEvent",
    "DashboardCache",
    "Encounter",
    "EncounterEvent",
    "Award",
    "Badge",
    "HelpRequest",
    "Household",
    "HouseholdDay",
    "HouseholdTag",
    "KnowledgePage",
    "KnowledgeSlug",
    "KnowledgeVersion",
    "Member",
    "MemberTag",
    "Notification",
    "Organisation",
    "Photo",
    "PushSubscription",
    "RateEvent",
    "User",
    "Visit",
    "VisitDay",
    "AreaDay",
    "VisitNeed",
    "WelfareProgram",
    "agency_areas",
    "agency_programs",
    "area_paths",
    "org_areas",
    "user_areas",
]
