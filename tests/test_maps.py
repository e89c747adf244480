"""Map builders: offline decks, legends that read right, fitting the city."""

import json

import pandas as pd

from sitrep import maps

SQUARE = '{"type":"Polygon","coordinates":[[[109.0,23.0],[109.5,23.0],[109.5,23.5],[109.0,23.5],[109.0,23.0]]]}'


def test_few_whole_numbers_get_one_class_each():
    colours, legend = maps.colour_scale(pd.Series([0, 1, 3, None]))
    assert [item.label for item in legend] == ["0", "1", "2", "3"]
    assert colours[3] == maps.NO_DATA
    assert colours[0] != colours[1]


def test_continuous_values_get_equal_bins():
    _, legend = maps.colour_scale(pd.Series([0.5, 10.5, 25.5]), fmt=lambda v: f"{v:.1f}")
    assert [item.label for item in legend] == ["0.5 – 5.5", "5.5 – 10.5", "10.5 – 15.5", "15.5 – 20.5", "20.5 – 25.5"]


def test_choropleth_has_no_basemap_and_carries_the_values():
    polys = maps.polygons(pd.DataFrame({"region_code": ["A"], "name": ["甲镇"], "geometry": [SQUARE]}))
    deck, legend = maps.choropleth(polys, pd.DataFrame({"region_code": ["A"], "value": [7]}), value_label="病例")
    spec = json.loads(deck.to_json())
    assert spec["mapStyle"] == "__MAP_STYLE__" and "http" not in deck.to_json()
    row = spec["layers"][0]["data"][0]
    assert row["name"] == "甲镇" and row["value_text"] == "7"
    view = spec["initialViewState"]
    assert abs(view["longitude"] - 109.25) < 1e-9 and abs(view["latitude"] - 23.25) < 1e-9
    # 0.5 degrees in a ~800 x 520 px map, deck.gl's 512 px world: the height decides,
    # log2(520 * 360 / (512 * 0.5 / cos 23.25°)) - 0.25 = 9.14
    assert abs(view["zoom"] - 9.14) < 0.01
