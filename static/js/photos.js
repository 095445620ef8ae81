// The photo picker of a visit or an encounter form (templates/_photos.html). A photo taken or
// chosen is made smaller on the phone (long side at most 1280 px, a JPEG of at most 300 KB)
// before it is kept: the outbox then holds and sends a few hundred KB, not a camera's 5 MB,
// and the re-drawn picture carries no location or camera metadata.
// Loaded by the form's script when the picker is shown, never with the app's first load.
// The shrunk photos wait on the form as form.pwaPhotos, [{client_uuid, blob, type, size,
// width, height}], which the form hands to Outbox.add when it is saved.

const LONG_SIDE = 1280;
const MAX_BYTES = 300 * 1024;
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];
// Still too big at the lowest quality (a very busy picture): draw it smaller, down to this.
const SMALLER = 0.8;
const SMALLEST_SIDE = 320;

function jpeg(canvas, quality) {
  return new Promise((resolve) => {
    canvas.toBlob(resolve, "image/jpeg", quality);
  });
}

function drawn(bitmap, scale) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext("2d");
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

// Shrink an image file: {blob, type, size, width, height}. Throws when the file is not a
// picture the phone can read. The photo is turned upright from its EXIF orientation.
export async function shrink(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    let scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    while (Math.max(bitmap.width, bitmap.height) * scale >= SMALLEST_SIDE) {
      const canvas = drawn(bitmap, scale);
      for (const quality of QUALITIES) {
        const blob = await jpeg(canvas, quality);
        if (blob && blob.size <= MAX_BYTES) {
          return { blob, type: blob.type, size: blob.size, width: canvas.width, height: canvas.height };
        }
      }
      scale *= SMALLER;
    }
  } finally {
    bitmap.close();
  }
  throw new Error("too_big");
}

function kilobytes(size) {
  return Math.max(1, Math.round(size / 1024));
}

// Bring a picker to life: the volunteer's photos are shrunk as they come, shown as
// thumbnails with a remove button, and kept on the form (form.pwaPhotos).
export function enhancePicker(picker, form, app) {
  const limit = Number(picker.dataset.photoLimit) || 3;
  const inputs = [...picker.querySelectorAll("[data-photo-input]")];
  const list = picker.querySelector("[data-photo-list]");
  const status = picker.querySelector("[data-photo-status]");
  const photos = [];
  form.pwaPhotos = photos;
  let busy = 0;

  function say(message, isError = false) {
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  function render() {
    for (const old of list.querySelectorAll("img")) URL.revokeObjectURL(old.src);
    list.replaceChildren(...photos.map((photo, index) => {
      const item = document.createElement("li");
      item.className = "photo-thumb";
      const image = document.createElement("img");
      image.src = URL.createObjectURL(photo.blob);
      image.alt = app.t("photo_alt", { n: index + 1, kb: kilobytes(photo.size) });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button photo-remove";
      remove.textContent = "✕";
      remove.setAttribute("aria-label", app.t("photo_remove", { n: index + 1 }));
      remove.addEventListener("click", () => {
        photos.splice(photos.indexOf(photo), 1);
        render();
        say(app.t("photo_removed"));
        inputs[0]?.focus();
      });
      item.append(image, remove);
      return item;
    }));
    const full = photos.length + busy >= limit;
    for (const input of inputs) {
      input.disabled = full;
      input.closest("label")?.classList.toggle("disabled", full);
    }
    picker.dataset.photoCount = String(photos.length);
  }

  async function take(file) {
    try {
      const shrunk = await shrink(file);
      photos.push({ client_uuid: crypto.randomUUID(), ...shrunk });
      return true;
    } catch {
      return false;
    }
  }

  async function shrinkAll(taken, chosenCount) {
    say(app.t("photo_shrinking"));
    picker.dataset.photoBusy = "";
    let unreadable = 0;
    for (const file of taken) {
      if (!(await take(file))) unreadable += 1;
      busy -= 1;
    }
    if (!busy) delete picker.dataset.photoBusy;
    render();
    if (unreadable) say(app.t("photo_unreadable"), true);
    else if (chosenCount > taken.length) say(app.t("photo_limit", { n: limit }), true);
    else say(app.t("photo_ready", { n: photos.length, limit }));
  }

  // Photos are shrunk one after the other (a cheap phone has little memory for two
  // camera-sized pictures); form.pwaPhotosReady settles when the last one is kept, and the
  // form waits for it before it saves.
  let working = Promise.resolve();
  form.pwaPhotosReady = working;

  function chosen(event) {
    const input = event.target;
    const files = [...input.files];
    input.value = ""; // the same photo may be chosen again after it was removed
    if (!files.length) return;
    const taken = files.slice(0, Math.max(0, limit - photos.length - busy));
    busy += taken.length;
    render();
    working = working.then(() => shrinkAll(taken, files.length));
    form.pwaPhotosReady = working;
  }

  for (const input of inputs) input.addEventListener("change", chosen);
  render();
  picker.dataset.photoReady = "";
}
