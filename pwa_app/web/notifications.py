"""The user's notifications: the list, opening one, marking all read."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from pwa_app.services import notifications
from pwa_app.web.access import read_only, role_required
from pwa_app.web.args import page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
# Who gets notifications (an observer reads figures only).
readers_required = role_required("volunteer", "staff", "admin")


@bp.route("")
@read_only
@readers_required
def index():
    """The user's notifications, newest first, the unread marked; and this phone's opt-in."""
    page = page_arg()
    items, more = notifications.page_of(current_user, page)
    return render_template(
        "notifications/index.html",
        items=[(item, notifications.render(item)) for item in items],
        page=page,
        more=more,
        unread=notifications.unread_count(current_user),
    )


@bp.route("/<int:notification_id>")
@readers_required
def open_one(notification_id):
    """Open a notification: it is read now, and its page opens (a tap on the phone comes here).

    A GET that marks something read, as a link in an e-mail does: the worst another site can
    do with it is mark one of your notifications read.
    """
    notification = notifications.notification_for(current_user, notification_id)
    return redirect(notifications.open_notification(notification))


@bp.route("/read", methods=["POST"])
@readers_required
def read_all():
    """Mark every notification read."""
    if notifications.mark_all_read(current_user):
        flash(_("All notifications are marked read."), "ok")
    return redirect(url_for("notifications.index"))
