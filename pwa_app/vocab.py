"""The product's controlled vocabularies: stored codes and their translated labels."""

from flask_babel import lazy_gettext as _l

ROLES = {
    "volunteer": _l("Volunteer"),
    "staff": _l("Staff"),
    "admin": _l("Administrator"),
}

HOUSEHOLD_TAGS = {
    "elderly": _l("Elderly"),
    "disability": _l("Person with disability"),
    "bedridden": _l("Bedridden"),
    "child": _l("Child"),
    "homeless": _l("Homeless or destitute"),
    "begging": _l("Begging"),
    "low_income": _l("Low income"),
    "chronic_illness": _l("Chronic illness"),
    "single_parent": _l("Single parent"),
}

VISIT_KINDS = {
    "first_contact": _l("First contact"),
    "routine": _l("Routine"),
    "follow_up": _l("Follow-up"),
    "urgent": _l("Urgent"),
}

WELLBEING = {
    "green": _l("Doing well"),
    "yellow": _l("Needs watching"),
    "red": _l("Needs help now"),
}

NEEDS = {
    "food": _l("Food"),
    "health": _l("Health"),
    "housing": _l("Housing"),
    "income": _l("Income"),
    "documents": _l("Documents or ID"),
    "disability_support": _l("Disability support"),
    "elder_care": _l("Elder care"),
    "child_care": _l("Child care"),
    "safety": _l("Safety"),
    "other": _l("Other"),
}

ASSISTANCE_STATUSES = {
    "identified": _l("Identified"),
    "applied": _l("Applied"),
    "referred": _l("Referred"),
    "received": _l("Received"),
    "not_eligible": _l("Not eligible"),
    "withdrawn": _l("Withdrawn"),
}
OPEN_ASSISTANCE_STATUSES = ("identified", "applied", "referred")
CLOSED_ASSISTANCE_STATUSES = ("received", "not_eligible", "withdrawn")

HELP_CATEGORIES = {
    "visit": _l("Please visit us"),
    "health": _l("Health or care"),
    "food": _l("Food or daily needs"),
    "welfare": _l("Welfare or allowance"),
    "safety": _l("Safety"),
    "other": _l("Something else"),
}
HELP_STATUSES = {
    "new": _l("New"),
    "seen": _l("Seen"),
    "resolved": _l("Resolved"),
}

SEXES = {
    "female": _l("Female"),
    "male": _l("Male"),
    "other": _l("Other or not stated"),
}

AREA_LEVELS = ("province", "district", "subdistrict", "village")
