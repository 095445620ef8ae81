"""The app as the load benchmark serves it: the real app plus a minimal "hello" endpoint.

The hello endpoint answers from the same gunicorn, so the sync figures can be read as a share
of what this machine and server can do at all.
"""

from pwa_app import create_app

app = create_app()


@app.route("/bench/hello")
def hello():
    """The cheapest possible answer."""
    return "hello"
