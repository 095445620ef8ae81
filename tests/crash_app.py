"""The app in a process of its own for a test that kills it mid-upload: the test's database
and instance folder, named by the environment. While the file CRASH_TEST_HOLD exists, a photo
upload is answered by the app (the photo stored) but the answer is held back, the file
CRASH_TEST_STORED says so, and the test kills the process there."""

import os
import threading
from pathlib import Path

from pwa_app import create_app

PHOTOS_PATH = "/api/v1/photos"

flask_app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": os.environ["CRASH_TEST_DATABASE"],
    }
)
flask_app.instance_path = os.environ["CRASH_TEST_INSTANCE"]
hold = Path(os.environ["CRASH_TEST_HOLD"])
stored = Path(os.environ["CRASH_TEST_STORED"])
never = threading.Event()


def app(environ, start_response):
    """Serve the app; hold a photo upload's answer, once stored, while asked to."""
    held = environ["PATH_INFO"] == PHOTOS_PATH and environ["REQUEST_METHOD"] == "POST"
    if not (held and hold.exists()):
        return flask_app(environ, start_response)
    body = b"".join(flask_app(environ, lambda status, headers, exc_info=None: None))
    stored.write_text(f"{len(body)}")
    never.wait()  # killed here: the photo is on the server, the phone has no answer
    return []
