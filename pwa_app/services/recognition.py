"""Recognition: badges earned by rule or given by staff, thanks, and what a volunteer sees."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import (
    Acknowledgement,
    Assistance,
    AssistanceEvent,
    Award,
    Badge,
    Household,
    User,
    Visit,
    WelfareProgram,
)
from pwa_app.models.base import utcnow
from pwa_app.services import audit, notifications
from pwa_app.services.cases import today
from pwa_app.services.errors import NotFound, ValidationError
from pwa_app.services.sqltime import as_date, local_date
from pwa_app.services.summaries import LOCAL_TZ

CITATION_MAX = 1000
MESSAGE_MAX = 500
log = logging.getLogger(__name__)


# --- What each automatic rule counts ------------------------------------------------------


def count_visits(volunteer):
    return db.session.scalar(
        select(func.count(Visit.id)).where(
            Visit.volunteer_id == volunteer.id, Visit.deleted_at.is_(None)
        )
    )


def count_confirmed(volunteer):
    return db.session.scalar(
        select(func.count(Visit.id)).where(
            Visit.volunteer_id == volunteer.id,
            Visit.deleted_at.is_(None),
            Visit.confirmed_by_household_at.is_not(None),
        )
    )


def count_received(volunteer, referrals_only=False):
    """Count the cases this volunteer moved to "received"."""
    stmt = select(func.count(func.distinct(AssistanceEvent.assistance_id))).where(
        AssistanceEvent.to_status == "received", AssistanceEvent.by_user_id == volunteer.id
    )
    if referrals_only:
        stmt = (
            stmt.join(Assistance, Assistance.id == AssistanceEvent.assistance_id)
            .join(WelfareProgram, WelfareProgram.id == Assistance.program_id)
            .where(WelfareProgram.is_referral.is_(True))
        )
    return db.session.scalar(stmt)


def longest_weekly_streak(volunteer, since=None):
    """Return the most consecutive weeks (Monday to Sunday, Thai time) with a visit.

    With since, only visits from that moment on count: enough to tell whether a recent visit
    completed a streak, without reading a volunteer's whole history.
    """
    day = local_date(Visit.visited_at)
    stmt = select(day).where(Visit.volunteer_id == volunteer.id, Visit.deleted_at.is_(None))
    if since is not None:
        stmt = stmt.where(Visit.visited_at >= since)
    days = [as_date(d) for d in db.session.scalars(stmt.group_by(day))]
    weeks = sorted({d.toordinal() // 7 for d in (x - timedelta(days=x.weekday()) for x in days)})
    best = run = 0
    previous = None
    for week in weeks:
        run = run + 1 if previous is not None and week == previous + 1 else 1
        best, previous = max(best, run), week
    return best


def covers_all_households(volunteer, days):
    """Return 1 when every household assigned to the volunteer was visited in the last days."""
    since = datetime.combine(today() - timedelta(days=days - 1), time(), LOCAL_TZ)
    stale = (Household.last_visit_at.is_(None)) | (Household.last_visit_at < since)
    total, stale = db.session.execute(
        select(func.count(), func.count().filter(stale)).where(
            Household.assigned_volunteer_id == volunteer.id, Household.archived.is_(False)
        )
    ).one()
    return 1 if total and not stale else 0


RULES = {
    "visits": count_visits,
    "confirmed_visits": count_confirmed,
    "cases_received": count_received,
    "referrals_closed": lambda volunteer: count_received(volunteer, referrals_only=True),
    "weekly_streak": longest_weekly_streak,
}


def measure(badge, volunteer):
    """Return how far a volunteer is on an automatic badge's rule."""
    if badge.rule == "full_coverage":
        return covers_all_households(volunteer, badge.threshold or 30)
    return RULES[badge.rule](volunteer)


def rule_met(badge, volunteer):
    """Tell whether a volunteer has earned an automatic badge."""
    if badge.rule == "full_coverage":
        return measure(badge, volunteer) == 1
    return measure(badge, volunteer) >= (badge.threshold or 1)


# --- Awards -----------------------------------------------------------------------------


def _new_award(badge, volunteer, by=None, citation=""):
    return Award(
        public_id=secrets.token_urlsafe(12),
        badge=badge,
        volunteer=volunteer,
        awarded_by_id=getattr(by, "id", None),
        citation=citation,
        awarded_at=utcnow(),
        dedupe_key=f"{badge.code}:{volunteer.id}",
    )


def _insert_once(award):
    """Insert an award unless the same badge is already held; return it or None."""
    try:
        with db.session.begin_nested():
            db.session.add(award)
            db.session.flush()
    except IntegrityError:
        return None
    return award


def held_codes(volunteer):
    """Return the codes of the badges a volunteer holds (not revoked)."""
    return set(
        db.session.scalars(
            select(Badge.code)
            .join(Award, Award.badge_id == Badge.id)
            .where(Award.volunteer_id == volunteer.id, Award.revoked_at.is_(None))
        )
    )


def auto_badges():
    """Return the active automatic badges."""
    return db.session.scalars(
        select(Badge).where(Badge.kind == "auto", Badge.active.is_(True)).order_by(Badge.sort_order)
    ).all()


KNOWN_RULES = (*RULES, "full_coverage")


def rules_moved_by(volunteer_id, assigned_volunteer_id, with_cases=False):
    """Name the automatic rules a newly logged visit can have moved.

    Only a visit to one of the volunteer's own households (its assigned volunteer) can
    complete their coverage, and only welfare entries can move the case counts.
    """
    rules = ("visits", "weekly_streak")
    if assigned_volunteer_id == volunteer_id:
        rules += ("full_coverage",)
    if with_cases:
        rules += ("cases_received", "referrals_closed")
    return rules


# "Does the volunteer lack an active automatic badge of these rules?" as SQL, for a statement
# that asks it on the way (the visits' insert): the same test as unheld_auto_badges(), with the
# bind parameters :badge_volunteer and :badge_rules (expanding).
UNHELD_BADGE_SQL = (
    "EXISTS (SELECT 1 FROM badges WHERE badges.kind = 'auto' AND badges.active = TRUE "
    "AND badges.rule IN :badge_rules AND NOT EXISTS (SELECT 1 FROM awards "
    "WHERE awards.badge_id = badges.id AND awards.volunteer_id = :badge_volunteer "
    "AND awards.revoked_at IS NULL))"
)


def unheld_auto_badges(volunteer, rules=None):
    """Return the active automatic badges the volunteer does not hold, optionally by rule."""
    held = select(Award.id).where(
        Award.badge_id == Badge.id, Award.volunteer_id == volunteer.id, Award.revoked_at.is_(None)
    )
    stmt = select(Badge).where(
        Badge.kind == "auto",
        Badge.active.is_(True),
        ~held.exists(),
        Badge.rule.in_(rules if rules is not None else KNOWN_RULES),
    )
    return db.session.scalars(stmt.order_by(Badge.sort_order)).all()


def streak_window(badge):
    """The start of the visits that can complete a streak with a visit just logged.

    A visit is at most 30 days old when logged, so a streak of N weeks through it lies within
    N weeks before those 30 days.
    """
    weeks = (badge.threshold or 1) + 1
    return datetime.combine(today() - timedelta(days=30, weeks=weeks), time(), LOCAL_TZ)


def evaluate(volunteer, rules=None, badges=None):
    """Award every automatic badge the volunteer has newly earned; never one twice.

    After an event, rules names what it can have moved (a new visit cannot close a referral)
    and a streak is looked for around recent visits only; without rules every badge is
    checked against the whole history (the scheduled `badges evaluate`). `badges` are the
    unheld badges when the caller has looked them up already.
    """
    earned, measured = [], {}
    if badges is None:
        badges = unheld_auto_badges(volunteer, rules)
    for badge in badges:
        # Coverage and a streak looked for around recent visits depend on the threshold.
        by_threshold = badge.rule in ("full_coverage", "weekly_streak")
        key = (badge.rule, badge.threshold if by_threshold else None)
        if key not in measured:
            if badge.rule == "weekly_streak" and rules is not None:
                measured[key] = longest_weekly_streak(volunteer, since=streak_window(badge))
            else:
                measured[key] = measure(badge, volunteer)
        value = measured[key]
        met = value == 1 if badge.rule == "full_coverage" else value >= (badge.threshold or 1)
        if met and (award := _insert_once(_new_award(badge, volunteer))):
            audit.record(
                "badge.award",
                None,
                award,
                badge=badge.code,
                volunteer=volunteer.id,
                rule=badge.rule,
            )
            notifications.badge_awarded(award)
            earned.append(award)
    return earned


def award_earned(volunteer, rules):
    """Award what an event (visits recorded, a visit confirmed) earned, in a savepoint.

    The event is what matters: a badge check that fails (a lock timeout, a bug) is rolled
    back alone and logged, the event is kept, and the scheduled `badges evaluate` catches
    up. A lost connection is not the check's failure: it fails the request, whose
    transaction is gone with the connection, and the phone sends it again. Returns the new
    awards.
    """
    if not rules:
        return []
    try:
        # Most events complete no badge (a volunteer soon holds those within reach): the
        # savepoint is taken only when a badge is still to be earned.
        if not (badges := unheld_auto_badges(volunteer, rules)):
            return []
        with db.session.begin_nested():
            return evaluate(volunteer, rules, badges)
    except SQLAlchemyError as error:
        if getattr(error, "connection_invalidated", False):
            raise  # the database went away: the whole request fails and is sent again
        log.exception("badge check failed; the event is kept, `badges evaluate` catches up")
        return []


def evaluate_all():
    """Evaluate every active volunteer; return the awards made."""
    volunteers = db.session.scalars(
        select(User).where(User.role == "volunteer", User.active.is_(True)).order_by(User.id)
    ).all()
    return [award for volunteer in volunteers for award in evaluate(volunteer)]


def award(badge, volunteer, by, citation):
    """Give a staff badge (the report's 4S goals) to a volunteer, with a citation."""
    errors = {}
    if badge is None or not badge.active or badge.kind != "staff":
        errors["badge"] = _l("Choose one of the badges staff give.")
    if volunteer is None or volunteer.role != "volunteer":
        errors["volunteer"] = _l("Badges go to volunteers.")
    citation = (citation or "").strip()
    if not citation:
        errors["citation"] = _l("Write why the volunteer receives this badge.")
    elif len(citation) > CITATION_MAX:
        errors["citation"] = _l("Use at most %(n)d characters.", n=CITATION_MAX)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    given = _insert_once(_new_award(badge, volunteer, by, citation))
    if given is None:
        raise ValidationError(
            _l("Please correct the highlighted fields."),
            {"badge": _l("%(name)s already holds this badge.", name=volunteer.display_name)},
        )
    audit.record("badge.award", by, given, badge=badge.code, volunteer=volunteer.id)
    notifications.badge_awarded(given)
    return given


def revoke(award_, by, reason):
    """Withdraw an award with a reason; its verification page then answers 410."""
    reason = (reason or "").strip()
    if award_.revoked_at is not None:
        raise ValidationError(fields={"reason": _l("This award was already revoked.")})
    if not reason:
        raise ValidationError(fields={"reason": _l("Give the reason for revoking.")})
    if len(reason) > CITATION_MAX:
        raise ValidationError(
            fields={"reason": _l("Use at most %(n)d characters.", n=CITATION_MAX)}
        )
    award_.revoked_at = utcnow()
    award_.revoked_by_id = by.id
    award_.revoked_reason = reason
    award_.dedupe_key = None  # the badge may be given again later
    audit.record("badge.revoke", by, award_, reason=reason)


def award_by_public_id(public_id):
    """Return the award with this public id (revoked ones too), or raise NotFound."""
    found = db.session.scalar(
        select(Award)
        .options(selectinload(Award.badge), selectinload(Award.volunteer))
        .where(Award.public_id == (public_id or "")[:40])
    )
    if found is None:
        raise NotFound()
    return found


def revoked_awards():
    """Return every revoked award, earliest revocation first, for the public revocation list."""
    # Scoped to one issuer once organisations award their own badges.
    return db.session.scalars(
        select(Award).where(Award.revoked_at.is_not(None)).order_by(Award.revoked_at, Award.id)
    ).all()


def awards_of(volunteer):
    """Return a volunteer's awards, newest first, revoked ones included."""
    return db.session.scalars(
        select(Award)
        .options(selectinload(Award.badge), selectinload(Award.awarded_by))
        .where(Award.volunteer_id == volunteer.id)
        .order_by(Award.awarded_at.desc())
    ).all()


# --- Thanks ------------------------------------------------------------------------------


def thank(volunteer, by, message="", visit=None):
    """Record a staff member's thanks to a volunteer, on a visit or for their work."""
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationError(
            fields={"message": _l("Use at most %(n)d characters.", n=MESSAGE_MAX)}
        )
    if volunteer.role != "volunteer":
        raise ValidationError(fields={"volunteer": _l("Thanks go to volunteers.")})
    if visit is not None:
        already = db.session.scalar(
            select(Acknowledgement.id).where(
                Acknowledgement.visit_id == visit.id, Acknowledgement.from_user_id == by.id
            )
        )
        if already:
            return db.session.get(Acknowledgement, already)
    thanks = Acknowledgement(
        volunteer_id=volunteer.id,
        from_user_id=by.id,
        visit_id=visit.id if visit is not None else None,
        message=message,
        created_at=utcnow(),
    )
    db.session.add(thanks)
    db.session.flush()
    audit.record("volunteer.thank", by, thanks, volunteer=volunteer.id)
    notifications.thanks_received(thanks, by, visit)
    return thanks


# --- What a volunteer sees about their own recognition -----------------------------------


@dataclass
class Progress:
    """How far a volunteer is toward an automatic badge."""

    badge: Badge
    current: int
    threshold: int

    @property
    def remaining(self):
        return max(self.threshold - self.current, 0)

    @property
    def percent(self):
        return min(100, round(100 * self.current / self.threshold)) if self.threshold else 0


def next_badges(volunteer, limit=2):
    """Return the automatic badges closest to being earned, with the volunteer's progress."""
    held = held_codes(volunteer)
    cache = {}
    progress = []
    for badge in auto_badges():
        if badge.code in held or badge.rule not in RULES or not badge.threshold:
            continue
        if badge.rule not in cache:
            cache[badge.rule] = measure(badge, volunteer)
        progress.append(Progress(badge, min(cache[badge.rule], badge.threshold), badge.threshold))
    progress.sort(key=lambda p: (p.remaining / p.threshold, p.threshold))
    return progress[:limit]


def feed(volunteer, limit=15):
    """Return the volunteer's recent badges and thanks, newest first, as (kind, item) pairs."""
    awards = db.session.scalars(
        select(Award)
        .options(selectinload(Award.badge), selectinload(Award.awarded_by))
        .where(Award.volunteer_id == volunteer.id, Award.revoked_at.is_(None))
        .order_by(Award.awarded_at.desc())
        .limit(limit)
    ).all()
    thanks = db.session.scalars(
        select(Acknowledgement)
        .options(selectinload(Acknowledgement.from_user), selectinload(Acknowledgement.visit))
        .where(Acknowledgement.volunteer_id == volunteer.id)
        .order_by(Acknowledgement.created_at.desc())
        .limit(limit)
    ).all()
    items = [("award", a, a.awarded_at) for a in awards] + [
        ("thanks", t, t.created_at) for t in thanks
    ]
    return [(kind, item) for kind, item, _ in sorted(items, key=lambda i: i[2], reverse=True)][
        :limit
    ]
