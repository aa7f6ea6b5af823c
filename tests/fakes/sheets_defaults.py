"""What Google puts in a new spreadsheet and how it stores colours.

Facts seen in every recording's ``spreadsheets.get`` of a new spreadsheet
(``../shared/google-recordings``): the default cell format, the default theme
(Google's colours, as hex here) and the properties of a new spreadsheet. Colours
are stored with 8 bits a channel and answered as 32-bit floats, with zero
channels left out: ``blue: 0.5`` comes back as ``0.49803922`` and ``green: 0``
not at all (``WorksheetTest.test_update_tab_color``).
"""

from __future__ import annotations

import struct
from typing import Any

Json = dict[str, Any]

THEME = (
    ("TEXT", "#000000"),
    ("BACKGROUND", "#FFFFFF"),
    ("ACCENT1", "#4285F4"),
    ("ACCENT2", "#EA4335"),
    ("ACCENT3", "#FBBC04"),
    ("ACCENT4", "#34A853"),
    ("ACCENT5", "#FF6D01"),
    ("ACCENT6", "#46BDC6"),
    ("LINK", "#1155CC"),
)
CHANNELS = ("red", "green", "blue")


def float32(x: float) -> float:
    """The shortest decimal that reads back as the same 32-bit float, as Google
    writes them (``0.25882354``)."""
    packed = struct.pack("f", x)
    exact = struct.unpack("f", packed)[0]  # the float32's own value, not the input's
    for digits in range(1, 10):
        text = f"{exact:.{digits}g}"
        if struct.pack("f", float(text)) == packed:
            return float(text)
    return x


def colour(rgb: Json) -> Json:
    """An ``rgbColor`` as Google keeps it: 8 bits a channel (truncated: 0.5 is 127),
    zero channels and an opaque alpha left out."""
    out: Json = {}
    for name in CHANNELS:
        level = int(float(rgb.get(name, 0)) * 255)
        if level:
            out[name] = 1 if level == 255 else float32(level / 255)
    alpha = rgb.get("alpha")
    if alpha is not None and alpha != 1:
        out["alpha"] = float32(float(alpha))
    return out


def hex_colour(text: str) -> Json:
    return colour({n: int(text[1 + 2 * i : 3 + 2 * i], 16) / 255 for i, n in enumerate(CHANNELS)})


def spreadsheet_properties(title: str, locale: str, time_zone: str, recalc: str) -> Json:
    white = hex_colour("#FFFFFF")
    return {
        "title": title,
        "locale": locale,
        "autoRecalc": recalc,
        "timeZone": time_zone,
        "defaultFormat": {
            "backgroundColor": dict(white),
            "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
            "verticalAlignment": "BOTTOM",
            "wrapStrategy": "OVERFLOW_CELL",
            "textFormat": {
                "foregroundColor": {},
                "fontFamily": "arial,sans,sans-serif",
                "fontSize": 10,
                "bold": False,
                "italic": False,
                "strikethrough": False,
                "underline": False,
                "foregroundColorStyle": {"rgbColor": {}},
            },
            "backgroundColorStyle": {"rgbColor": dict(white)},
        },
        "spreadsheetTheme": {
            "primaryFontFamily": "Arial",
            "themeColors": [
                {"colorType": kind, "color": {"rgbColor": hex_colour(hex_)}} for kind, hex_ in THEME
            ],
        },
    }
