"""Errors the domain raises; views turn them into form errors or JSON."""


class DomainError(Exception):
    """Base class for every error a service raises on purpose."""

    code = "invalid"

    def __init__(self, message="", fields=None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}

    def describe(self):
        """Return what to tell the person: the fields' own messages, else the error's."""
        return " ".join(str(text) for text in self.fields.values()) or str(self.message)


class ValidationError(DomainError):
    """Input broke a rule; `fields` maps field names to messages."""

    code = "validation_failed"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know it does."""

    code = "not_found"


class Throttled(DomainError):
    """Too many attempts in the window; try again later."""

    code = "too_many_requests"

    def __init__(self, message="", retry_after=60):
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(DomainError):
    """The id was used before for something else; the first one stands."""

    code = "conflict"

    def __init__(self, message="", existing_id=None, code=None):
        super().__init__(message)
        self.existing_id = existing_id
        if code:
            self.code = code  # a more precise reason, for a client that acts on it


class StaleEdit(DomainError):
    """Someone saved a newer version since the editor began; theirs stands, nothing is lost."""

    code = "stale_version"

    def __init__(self, message="", current=None):
        super().__init__(message)
        self.current = current


class TooLarge(DomainError):
    """What was sent is larger than the server takes (bytes or pixels)."""

    code = "too_large"


class Unsupported(DomainError):
    """What was sent is not of a kind the server takes (a file that is no photo)."""

    code = "unsupported_media_type"
