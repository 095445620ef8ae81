// Scan a household card: camera → QR code → that household's visit form.
// Uses the browser's own BarcodeDetector where it has one, else the vendored jsQR.

const CARD_PATH = /\/h\/([A-Za-z0-9_-]{22,64})\/?$/;
const SCAN_EVERY_MS = 150;
const MAX_WIDTH = 640;

const root = document.querySelector("[data-scanner]");
const video = root.querySelector("video");
const canvas = root.querySelector("canvas");
const viewfinder = root.querySelector(".viewfinder");
const statusLine = root.querySelector(".scanner-status");
const startButton = root.querySelector("[data-scan-start]");

let stream = null;
let scanning = false;

function say(key) {
  statusLine.textContent = root.dataset[key];
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}

async function makeDecoder() {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async () => (await detector.detect(video))[0]?.rawValue;
      }
    } catch {
      // fall through to jsQR
    }
  }
  await loadScript(root.dataset.jsqr);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" })?.data;
  };
}

function cardToken(text) {
  try {
    return new URL(text, window.location.href).pathname.match(CARD_PATH)?.[1] ?? null;
  } catch {
    return null;
  }
}

// With no signal, /h/<token> cannot be asked; the phone's household list knows the code.
async function destination(token) {
  const app = window.PwaApp;
  const household = app?.userId != null ? await app.Outbox.findHousehold(app.userId, token).catch(() => null) : null;
  return household ? `/visits/new?household=${encodeURIComponent(household.code)}` : `/h/${token}`;
}

function stop() {
  scanning = false;
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
}

async function scanLoop(decode) {
  while (scanning) {
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      const text = await decode().catch(() => null);
      if (text) {
        const token = cardToken(text);
        if (token) {
          say("msgFound");
          stop();
          window.location.assign(await destination(token));
          return;
        }
        say("msgForeign");
      }
    }
    await new Promise((resolve) => setTimeout(resolve, SCAN_EVERY_MS));
  }
}

async function start() {
  if (scanning) return;
  if (!navigator.mediaDevices?.getUserMedia) {
    say("msgDenied");
    return;
  }
  say("msgStarting");
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" } },
      audio: false,
    });
  } catch {
    say("msgDenied");
    document.getElementById("household")?.focus();
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  viewfinder.hidden = false;
  startButton.hidden = true;
  scanning = true;
  say("msgScanning");
  scanLoop(await makeDecoder());
}

startButton.addEventListener("click", start);
window.addEventListener("pagehide", stop);
start();
