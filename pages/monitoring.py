"""monitoring page (being built)."""

from sitrep import ui
from sitrep.ui import widgets as w

view = ui.view()
w.header(view, "nav.monitoring")
