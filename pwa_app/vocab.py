"""The product's controlled vocabularies: stored codes and their translated labels."""

from flask_babel import lazy_gettext as _l

ROLES = {
    "volunteer": _l("Volunteer"),
    "staff": _l("Staff"),
    "admin": _l("Administrator"),
    "observer": _l("Observer"),
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

AGENCY_KINDS = {
    "subdistrict_admin": _l("Subdistrict administration (SAO)"),
    "health_centre": _l("Subdistrict health centre"),
    "hospital": _l("Hospital"),
    "district_office": _l("District office"),
    "social_development": _l("Provincial social development office"),
    "protection_centre": _l("Protection centre"),
    "police": _l("Police"),
    "school": _l("School"),
    "other": _l("Other"),
}

AREA_LEVELS = ("province", "district", "subdistrict", "village")

# The model work process for a welfare case: what the volunteer does next at each status.
NEXT_STEPS = {
    "identified": _l(
        "Help the household gather documents (ID card, house registration) and apply, "
        "or contact the agency to refer the case."
    ),
    "applied": _l(
        "Follow up the application with the agency; set the next follow-up date and tell "
        "the household what to expect."
    ),
    "referred": _l(
        "Call the agency to confirm it received the referral, then visit to check that "
        "help has arrived."
    ),
    "received": _l("Done: the household received the help. Record what was received."),
    "not_eligible": _l("Closed: explain the reason to the household and look for other help."),
    "withdrawn": _l("Closed: the household withdrew."),
}
REFERRAL_NEXT_STEP = _l(
    "Refer: contact the agency, give them the household's details, and note whom you spoke to."
)

# Where a case may go from each status (staying put is always allowed).
ASSISTANCE_TRANSITIONS = {
    "identified": {"applied", "referred", "received", "not_eligible", "withdrawn"},
    "applied": {"referred", "received", "not_eligible", "withdrawn"},
    "referred": {"applied", "received", "not_eligible", "withdrawn"},
    "received": set(),
    "not_eligible": set(),
    "withdrawn": set(),
}

# What staff announce to volunteers.
ANNOUNCEMENT_KINDS = {
    "news": _l("News"),
    "training": _l("Training"),
    "meeting": _l("Meeting"),
}

# Encounters: a person in hardship found by a volunteer (models/encounters.py holds the codes).
ENCOUNTER_CATEGORIES = {
    "homeless": _l("Homeless or destitute"),
    "begging": _l("Begging"),
    "abandoned_elder": _l("Abandoned elder"),
    "child_at_risk": _l("Child at risk"),
    "violence": _l("Violence or abuse"),
    "mental_health": _l("Mental health crisis"),
    "other": _l("Other"),
}
ENCOUNTER_URGENCIES = {
    "normal": _l("Normal"),
    "urgent": _l("Urgent: needs help today"),
}
ENCOUNTER_STATUSES = {
    "new": _l("New"),
    "assigned": _l("Assigned"),
    "contacted": _l("Contacted"),
    "referred": _l("Referred"),
    "closed": _l("Closed"),
}
