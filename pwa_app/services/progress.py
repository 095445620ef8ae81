"""How far long work has come, for whoever shows it.

Long work (the demo seed, large imports) takes a `progress(label, total)` callable that returns
a context manager with `update(n)`: click.progressbar's shape, which the command line passes.
Web requests and tests pass nothing and get `silent`.
"""

from contextlib import contextmanager
from types import SimpleNamespace


@contextmanager
def silent(_label, _total):
    """A progress display that shows nothing."""
    yield SimpleNamespace(update=lambda _n: None)
