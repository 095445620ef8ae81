"""Helpers shared by the forms of every blueprint."""

from flask_babel import lazy_gettext as _l

REQUIRED = _l("This field is required.")


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
