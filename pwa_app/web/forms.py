"""Helpers shared by the forms of every blueprint."""

from flask_babel import lazy_gettext as _l

REQUIRED = _l("This field is required.")


def attach_errors(form, error):
    """Copy a service's ValidationError onto a WTForms form, next to each field."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [str(message)]
        else:
            form.form_errors.append(str(message))
    if not error.fields and error.message:
        form.form_errors.append(str(error.message))
