"""Arch deflection targets: McCormick's polypropylene shells on reference feet.

WRITTEN BY scripts/deflection_targets.py, do not edit: run it again. Mean downward
displacement of the arch (medial midfoot) load area at walking, per kilogram of body
weight, mm/kg, by foot posture and McCormick's weight class (see the script).
Written with shellgen 0.1.0.
"""

from __future__ import annotations

from typing import Final

#: (posture, weight class) -> (McCormick's PP thickness mm, loaded at kg, mm per kg).
DEFLECTION_MM_PER_KG: Final = {
    ("neutral", "below_75kg"): (4.0, 60.0, 0.0118916),
    ("neutral", "from_75kg"): (4.5, 90.0, 0.00917496),
    ("cavoid", "below_75kg"): (3.0, 60.0, 0.0284679),
    ("cavoid", "from_75kg"): (4.0, 90.0, 0.0146371),
}
