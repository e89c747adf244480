"""sitrep: the situational awareness dashboard of a city's epidemic prevention command headquarters."""
