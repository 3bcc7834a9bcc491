"""All models, imported here so Alembic and the app see the whole schema."""

from capx.models.badges import (BADGE_IMAGE_TYPES, BADGE_KINDS, BADGE_SOURCES, EARNED, EXTERNAL, INTERNAL,
                                 MAX_BADGE_IMAGE_BYTES, PARTNER, Badge, BadgeImage, UserBadge)
from capx.models.base import AVAILABLE, CAPACITY_KINDS, KNOWN, WANTED, utcnow
from capx.models.capacities import Capacity, CapacityText
from capx.models.directory import (SUGGESTION_APPROVED, SUGGESTION_PENDING, SUGGESTION_REJECTED,
                                   SUGGESTION_STATUSES, CapacitySuggestion, ThematicCategory,
                                   ThematicCategoryCapacity)
from capx.models.events import (EVENT_FORMATS, MAX_COURSE_IMAGE_BYTES, Event, EventCapacity, EventCourseFetch,
                                 EventCourseImage)
from capx.models.exports import CommonsExport
from capx.models.imports import ImportedRow
from capx.models.lets_connect import (LETS_CONNECT_AGE_RANGES, LETS_CONNECT_GENDERS, LETS_CONNECT_ROLES,
                                       LETS_CONNECT_TOPICS, LetsConnectRegistration)
from capx.models.mentorship import (PROGRAM_FORMATS, QUESTION_KINDS, ROLES, MentorshipApplication,
                                    MentorshipProgram, MentorshipProgramCapacity, MentorshipProgramLanguage,
                                    MentorshipQuestion)
from capx.models.messages import MESSAGE_METHODS, MESSAGE_STATUSES, MessageLog
from capx.models.org_profiles import (MAX_DIFF_TAGS, MAX_DOCUMENTS, MAX_PROJECTS, DiffPost, DiffPostTag,
                                      OrganizationDetails, OrganizationDiffTag, OrganizationDocument,
                                      OrganizationProject)
from capx.models.organizations import (Organization, OrganizationCapacity, OrganizationManager,
                                       OrganizationName, OrganizationTerritory, OrganizationType, PartnerMember,
                                       OrganizationRedirect)
from capx.models.people import (DEFAULT_PROFICIENCY, PROFICIENCY_LEVELS, KeptProfileData, OAuthToken, Profile,
                                ProfileAffiliation, ProfileCapacity, ProfileLanguage, ProfileNameGram, ProfileProject,
                                ProfileTerritory, SavedOrganization, SavedProfile, User)
from capx.models.reference import Avatar, Language, Territory, WikimediaProject
from capx.models.statistics import NameGramCount, Statistic
from capx.models.reports import REPORT_STATUSES, REPORT_TYPES, BugReport
from capx.models.cache import CacheStamp
from capx.models.operations import JobOutage, RateCounter

__all__ = [
    "AVAILABLE", "CAPACITY_KINDS", "KNOWN", "WANTED", "utcnow",
    "Capacity", "CapacityText",
    "SUGGESTION_APPROVED", "SUGGESTION_PENDING", "SUGGESTION_REJECTED", "SUGGESTION_STATUSES",
    "CapacitySuggestion", "ThematicCategory", "ThematicCategoryCapacity",
    "CommonsExport", "EVENT_FORMATS", "Event", "EventCapacity", "EventCourseFetch", "EventCourseImage",
    "MAX_COURSE_IMAGE_BYTES", "MESSAGE_METHODS", "MESSAGE_STATUSES", "MessageLog",
    "Organization", "OrganizationCapacity", "OrganizationManager", "OrganizationName",
    "OrganizationTerritory", "OrganizationType", "PartnerMember", "OrganizationRedirect", "ImportedRow", "KeptProfileData",
    "BADGE_KINDS", "BADGE_SOURCES", "EARNED", "EXTERNAL", "INTERNAL", "PARTNER", "Badge",
    "BADGE_IMAGE_TYPES", "MAX_BADGE_IMAGE_BYTES", "BadgeImage",
    "MAX_DIFF_TAGS", "MAX_DOCUMENTS", "MAX_PROJECTS", "DiffPost", "DiffPostTag", "OrganizationDetails",
    "OrganizationDiffTag", "OrganizationDocument", "OrganizationProject",
    "DEFAULT_PROFICIENCY", "PROFICIENCY_LEVELS", "OAuthToken", "Profile", "ProfileAffiliation",
    "ProfileCapacity", "ProfileLanguage", "ProfileNameGram", "ProfileProject", "ProfileTerritory", "SavedOrganization",
    "SavedProfile", "User",
    "Avatar", "Language", "Territory", "WikimediaProject",
    "UserBadge", "LETS_CONNECT_AGE_RANGES", "LETS_CONNECT_GENDERS", "LETS_CONNECT_ROLES", "LETS_CONNECT_TOPICS",
    "LetsConnectRegistration",
    "PROGRAM_FORMATS", "QUESTION_KINDS", "ROLES", "MentorshipApplication", "MentorshipProgram",
    "MentorshipProgramCapacity", "MentorshipProgramLanguage", "MentorshipQuestion", "NameGramCount", "Statistic",
    "REPORT_STATUSES", "REPORT_TYPES", "BugReport", "CacheStamp", "JobOutage", "RateCounter",
]
