"""Background work through huey: pushes to phones, the evening's follow-up reminders and the
night's photo clean-up.

The queue is a SQLite file in instance/ (huey.db), or Redis when REDIS_URL is set (several
hosts then share one queue); `flask --app pwa_app worker` runs the consumer, and `make run`
starts one beside the web server. Nothing a request does waits on it: a notification is handed
to the queue only once its transaction has committed, and a queue that is down (Redis out of
reach) costs the push, never the request: the notification stays in the user's list.
"""

import logging
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from flask import current_app, g
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from pwa_app.extensions import db
from pwa_app.models import Notification
from pwa_app.services import notifications, photos, push

log = logging.getLogger(__name__)

QUEUE_NAME = "pwa_app"
QUEUE_FILE = "huey.db"
# A Redis that does not answer must not hold up the request that queued something.
REDIS_CONNECT_TIMEOUT = 2
REDIS_TIMEOUT = 5
# A push the push service could not take now (busy, unreachable) is tried again after these
# many seconds, each wait longer, then given up (the notification stays in the app's list).
RETRY_DELAYS = (30, 120, 600, 1800)
# Reminders of tomorrow's follow-ups go out at 17:00 Thai time (10:00 UTC); the runs of the
# next three hours catch up after a worker that was down, and remind no one twice.
FOLLOW_UPS_AT = crontab(minute="0", hour="10-13")
# Photos whose item never came, and files no photo names, go at 03:30 Thai time (20:30 UTC).
PHOTOS_CLEANED_AT = crontab(minute="30", hour="20")


@dataclass
class Queue:
    """An app's huey and its tasks by name."""

    huey: object
    tasks: dict


def init_app(app):
    """Leave room for the app's queue, made on first use (once the instance path is final)."""
    app.extensions["queue"] = None


def queue(app=None):
    """Return the app's queue, making it on first use."""
    app = app or current_app._get_current_object()
    if app.extensions.get("queue") is None:
        app.extensions["queue"] = make_queue(app)
    return app.extensions["queue"]


def make_queue(app, filename=None):
    """Build huey on Redis (REDIS_URL) or a SQLite file (instance/huey.db), with the app's tasks."""
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    if app.config.get("REDIS_URL"):
        import redis

        pool = redis.ConnectionPool.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
        )
        huey = RedisHuey(QUEUE_NAME, connection_pool=pool, immediate=immediate)
    else:
        path = filename or Path(app.instance_path) / QUEUE_FILE
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), immediate=immediate)
    return Queue(huey, register_tasks(huey, app))


def register_tasks(huey, app):
    """Register the tasks on a huey, each run inside the app's context."""

    def in_app(func):
        @wraps(func)
        def run(*args, **kwargs):
            with app.app_context():
                return func(*args, **kwargs)

        return run

    return {
        "push_notification": huey.task(name="push_notification")(in_app(push_notification)),
        "deliver_push": huey.task(name="deliver_push")(in_app(deliver_push)),
        "remind_follow_ups": huey.periodic_task(FOLLOW_UPS_AT, name="remind_follow_ups")(
            in_app(remind_follow_ups)
        ),
        "clean_photos": huey.periodic_task(PHOTOS_CLEANED_AT, name="clean_photos")(
            in_app(clean_photos)
        ),
    }


def enqueue(name, *args):
    """Queue a task; return whether the queue took it.

    A queue that is down is logged, never raised: whatever asked has done its own work.
    """
    try:
        queue().tasks[name](*args)
    except Exception:  # Redis refused or timed out, the queue's file is unwritable, ...
        log.warning("could not queue %s%r: the queue is unreachable", name, args, exc_info=True)
        return False
    return True


# --- The tasks -------------------------------------------------------------------------------


def push_notification(notification_id):
    """Push a notification to each browser of its recipient, one delivery each."""
    notification = db.session.get(Notification, notification_id)
    targets = push.subscription_ids(notification.user_id) if notification is not None else []
    db.session.rollback()
    for subscription_id in targets:
        enqueue("deliver_push", subscription_id, notification_id)


def deliver_push(subscription_id, notification_id, attempt=0):
    """Push a notification to one browser; try again later while the push service cannot take it."""
    outcome = push.deliver(subscription_id, notification_id)
    if outcome.status != "retry" or attempt >= len(RETRY_DELAYS):
        return outcome.status
    delay = max(RETRY_DELAYS[attempt], outcome.retry_after or 0)
    queue().tasks["deliver_push"].schedule(
        args=(subscription_id, notification_id, attempt + 1), delay=delay
    )
    return "retry"


def remind_follow_ups():
    """Remind volunteers of tomorrow's follow-ups (once a day each, however often it runs)."""
    before, g.may_write = g.get("may_write", False), True  # SQLite: the write lock at once
    try:
        return notifications.remind_follow_ups()
    finally:
        g.may_write = before


def clean_photos():
    """Remove photos whose visit or encounter never came, and files no photo names."""
    before, g.may_write = g.get("may_write", False), True  # SQLite: the write lock at once
    try:
        cleaned = photos.clean()
        db.session.commit()
        return cleaned.orphans + cleaned.files
    finally:
        g.may_write = before


# --- Handing committed notifications to the queue ---------------------------------------------


@event.listens_for(Session, "after_commit")
def push_committed(session):
    """Queue the pushes of the notifications a transaction made, now that they are stored.

    Queued after the commit, never before: the worker must find the row, and a transaction
    that rolls back pushes nothing. One rolled back in a savepoint is no longer persistent.
    """
    made = session.info.pop(notifications.TO_PUSH, None)
    for notification in made or ():
        if inspect(notification).persistent:
            enqueue("push_notification", notification.id)


@event.listens_for(Session, "after_soft_rollback")
def forget_rolled_back(session, previous_transaction):
    """A transaction rolled back whole pushes nothing of what it made."""
    if previous_transaction.parent is None:
        session.info.pop(notifications.TO_PUSH, None)


def run_consumer(workers=2):
    """Run the consumer until it is stopped (SIGINT or SIGTERM): the `worker` command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    consumer = queue().huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
