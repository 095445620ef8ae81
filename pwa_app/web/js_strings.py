"""The few sentences the page scripts say, in the visitor's language."""

from flask_babel import gettext as _


def js_strings():
    """Return the scripts' messages; {name} marks a value the script fills in."""
    return {
        "badge_waiting": _("{n} waiting"),
        "badge_rejected": _("{n} waiting, {r} to fix"),
        "login_needed": _(
            "Log in again to send the visits saved on this phone. They are kept until then."
        ),
        "log_in": _("Log in"),
        "waiting_logged_out": _(
            "{n} visits saved on this phone are waiting to be sent. Log in to send them."
        ),
        "logout_waiting": _(
            "{n} visits on this phone are not sent yet. They stay here and are sent when you "
            "log in again. Log out anyway?"
        ),
        "storage_full": _(
            "This phone's storage is full: the visit was not saved. Free some space and try again."
        ),
        "storage_blocked": _(
            "The visit was not saved yet: another window of the app is open with an older "
            "version. Close the app's other windows and tabs, then save again."
        ),
        "saved_sent": _("Visit saved and sent. Thank you!"),
        "saving": _("Saving…"),
        "saved_sending": _(
            "Visit saved on this phone. It is being sent in the background; you can go on."
        ),
        "repeat_visit": _(
            "You saved a visit to this household at {time}. Is this another visit? "
            "OK saves it as a new visit; Cancel goes back to the form."
        ),
        "case_pending": _("saved on this phone, not sent yet"),
        "pending_waiting": _("saved on this phone, being sent"),
        "pending_rejected": _("saved on this phone; the server asks for a correction"),
        "open_case_above": _("{name} (open case above)"),
        "copy_age": _("Saved copy from {when}: no signal to get a newer one."),
        "saved_offline": _("Visit saved on this phone. It will be sent when there is signal."),
        "saved_login": _("Visit saved on this phone. Log in again to send it."),
        "saved_busy": _(
            "Visit saved on this phone. The server is busy; the app will send it shortly."
        ),
        "not_in_list": _(
            "Household {code} is not in this phone's list of your households. Check the code, "
            "or open the app once with signal."
        ),
        "saved_at": _("saved {when}"),
        "message_label": _("Question to staff"),
        "message_empty": _("Write your question first."),
        "message_sent": _("Sent to the staff. You will see their answer here."),
        "message_saved_offline": _(
            "Saved on this phone. It will be sent to the staff when there is signal."
        ),
        "message_saved_login": _("Saved on this phone. Log in again to send it."),
        "message_saved_busy": _(
            "Saved on this phone. The server is busy; the app will send it shortly."
        ),
        "encounter_label": _("Report of a person in hardship"),
        "encounter_category_missing": _("Choose what kind of hardship this is."),
        "encounter_place_missing": _("Say where you found the person."),
        "encounter_sent": _("Sent to the centre. You will see here what becomes of it."),
        "encounter_saved_offline": _(
            "Report saved on this phone. It will be sent to the centre when there is signal."
        ),
        "encounter_saved_login": _("Report saved on this phone. Log in again to send it."),
        "encounter_saved_busy": _(
            "Report saved on this phone. The server is busy; the app will send it shortly."
        ),
        "date_unreadable": _("Not a date yet: type day/month/year."),
        "rejected": _("The server could not accept this visit."),
        "fix": _("Fix"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this visit? It has not been sent and will be lost."),
        "waiting": _("Waiting to be sent"),
        "waiting_retry": _("Not sent yet ({n} tries); next try {when}"),
        "outbox_empty": _("Nothing is waiting. Every visit has been sent."),
        "other_users": _(
            "{n} visits of another account are also waiting; they are sent when that person "
            "logs in."
        ),
        "never": _("not yet"),
        "sending": _("Sending…"),
        "sync_done": _("Sent: {n}."),
        "sync_offline": _("No signal. The visits stay on this phone and will be sent later."),
        "sync_login": _("Log in again to send."),
        "sync_busy": _("The server is busy. The app will try again shortly."),
        "logout_photos": _(
            "{n} photos on this phone are not sent yet. Logging out deletes them from this "
            "phone. Log out anyway?"
        ),
    }


def photo_js_strings():
    """Return what the photo picker and the outbox say about photos.

    Sent only with the pages that show photos (a form with a picker, the outbox), not with
    every page as js_strings() is: a phone's first load stays small.
    """
    return {
        "photo_alt": _("Photo {n} ({kb} KB)"),
        "photo_remove": _("Remove photo {n}"),
        "photo_removed": _("Photo removed."),
        "photo_shrinking": _("Making the photo smaller…"),
        "photo_ready": _("{n} of {limit} photos ready. They are sent once this form is saved."),
        "photo_limit": _("At most {n} photos: the others were left out."),
        "photo_unreadable": _(
            "This file could not be read as a photo. Take the photo again or choose another."
        ),
        "photos_unavailable": _(
            "Photos can be added once the app has been opened here with signal."
        ),
        "photos_dropped": _(
            "Saved without {n} photo(s): the phone is full. Free some space and take them again."
        ),
        "photo_waiting": _("Photo waiting to be sent"),
        "photo_sent": _("Photo sent"),
        "photo_refused": _("Photo refused: {reason}"),
        "photo_held": _("Photo kept until this entry is fixed"),
        "photo_dismiss": _("Remove photo"),
        "item_sent_photos_waiting": _("On the server; its photos are still being sent"),
        "item_sent_photos_refused": _("On the server, without the photos below"),
    }
