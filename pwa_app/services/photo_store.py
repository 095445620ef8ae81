"""Where photo files live: a folder of this host, or an S3-compatible bucket shared by several.

Files are named by the SHA-256 of their bytes (ab/cd/<sha>.jpg), so identical photos are
stored once and a name never changes meaning. Both stores offer the same few operations; the
photos service decides when a file may go (when no photo row names it any more).
"""

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

SUFFIX = ".jpg"


def key_of(sha256):
    """Name a file by its hash, two folder levels deep so no folder holds millions."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{SUFFIX}"


def sha_of(key):
    """Return the hash a file's name carries (the reverse of key_of)."""
    return key.rsplit("/", 1)[-1].removesuffix(SUFFIX)


class LocalStore:
    """Photo files in a folder (instance/photos/ by default)."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, sha256):
        """Return the file's path in the folder."""
        return self.root / key_of(sha256)

    def put(self, sha256, data):
        """Write a file atomically: a reader sees the whole photo or none of it."""
        path = self.path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, sha256):
        """Return a file's bytes."""
        return self.path(sha256).read_bytes()

    def exists(self, sha256):
        """Tell whether the file is stored."""
        return self.path(sha256).is_file()

    def size(self, sha256):
        """Return a file's size in bytes."""
        return self.path(sha256).stat().st_size

    def delete(self, sha256):
        """Remove a file (nothing happens if it is already gone)."""
        self.path(sha256).unlink(missing_ok=True)

    def files(self):
        """Yield (sha256, last modified) of every stored file, for the cleaner."""
        if not self.root.is_dir():
            return
        for path in self.root.glob(f"*/*/*{SUFFIX}"):
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            yield path.name.removesuffix(SUFFIX), modified


class S3Store:
    """Photo files in an S3-compatible bucket (AWS, MinIO, ...), for several app hosts.

    Credentials come from the usual AWS settings (environment, ~/.aws, an instance role).
    """

    def __init__(self, bucket, endpoint_url=None, prefix="photos/", client=None):
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def key(self, sha256):
        """Return the object's key in the bucket."""
        return self.prefix + key_of(sha256)

    def put(self, sha256, data):
        """Upload a file; S3 makes an object visible only once it is whole."""
        self.client.put_object(
            Bucket=self.bucket, Key=self.key(sha256), Body=data, ContentType="image/jpeg"
        )

    def read(self, sha256):
        """Return a file's bytes."""
        return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()

    def exists(self, sha256):
        """Tell whether the file is stored."""
        return self._head(sha256) is not None

    def size(self, sha256):
        """Return a file's size in bytes."""
        return self._head(sha256)["ContentLength"]

    def delete(self, sha256):
        """Remove a file (S3 answers the same whether or not it was there)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def files(self):
        """Yield (sha256, last modified) of every stored file, for the cleaner."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                yield sha_of(entry["Key"]), entry["LastModified"]

    def _head(self, sha256):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise


def make_store(config, instance_path):
    """Build the store the configuration names: PHOTO_STORE "local" (default) or "s3"."""
    if config.get("PHOTO_STORE") == "s3":
        return S3Store(config["PHOTO_S3_BUCKET"], config.get("PHOTO_S3_ENDPOINT_URL"))
    return LocalStore(config.get("PHOTO_DIR") or Path(instance_path) / "photos")


def store():
    """Return the app's photo store, made on first use."""
    app = current_app._get_current_object()
    if app.extensions.get("photo_store") is None:
        app.extensions["photo_store"] = make_store(app.config, app.instance_path)
    return app.extensions["photo_store"]
