"""All models, imported here so Alembic and the app see the whole schema."""

from capx.models.base import AVAILABLE, CAPACITY_KINDS, KNOWN, WANTED, utcnow
from capx.models.capacities import Capacity, CapacityText
from capx.models.events import EVENT_FORMATS, Event, EventCapacity
from capx.models.messages import MESSAGE_METHODS, MESSAGE_STATUSES, MessageLog
from capx.models.organizations import (Organization, OrganizationCapacity, OrganizationManager,
                                       OrganizationName, OrganizationTerritory, OrganizationType)
from capx.models.people import (DEFAULT_PROFICIENCY, PROFICIENCY_LEVELS, OAuthToken, Profile,
                                ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileProject,
                                ProfileTerritory, SavedOrganization, SavedProfile, User)
from capx.models.reference import Avatar, Language, Territory, WikimediaProject
from capx.models.reports import REPORT_STATUSES, REPORT_TYPES, BugReport

__all__ = [
    "AVAILABLE", "CAPACITY_KINDS", "KNOWN", "WANTED", "utcnow",
    "Capacity", "CapacityText",
    "EVENT_FORMATS", "Event", "EventCapacity", "MESSAGE_METHODS", "MESSAGE_STATUSES", "MessageLog",
    "Organization", "OrganizationCapacity", "OrganizationManager", "OrganizationName",
    "OrganizationTerritory", "OrganizationType",
    "DEFAULT_PROFICIENCY", "PROFICIENCY_LEVELS", "OAuthToken", "Profile", "ProfileAffiliation",
    "ProfileCapacity", "ProfileLanguage", "ProfileProject", "ProfileTerritory", "SavedOrganization",
    "SavedProfile", "User",
    "Avatar", "Language", "Territory", "WikimediaProject",
    "REPORT_STATUSES", "REPORT_TYPES", "BugReport",
]
