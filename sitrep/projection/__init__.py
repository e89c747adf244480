"""The projection mode (会议室大屏, ``?mode=screen``): the dashboard for a meeting-room projector.

- :mod:`sitrep.projection.rules`: plain functions - the configuration (data/screen.toml and the URL's
  overrides), the rotation, whether the import is stale, what a screen's KPI cards and decision list say,
  chart text floored for the back of a room. No Streamlit.
- :mod:`sitrep.projection.page`: the page, drawn with Streamlit (:func:`main`, called by dashboard.py).

The names below are the package's public face.
"""

from sitrep.projection.page import CHART_HEIGHT, CSS, MAP_HEIGHT, OVERVIEW_MAP_HEIGHT, SCALES, main
from sitrep.projection.rules import (CONFIG_FILE, KPI_VALUE_PX, MIN_CHART_FONT_PX, MIN_ROTATION_SECONDS, SCREENS,
                                     ScreenConfig, ScreenConfigError, clock_date, decisions_html, delta_text, due,
                                     floor_fonts, is_stale, kpi_cards_html, legend_html, load_config, next_index,
                                     with_url)

__all__ = [
    "CHART_HEIGHT", "CSS", "MAP_HEIGHT", "OVERVIEW_MAP_HEIGHT", "SCALES", "main", "CONFIG_FILE", "KPI_VALUE_PX",
    "MIN_CHART_FONT_PX", "MIN_ROTATION_SECONDS", "SCREENS", "ScreenConfig", "ScreenConfigError", "clock_date",
    "decisions_html", "delta_text", "due", "floor_fonts", "is_stale", "kpi_cards_html", "legend_html", "load_config",
    "next_index", "with_url",
]
