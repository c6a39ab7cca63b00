"""The service palette: perceptually spaced, readable on the dark background, and stable."""

from __future__ import annotations

import numpy as np

from tests.generated_traces import named_store
from vrmon.layout.color_difference import ciede2000, min_pairwise_distance, srgb_to_lab
from vrmon.layout.palette import DEFAULT_SERVICE_COLORS, palette_array
from vrmon.layout.services import ServicesParams, error_ratio_colors
from vrmon.layout.waterfall import SpanColumns, WaterfallParams, waterfall_layout
from vrmon.scene_presets import load_presets
from tests.conftest import ROOT

BACKGROUND = np.array([0x0A, 0x0D, 0x14])


def test_ciede2000_matches_the_published_test_pairs():
    # Sharma, Wu and Dalal (2005), table 1: pairs 1, 4 and 7
    a = np.array([[50, 2.6772, -79.7751], [50, -1.3802, -84.2814], [50, 0, 0]])
    b = np.array([[50, 0, -82.7485], [50, 0, -82.7485], [50, -1, 2]])
    assert np.allclose(ciede2000(a, b), [2.0425, 1.0000, 2.3669], atol=1e-4)


def test_forty_services_get_forty_distinct_colours():
    palette = palette_array(DEFAULT_SERVICE_COLORS)
    assert len(palette) == 40 and len({tuple(c) for c in palette}) == 40
    # ΔE00 ≈ 2.3 is a just-noticeable difference; 12 is plainly another colour
    assert min_pairwise_distance(palette) >= 12
    # a small system takes the first colours, which are spread the furthest
    assert min_pairwise_distance(palette[:10]) >= 20


def test_every_colour_reads_on_the_dark_background():
    lab = srgb_to_lab(palette_array(DEFAULT_SERVICE_COLORS))
    assert lab[:, 0].min() >= 60  # light enough for text
    assert ciede2000(lab, srgb_to_lab(BACKGROUND)).min() >= 40


def test_a_service_has_the_same_colour_in_every_layout_and_on_every_reload():
    first, again = named_store(2000, n_services=40, seed=1), named_store(2000, n_services=40, seed=1)
    colours = []
    for store in (first, again):
        layout = waterfall_layout(SpanColumns.from_store(store, np.arange(len(store))), WaterfallParams())
        names = store.services.names
        colours.append({names[int(s)]: tuple(c) for s, c in zip(layout.nodes.service, layout.nodes.color)})
    assert colours[0] == colours[1]
    assert len(set(colours[0].values())) == 40
    # the rule the viewer applies to the scene's palette (scene info "palette")
    palette = palette_array(DEFAULT_SERVICE_COLORS)
    assert all(colours[0][name] == tuple(palette[code % 40]) for code, name in enumerate(first.services.names))


def test_every_built_in_scene_colours_services_from_the_one_palette():
    # the waterfall preset once kept a 16-colour list of its own: frontend was mauve in the
    # waterfall and magenta on the wall and in the services graph
    presets = load_presets([ROOT / "scenes"])
    assert {name: preset.params.service_colors for name, preset in presets.items()} == \
        {name: DEFAULT_SERVICE_COLORS for name in presets}


def test_the_error_scale_darkens_as_errors_grow_so_it_reads_without_hue():
    ratios = np.array([0.0, 0.002, 0.01, 0.05, 0.2, 0.9])
    lightness = srgb_to_lab(error_ratio_colors(ratios, ServicesParams()))[:, 0]
    some = lightness[1:]
    assert np.all(np.diff(some) <= 1e-9) and some[0] - some[-1] > 30
    rgb = error_ratio_colors(ratios, ServicesParams())
    assert tuple(rgb[0]) != tuple(rgb[1])  # any error at all is another colour than none
