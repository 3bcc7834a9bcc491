"""A stylized map of the 8 Wikimedia regions, drawn as simple original polygons on a 1000×500 grid.

The shapes are deliberately rough (a cartogram-like sketch, not borders): each region sits about
where it is on a world map so people recognize it, and is large enough to click and to carry a
label. South-up rotates the shapes by 180° around the centre; labels are placed separately so they
stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 1000, 500

#: Region code -> (polygon points, label position), north up.
SHAPES: dict[str, tuple[tuple[tuple[int, int], ...], tuple[int, int]]] = {
    "NA": (((40, 60), (180, 30), (340, 35), (330, 110), (280, 170), (240, 215), (175, 215), (110, 160), (60, 120)),
           (200, 120)),
    "LAC": (((180, 222), (250, 222), (300, 250), (345, 285), (370, 330), (330, 400), (295, 470), (262, 478),
             (250, 400), (235, 320), (205, 270)), (290, 340)),
    "NWE": (((410, 40), (470, 25), (535, 30), (545, 95), (530, 140), (470, 150), (425, 135), (400, 90)),
            (472, 92)),
    "CEECA": (((545, 30), (700, 20), (850, 35), (830, 95), (760, 130), (680, 150), (600, 160), (540, 145),
               (555, 95)), (690, 85)),
    "MENA": (((420, 158), (480, 155), (535, 152), (600, 168), (660, 165), (680, 215), (640, 245), (560, 235),
              (470, 240), (415, 215)), (545, 200)),
    "SSA": (((430, 248), (560, 243), (615, 255), (620, 320), (590, 390), (540, 440), (505, 430), (480, 360),
             (440, 300)), (530, 330)),
    "SA": (((665, 170), (745, 160), (765, 215), (730, 270), (700, 300), (680, 250)), (715, 220)),
    "ESEAP": (((770, 145), (850, 105), (930, 60), (965, 130), (915, 215), (880, 260), (935, 330), (960, 420),
               (870, 450), (800, 400), (775, 300), (790, 240), (760, 200)), (860, 300)),
}


@dataclass(frozen=True)
class RegionShape:
    code: str
    points: str  # SVG polygon "x,y x,y ..."
    label_x: int
    label_y: int


def shapes(south_up: bool = False) -> dict[str, RegionShape]:
    """Every region's polygon (always north-up: the caller rotates the group) and label position."""
    out = {}
    for code, (points, (lx, ly)) in SHAPES.items():
        if south_up:
            lx, ly = WIDTH - lx, HEIGHT - ly
        out[code] = RegionShape(code, " ".join(f"{x},{y}" for x, y in points), lx, ly)
    return out


def south_up_transform() -> str:
    """The transform attribute that turns the map south-up."""
    return f"rotate(180 {WIDTH // 2} {HEIGHT // 2})"
