"""Draw the badge catalogue's images: static/badges/<code>.svg, and a PNG of each for sharing.

Usage: python tools/badge_art.py   (needs Playwright and Debian's Chromium for the PNGs)
"""

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "badges"

# code: (ring colour, inner colour, icon path in a 0-64 box, label drawn on the ribbon)
ICONS = {
    "house": "M32 14 12 30h5v18h11V38h8v10h11V30h5z",
    "flame": "M32 12c4 8 14 12 14 24a14 14 0 0 1-28 0c0-6 3-10 6-13 0 5 2 8 5 9-2-8 1-14 3-20z",
    "heart": "M32 50C20 41 13 35 13 26a9 9 0 0 1 19-4 9 9 0 0 1 19 4c0 9-7 15-19 24z",
    "arrow": "M14 29h24V19l16 13-16 13V35H14z",
    "pin": "M32 12a14 14 0 0 0-14 14c0 11 14 26 14 26s14-15 14-26a14 14 0 0 0-14-14zm0 19a5 5 0 1 1 0-10 5 5 0 0 1 0 10z",
    "check": "M16 33l6-6 7 7 15-16 6 6-21 22z",
    "shield": "M32 12l17 6v12c0 11-7 19-17 23-10-4-17-12-17-23V18z",
    "smile": "M32 12a20 20 0 1 0 0 40 20 20 0 0 0 0-40zm-7 13a3 3 0 1 1 0 6 3 3 0 0 1 0-6zm14 0a3 3 0 1 1 0 6 3 3 0 0 1 0-6zM22 37h20c-2 6-6 9-10 9s-8-3-10-9z",
    "star": "M32 11l6 14 15 1-11 10 4 15-14-8-14 8 4-15-11-10 15-1z",
    "leaf": "M48 14C24 14 14 26 16 44l-4 6 3 2 4-6c18 2 29-9 29-32zM22 44c4-10 10-16 20-22-7 7-12 14-16 23z",
}
BADGES = {
    "first_visit": ("#0b6e4f", "#e3f1ec", "house", "1"),
    "visits_10": ("#0b6e4f", "#e3f1ec", "house", "10"),
    "visits_50": ("#0a5c8a", "#e0f0fa", "house", "50"),
    "visits_100": ("#6941c6", "#f0ebfb", "house", "100"),
    "visits_500": ("#b54708", "#fef0e0", "house", "500"),
    "streak_4w": ("#c4320a", "#fdeee8", "flame", "4"),
    "welfare_received_1": ("#c11574", "#fdecf5", "heart", "1"),
    "welfare_received_10": ("#9e165f", "#fbe4f0", "heart", "10"),
    "referral_closed_1": ("#0e7090", "#e2f4f8", "arrow", "1"),
    "full_coverage_30d": ("#027a48", "#e3f6ec", "pin", "100%"),
    "household_confirmed_10": ("#175cd3", "#e6efff", "check", "10"),
    "safety": ("#1849a9", "#e5edfb", "shield", "S"),
    "smile": ("#dc6803", "#fff3e0", "smile", "S"),
    "smart": ("#6941c6", "#f0ebfb", "star", "S"),
    "sufficiency": ("#067647", "#e3f6ec", "leaf", "S"),
}


def svg(ring, inner, icon, mark):
    """Return a round medal with a ribbon, an icon and a short mark."""
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128">
  <path d="M40 92 30 126l18-8 12 10 8-36zM88 92l10 34-18-8-12 10-8-36z" fill="{ring}" opacity="0.85"/>
  <circle cx="64" cy="56" r="52" fill="{ring}"/>
  <circle cx="64" cy="56" r="43" fill="{inner}"/>
  <g transform="translate(34 20) scale(0.94)" fill="{ring}"><path d="{ICONS[icon]}"/></g>
  <rect x="36" y="74" width="56" height="20" rx="10" fill="{ring}"/>
  <text x="64" y="89" font-family="Arial, Helvetica, sans-serif" font-size="15" font-weight="700"
        text-anchor="middle" fill="#fff">{mark}</text>
</svg>
"""


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for code, spec in BADGES.items():
        (OUT / f"{code}.svg").write_text(svg(*spec), "utf-8")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 600, "height": 600})
        for code in BADGES:
            markup = (
                (OUT / f"{code}.svg")
                .read_text("utf-8")
                .replace("<svg ", '<svg width="600" height="600" ', 1)
            )
            page.set_content(f'<body style="margin:0;background:#fff">{markup}</body>')
            page.screenshot(path=str(OUT / f"{code}.png"))
        browser.close()


if __name__ == "__main__":
    main()
