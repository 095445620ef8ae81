"""The app as a worker process of its own runs it in the tests: the test's database, instance
folder (its VAPID key) and queue file, named by the environment."""

import os

from pwa_app import create_app, worker

app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": os.environ["WORKER_TEST_DATABASE"],
    }
)
app.instance_path = os.environ["WORKER_TEST_INSTANCE"]
app.extensions["queue"] = worker.make_queue(app, filename=os.environ["WORKER_TEST_QUEUE"])
