"""JSON in and out as the API's OpenAPI document describes it: finite numbers, bounded depth."""

from flask.json.provider import DefaultJSONProvider


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONProvider(DefaultJSONProvider):
    """Refuse NaN and Infinity both ways, and treat a body nested too deeply as malformed.

    Python's json module accepts `NaN` and `Infinity` and writes them back, which is not JSON;
    and a body nested 100,000 deep exhausts the parser's recursion instead of failing.
    """

    def loads(self, s, **kwargs):
        """Parse JSON; raise ValueError (a 400 to the caller) for anything that is not JSON."""
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def dumps(self, obj, **kwargs):
        """Write JSON; a non-finite number is a bug, never written as invalid JSON."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)
