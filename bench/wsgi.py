"""The app as the load benchmark serves it: the real app plus a minimal "hello" endpoint.

The hello endpoint answers from the same gunicorn, so the sync figures can be read as a share
of what this machine and server can do at all.
"""

import os

from pwa_app import create_app

app = create_app()


@app.route("/bench/hello")
def hello():
    """The cheapest possible answer."""
    return "hello"


if os.environ.get("BENCH_PROFILE"):
    # Where a sync's time goes under gunicorn (bench/served_profile.py).
    from bench.served_profile import ProfiledApp

    app.wsgi_app = ProfiledApp(app.wsgi_app, os.environ["BENCH_PROFILE"])
