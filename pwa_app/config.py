"""Default configuration; secrets and the database come from the environment or instance/."""

from datetime import timedelta


class Defaults:
    """Settings every deployment starts from."""

    # SQLALCHEMY_DATABASE_URI and SECRET_KEY are filled in by create_app().
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Signed-cookie sessions: nothing lives in process memory, so several workers can serve.
    # A volunteer may be offline for days, so the login lasts long; logout ends it everywhere.
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # Flask-Login's default is a year
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFER_HTTPS = False

    # CSRF tokens are bound to the session, not to a clock: a form opened on Monday
    # still posts on Wednesday, and a cross-site page still cannot forge one.
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")

    # Argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes).
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_MEMORY_KIB = 19456
    PASSWORD_MIN_LENGTH = 8

    # Login throttle: this many failures per phone number or per address in the window.
    LOGIN_MAX_FAILURES = 10
    LOGIN_WINDOW = timedelta(minutes=15)

    # Visit notes, locations and help-request messages older than this are cleared by
    # `flask --app pwa_app privacy purge` (run it daily); counts are kept.
    RETENTION_DAYS = 3 * 365

    ORG_NAME_TH = "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร"
    ORG_NAME_EN = "Protection Center for the Destitute, Mukdahan"
    # The centre's phone, shown on the privacy notice for people's rights requests. A demo
    # number in the Mukdahan 042 area: set ORG_PHONE (environment or instance/config.py).
    ORG_PHONE = "042-611-364"
    # The centre's code as a badge issuer: it names the signing keys in instance/issuer_keys/
    # and the public URLs /badges/issuers/<code>/... (set ORG_CODE like ORG_PHONE).
    ORG_CODE = "MDH"
    # A map tile service behind the dashboard's coverage map, e.g.
    # "https://tile.example.org/{z}/{x}/{y}.png"; none by default (the map needs none).
    MAP_TILE_URL = None
    PUBLIC_BASE_URL = None
    # Host names this server answers for (environment: comma-separated); others get 400.
    TRUSTED_HOSTS = None

    # Background work (pushes to phones, the daily follow-up reminder) goes through huey, run
    # by `flask --app pwa_app worker`: its queue is a SQLite file in instance/, or Redis when
    # REDIS_URL names one (several hosts then share it). HUEY_IMMEDIATE runs each task at once,
    # in the process that queued it (a test's choice, never a server's).
    REDIS_URL = None
    HUEY_IMMEDIATE = False

    # Web Push goes only to these push services (URL prefixes, comma-separated in the
    # environment; "*." stands for one name in a host): Chrome and Android, Firefox, Safari,
    # Edge and Windows. A subscription naming any other address is refused, so that no one can
    # make the server call an address of their choosing.
    PUSH_ENDPOINTS = (
        "https://fcm.googleapis.com/",
        "https://android.googleapis.com/",
        "https://updates.push.services.mozilla.com/",
        "https://web.push.apple.com/",
        "https://*.notify.windows.com/",
    )
    # Who runs this server, for the push services (VAPID's "sub"): a mailto: or https: URL.
    # Without it, PUBLIC_BASE_URL when it is https, else a placeholder address.
    PUSH_CONTACT = None
    # How long a push service keeps a message for a phone that is off or out of signal.
    PUSH_TTL_SECONDS = 24 * 3600

    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Photos of visits and encounters (services/photos.py). An upload may be up to
    # PHOTO_MAX_BYTES (the phone shrinks it first; this is for a phone that could not) and
    # PHOTO_MAX_PIXELS; it is stored as a JPEG of at most PHOTO_LONG_SIDE pixels, aiming at
    # PHOTO_TARGET_BYTES, with no metadata.
    PHOTO_MAX_BYTES = 10 * 1024 * 1024
    PHOTO_MAX_PIXELS = 40_000_000
    PHOTO_LONG_SIDE = 1280
    PHOTO_TARGET_BYTES = 300_000
    PHOTOS_PER_ITEM = 3
    PHOTO_UPLOADS_PER_HOUR = 60
    # A photo whose visit or encounter has not arrived after this long is removed.
    PHOTO_ORPHAN_HOURS = 24
    # How long a browser may keep a photo it was shown (privately, never a shared cache).
    PHOTO_CACHE_SECONDS = 7 * 24 * 3600
    # Where files go: "local" (PHOTO_DIR, default instance/photos/) or "s3", an S3-compatible
    # bucket shared by several hosts (PHOTO_S3_BUCKET, PHOTO_S3_ENDPOINT_URL for MinIO and
    # the like; credentials from the usual AWS environment variables or files).
    PHOTO_STORE = "local"
    PHOTO_DIR = None
    PHOTO_S3_BUCKET = None
    PHOTO_S3_ENDPOINT_URL = None

    # Phones on weak signal: compress every text answer (Flask-Compress picks br or gzip).
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    SEND_FILE_MAX_AGE_DEFAULT = 3600


class Testing(Defaults):
    """Fast, throwaway settings for the test suite."""

    TESTING = True
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 1024
