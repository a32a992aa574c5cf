"""Unit conversion for intake: gases given as ppb or ppm become mass concentrations.

The plan's quantities (rules §1) are µg/m³, CO in mg/m³. Mixing ratios are
converted at the reference state of GB 3095-2012 (amendment 1, 2018): 25 °C
(298.15 K) and 101.325 kPa, where one mole of ideal gas fills 24.465 L:
µg/m³ = ppb × M / 24.465 and mg/m³ = ppm × M / 24.465, M in g/mol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from shared.errors import Rejected

MOLAR_VOLUME_L = 24.465  # L/mol at 298.15 K and 101.325 kPa
MOLAR_MASS = {"so2": 64.066, "no2": 46.0055, "co": 28.010, "o3_8h": 47.997, "o3_1h": 47.997}
FIELDS = ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h")
Unit = Literal["ug/m3", "mg/m3", "ppb", "ppm"]
NATIVE: dict[str, Unit] = {name: ("mg/m3" if name == "co" else "ug/m3") for name in FIELDS}


def to_native(field: str, value: float, unit: Unit) -> float:
    """``value`` of ``field`` in ``unit``, as µg/m³ (CO: mg/m³)."""
    native = NATIVE[field]
    if unit == native:
        return value
    if field not in MOLAR_MASS:
        raise Rejected(f"units.{field}: particles are measured in µg/m³, not {unit}")
    # µg/m³ from ppb, mg/m³ from ppm: the same factor; across the two, a factor 1000
    grams_per_volume = value * MOLAR_MASS[field] / MOLAR_VOLUME_L
    if (unit, native) in (("ppb", "ug/m3"), ("ppm", "mg/m3")):
        return grams_per_volume
    if (unit, native) == ("ppm", "ug/m3"):
        return grams_per_volume * 1000
    if (unit, native) == ("ppb", "mg/m3"):
        return grams_per_volume / 1000
    if (unit, native) == ("mg/m3", "ug/m3"):
        return value * 1000
    return value / 1000  # µg/m³ of CO to mg/m³


def check_units(units: Mapping[str, str]) -> dict[str, Unit]:
    known: dict[str, Unit] = {}
    for field, unit in units.items():
        if field not in FIELDS:
            raise Rejected(f"units.{field}: not a pollutant field ({', '.join(FIELDS)})")
        if unit not in ("ug/m3", "mg/m3", "ppb", "ppm"):
            raise Rejected(f"units.{field}: unknown unit {unit!r} (ug/m3, mg/m3, ppb, ppm)")
        known[field] = unit  # type: ignore[assignment]
    return known
