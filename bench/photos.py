"""Photos: the server's CPU per upload, and the disk that 1,000 photos take.

Photo-like pictures stand in for a phone's photos: smooth light and shade under a camera's
grain (the grain is what makes a JPEG large). One large field is made once and each photo is
a different crop of it, so a thousand distinct photos cost no more than their encoding.
"""

import io
import re
import statistics
import time
import uuid
from pathlib import Path

from PIL import Image, ImageFilter

UPLOAD_RUNS = 25
STORED_PHOTOS = 1000
PHONE_SIZE = (1280, 960)  # what the phone shrinks a photo to before it is sent
PHONE_BYTES = 300_000


def photo_like(width, height, grain=30):
    """Return a picture with a photo's texture: gradients, soft blotches and grain (RGB)."""
    small = (max(1, width // 8), max(1, height // 8))
    light = Image.linear_gradient("L").resize(small)
    shade = Image.radial_gradient("L").resize(small)
    blotches = Image.effect_noise(small, 60).filter(ImageFilter.GaussianBlur(3))
    base = Image.merge("RGB", (light, shade, blotches)).resize((width, height), Image.BILINEAR)
    noise = Image.effect_noise((width, height), grain).convert("RGB")
    return Image.blend(base, noise, 0.15)


def encoded(image, format="JPEG", **options):
    """Return an image's bytes in a format."""
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def phone_photos(count, size=PHONE_SIZE, target_bytes=PHONE_BYTES):
    """Yield `count` distinct JPEGs as a phone sends them: crops of one field, each at the
    highest quality that keeps the first within target_bytes."""
    width, height = size
    field = photo_like(width + 720, height + 540)
    quality = next(
        q
        for q in (95, 92, 90, 88, 85, 80, 75, 70)
        if len(encoded(field.crop((0, 0, width, height)), quality=q)) <= target_bytes
    )
    for index in range(count):
        left, top = (index % 40) * 17, (index // 40) * 21
        yield encoded(field.crop((left, top, left + width, top + height)), quality=quality)


def login(client, phone, password):
    """Log the test client in through the login page; return a CSRF token for the API."""
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    client.post("/login", data={"phone": phone, "password": password, "csrf_token": token[1]})
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)[1]


def measure_upload_cpu(app, phone, password, runs=UPLOAD_RUNS):
    """Upload ~300 KB photos through POST /api/v1/photos in-process, as a volunteer.

    Returns (median CPU seconds of a whole request, median of its re-encoding alone, size).
    """
    from pwa_app.services import photos

    samples = list(phone_photos(runs))
    client = app.test_client()
    token = login(client, phone, password)
    requests, reencodes = [], []
    for sample in samples:
        started = time.process_time()
        response = client.post(
            "/api/v1/photos",
            data={
                "client_uuid": str(uuid.uuid4()),
                "visit": str(uuid.uuid4()),  # not here yet: the photo waits for it
                "file": (io.BytesIO(sample), "photo.jpg", "image/jpeg"),
            },
            headers={"X-CSRFToken": token},
        )
        requests.append(time.process_time() - started)
        assert response.status_code == 201, response.text
    with app.app_context():
        for sample in samples:
            started = time.process_time()
            photos.reencode_upload(sample)
            reencodes.append(time.process_time() - started)
    return statistics.median(requests), statistics.median(reencodes), len(samples[0])


def measure_storage(app, count=STORED_PHOTOS):
    """Store `count` distinct photos as uploads are stored; return (bytes on disk, files)."""
    from pwa_app.services import photos
    from pwa_app.services.photo_store import LocalStore

    root = Path(app.instance_path) / "bench-photos"
    store = LocalStore(root)
    with app.app_context():
        for sample in phone_photos(count):
            photo = photos.reencode_upload(sample)
            store.put(photo.sha256, photo.data)
    files = list(root.glob("*/*/*.jpg"))
    return sum(path.stat().st_size for path in files), len(files)
