"""Masking of personal data (names, ID numbers, phone numbers).

Personal data is shown masked everywhere unless a role allows it: `张三丰` -> `张**`,
`451481199001011234` -> `4514**********1234`, `13812345678` -> `138****5678`.
"""

from __future__ import annotations

import pandas as pd

# Columns that hold personal data, whatever table they come from.
PERSONAL = {"name": "name", "person_name": "name", "id_number": "id", "phone": "phone",
            "responsible_phone": "phone"}
# Two records side by side (quality: duplicate persons): name_a/name_b, id_number_a/_b, phone_a/_b.
PERSONAL |= {f"{col}_{side}": kind for col, kind in list(PERSONAL.items()) for side in ("a", "b")}


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value == ""


def mask_name(value):
    if _blank(value):
        return value
    s = str(value)
    return s[0] + "*" * max(len(s) - 1, 1)


def mask_id(value):
    if _blank(value):
        return value
    s = str(value)
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(value):
    if _blank(value):
        return value
    s = str(value)
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


MASKS = {"name": mask_name, "id": mask_id, "phone": mask_phone}


def mask_frame(df: pd.DataFrame, unmask: bool = False) -> pd.DataFrame:
    """A copy with every personal column masked (unless unmask)."""
    if unmask:
        return df
    out = df.copy()
    for col in out.columns:
        kind = PERSONAL.get(str(col))
        if kind:
            out[col] = out[col].map(MASKS[kind])
    return out
