"""The coverage map: areas (villages, or for a wide view subdistricts and above) placed by their
coordinates, coloured by how many households were visited, drawn on the server as SVG (no tile
service needed; one is used when configured)."""

import math
from dataclasses import dataclass, field

from flask import current_app

WIDTH = 640
PADDING = 36  # around the areas, in SVG units
TILE_SIZE = 256
# Coverage bands, low to high; colours from ColorBrewer's YlGn, readable by the colour-blind
# and with a text label in the legend and in every area's title.
BANDS = ((0.25, "band-0"), (0.5, "band-1"), (0.75, "band-2"), (1.01, "band-3"))
RADIUS = (7, 18)  # the smallest and the largest area, by households


@dataclass
class Place:
    """An area on the map; `href` drills into it."""

    code: str
    name: str
    x: float
    y: float
    r: float
    css: str
    households: int
    reached: int
    href: str | None = None

    @property
    def percent(self):
        """Return the share of the area's households reached, in whole percent."""
        return round(100 * self.reached / self.households) if self.households else 0


@dataclass
class CoverageMap:
    """What the template draws: the view box, the areas, the tiles behind them."""

    width: float
    height: float
    places: list[Place] = field(default_factory=list)
    tiles: list[dict] = field(default_factory=list)
    without_location: int = 0  # villages


def mercator(lat, lon, zoom):
    """Return Web Mercator pixel coordinates of a point at a zoom level (as map tiles use)."""
    scale = TILE_SIZE * 2**zoom
    x = (lon + 180) / 360 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def _zoom_for(points):
    """Return the largest zoom (at most 16) at which the points fit the map's width."""
    for zoom in range(16, 0, -1):
        xs, ys = zip(*(mercator(lat, lon, zoom) for lat, lon in points), strict=True)
        if max(xs) - min(xs) <= WIDTH - 2 * PADDING and max(ys) - min(ys) <= WIDTH - 2 * PADDING:
            return zoom
    return 1


def _band(share):
    return next(css for limit, css in BANDS if share < limit)


def coverage_map(rows, name, link=None):
    """Place areas on a map; None when none has a location.

    `rows` are the areas' coverage (area, lat, lon, households, reached, unlocated villages),
    `name(area)` gives an area's name in the reader's language and `link(area)`, if given, the
    address its circle leads to.
    """
    located = [row for row in rows if row.lat is not None and row.lon is not None]
    if not located:
        return None
    zoom = _zoom_for([(row.lat, row.lon) for row in located])
    pixels = [mercator(row.lat, row.lon, zoom) for row in located]
    left = min(x for x, _y in pixels) - PADDING
    top = min(y for _x, y in pixels) - PADDING
    height = max(y for _x, y in pixels) - top + PADDING
    largest = max(row.households for row in located) or 1
    places = [
        Place(
            code=row.area.code,
            name=name(row.area),
            x=round(x - left, 1),
            y=round(y - top, 1),
            r=round(RADIUS[0] + (RADIUS[1] - RADIUS[0]) * math.sqrt(row.households / largest), 1),
            css=_band(row.reached / row.households if row.households else 0),
            households=row.households,
            reached=row.reached,
            href=link(row.area) if link else None,
        )
        for row, (x, y) in zip(located, pixels, strict=True)
    ]
    board = CoverageMap(
        width=WIDTH,
        height=round(max(height, 2 * PADDING), 1),
        places=places,
        without_location=sum(row.unlocated for row in rows),
    )
    board.tiles = _tiles(zoom, left, top, board.height)
    return board


def _tiles(zoom, left, top, height):
    """Return the background tiles covering the view, when a tile service is configured."""
    template = current_app.config.get("MAP_TILE_URL")
    if not template:
        return []
    first_x, first_y = int(left // TILE_SIZE), int(top // TILE_SIZE)
    last_x, last_y = int((left + WIDTH) // TILE_SIZE), int((top + height) // TILE_SIZE)
    count = 2**zoom
    return [
        {
            "href": template.format(z=zoom, x=tx % count, y=ty),
            "x": round(tx * TILE_SIZE - left, 1),
            "y": round(ty * TILE_SIZE - top, 1),
            "size": TILE_SIZE,
        }
        for tx in range(first_x, last_x + 1)
        for ty in range(first_y, last_y + 1)
        if 0 <= ty < count
    ]
