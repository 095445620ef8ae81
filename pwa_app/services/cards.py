"""QR cards: each household's card points at its public page /h/<token>."""

import re

import qrcode
import qrcode.image.svg
from markupsafe import Markup

SIZE_ATTRIBUTES = re.compile(r'\s(width|height)="[^"]*"')


def card_path(household):
    """Return the path a household's card encodes."""
    return f"/h/{household.qr_token}"


def qr_svg(data, label=""):
    """Return a QR code of the data as inline SVG that scales with its box."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = SIZE_ATTRIBUTES.sub("", svg.split("?>", 1)[-1], count=2)
    svg = svg.replace(
        "<svg ", f'<svg class="qr" role="img" aria-label="{Markup.escape(label)}" ', 1
    )
    return Markup(svg)
