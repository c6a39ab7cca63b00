"""The shape of a viewer's page, as the layouts take it: the presets lay scenes out for a screen's
shape (wider than tall), and a viewer on a tall or narrow page (a portrait window, a tablet) gets
them laid out to fit it instead, so the camera frames them as large there as on a wide screen.

A page's aspect (width over height) is rounded to a few steps, so viewers whose pages have about
the same shape share one view (the hub encodes each of its frames once for all of them), and a
page at least WIDE as wide as tall gets the preset's own layout (`None`). The waterfall and the
wall take it as other params (below); the services graph takes the aspect itself (it stands
upright: layout/services.py). A headset's view is no page: it is HEADSET, which gets the presets'
layouts but for a narrower waterfall (see HEADSET_WIDTH). Pure functions, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import replace

from vrmon.layout.wall import TITLE_GAP, WallParams, wall_capacity
from vrmon.layout.waterfall import WaterfallParams

# Pages at least this much wider than tall get the presets' layouts as they are: 1024×768
# (4:3) and every wider screen keep the picture they had.
WIDE = 1.2
LEAST = 0.4  # a page narrower than this (a phone on its side? a sliver of a window) is laid out as this
STEP = 0.05  # aspects are rounded to this: pages of about the same shape share their views
# A viewer in a headset. Its waterfall's time axis is HEADSET_WIDTH of the preset's, beside lanes
# as tall, its fold as the preset's: seen 60-70° wide (the client's camera-navigation.js), a
# 20k-span trace's 26 lanes of 40 services had room for their names' 1.4° only at 90° (the picture
# was 89° x 65°; at 70° they would have had about 1.1°); now it stands 68-70° wide with its names
# at 1.3-1.4° (HotROD's 55° x 40°, where it stood 55° x 33°).
HEADSET = "headset"
HEADSET_WIDTH = 0.8
PageShape = float | str | None  # an aspect as page_aspect gives it, or HEADSET


def page_or_wide(shape: PageShape) -> float | None:
    """The aspect of a page's shape; None (the wide layouts) for a headset."""
    return None if shape == HEADSET else shape


def page_aspect(aspect: float | None) -> float | None:
    """A page's aspect as the layouts take it: None for a wide page (or none said), else rounded
    to STEP between LEAST and WIDE."""
    if aspect is None or not math.isfinite(aspect) or aspect >= WIDE:
        return None
    return round(round(max(aspect, LEAST) / STEP) * STEP, 2)


def waterfall_for_page(p: WaterfallParams, aspect: PageShape) -> WaterfallParams:
    """The waterfall for a page of `aspect`: a time axis as much narrower than the preset's as the
    page is narrower than WIDE (in a headset, HEADSET_WIDTH of it), beside lanes as tall, so the
    picture (names and ruler included) keeps about the page's shape and its names their size. The
    fold follows: `overview_pixels` shrinks with the width, so what folds is what would be under
    `lod_pixels` there."""
    if aspect is None:
        return p
    if aspect == HEADSET:
        return replace(p, width=p.width * HEADSET_WIDTH)
    k = aspect / WIDE
    return replace(p, width=p.width * k, overview_pixels=p.overview_pixels * k)


# Pages narrower than this take the wall's panels as much narrower (two columns of 2.8 m panels
# on a 600×900 page framed their titles 11.4 px tall); their titles are cut to the width.
NARROW_WALL = 0.8


def wall_for_page(p: WallParams, aspect: PageShape) -> WallParams:
    """The wall for a page of `aspect`: the page's panels in the number of columns (fewer, never
    more than the preset's) whose page comes nearest the page's shape, each column the taller;
    on the narrowest pages, narrower panels. A headset's room takes the preset's wall."""
    if aspect is None or aspect == HEADSET:
        return p
    p = replace(p, panel_width=p.panel_width * min(1.0, aspect / NARROW_WALL))
    panels = wall_capacity(p)
    preset_columns = -(-panels // max(1, int(p.rows)))
    column_width = p.panel_width + p.panel_gap
    slot = p.panel_height + p.row_gap + p.title_height + TITLE_GAP  # a panel at its tallest, with its title
    def misfit(columns: int) -> float:
        return abs(math.log(columns * column_width / (-(-panels // columns) * slot) / aspect))
    columns = min(range(1, preset_columns + 1), key=lambda c: (misfit(c), -c))
    return replace(p, rows=-(-panels // columns))
