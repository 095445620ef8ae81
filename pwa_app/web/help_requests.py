"""The inbox of help requests sent from household cards."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from pwa_app.services import audit, help_requests
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import HELP_STATUSES
from pwa_app.web.access import staff_required
from pwa_app.web.auth import safe_next
from pwa_app.web.forms import refuse

bp = Blueprint("help_requests", __name__, url_prefix="/help-requests")


@bp.route("")
@staff_required
def index():
    """List help requests, newest first, by status."""
    status = request.args.get("status", "new")
    status = status if status in HELP_STATUSES or status == "all" else "new"
    audit.record("help_request.list", current_user, status=status)
    return render_template(
        "help_requests/index.html",
        requests=help_requests.inbox(current_user, None if status == "all" else status),
        counts=help_requests.counts(current_user),
        status=status,
    )


@bp.route("/<int:request_id>/status", methods=["POST"])
@login_required
def set_status(request_id):
    """Mark a request seen or resolved (staff, or the volunteer of its household's area)."""
    help_request = help_requests.request_for(current_user, request_id)
    back = safe_next(request.form.get("next")) or url_for("home.index")
    try:
        help_requests.mark(
            help_request, request.form.get("status", ""), current_user, request.form.get("note", "")
        )
    except ValidationError as error:
        return refuse(error, back)
    flash(_("Help request updated."), "ok")
    return redirect(back)
