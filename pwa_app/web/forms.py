"""Helpers shared by the forms of every blueprint."""

from flask import flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField

from pwa_app.database import discard
from pwa_app.services.validation import control_problem, without_controls

REQUIRED = _l("This field is required.")


class AppForm(FlaskForm):
    """The base of every form: a field holding a character we never store is refused.

    The field is shown again with the character taken out, so one more tap saves it.
    """

    def validate(self, extra_validators=None):
        """Validate the fields, then refuse control characters in any of them."""
        valid = super().validate(extra_validators)
        return _refuse_controls(self) and valid


def _refuse_controls(form):
    clean = True
    for field in form:
        if isinstance(field, FormField):
            clean = _refuse_controls(field.form) and clean
        elif isinstance(field, FieldList):
            for entry in field.entries:
                clean = (
                    _refuse_controls(entry.form)
                    if isinstance(entry, FormField)
                    else _refuse_field(entry)
                ) and clean
        else:
            clean = _refuse_field(field) and clean
    return clean


def _refuse_field(field):
    values = field.data if isinstance(field.data, list) else [field.data]
    bad = next((v for v in values if isinstance(v, str) and control_problem(v)), None)
    if bad is None:
        return True
    code = "U+%04X" % ord(next(c for c in bad if without_controls(c) == ""))
    field.errors = [
        *field.errors,
        _(
            "This text had a hidden control character (%(code)s), perhaps copied from another "
            "app. We took it out: check the text and save again.",
            code=code,
        ),
    ]
    if isinstance(field.data, list):
        field.data = [without_controls(v) if isinstance(v, str) else v for v in field.data]
    else:
        field.data = without_controls(field.data)
    return False


def find_field(form, name):
    """Return the field a name like "notes" or "new_cases-0-program" points at, or None."""
    field = form
    for part in name.split("-"):
        try:
            field = field[int(part)] if part.isdigit() else field[part]
        except (KeyError, IndexError, TypeError):
            return None
    return field if field is not form else None


def attach_errors(form, error, leftover=None):
    """Copy a service's ValidationError onto a WTForms form, next to each field.

    Errors for names the form does not have go into `leftover` when given (the page shows
    them by their own fields), else to the top of the form.
    """
    for name, message in error.fields.items():
        field = find_field(form, name)
        if field is not None:
            field.errors = list(field.errors) + [str(message)]
        elif leftover is not None:
            leftover[name] = str(message)
        else:
            form.form_errors.append(str(message))
    if error.message and (error.fields or not form.form_errors):
        form.form_errors.append(str(error.message))


def choices_of(vocabulary):
    """Return a vocabulary ({code: label}) as form choices."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(code, label) for code, label in vocabulary.items()]


def refuse(error, target):
    """Show a service's refusal as a warning and go to target; nothing of the request is kept."""
    discard()
    flash(error.describe(), "warning")
    return redirect(target)
