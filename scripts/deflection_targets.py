"""Regenerate ``shellgen/mechanics/_targets.py``: the arch deflection McCormick's shells give.

Our rule (issue 13), anchored on McCormick, Bonanno & Landorf 2013: for a foot posture at
walking load, the target arch deflection is what their polypropylene shell deflects on a
reference foot of that weight. Their shells: neutral or pronated feet 4.0 mm below 75 kg and
4.5 mm from 75 kg; cavoid feet 3.0 mm and 4.0 mm.

Reference feet: the synthetic standing foot of ``shellgen.synth`` (260 mm), scanned without
noise, prepared and analysed like any scan: for the neutral posture a 16 mm arch rise reaching
22 % of the length in from the medial edge (analysed as a normal arch, arch index 0.24), for
the cavoid one 24 mm reaching 26 % (a high arch, index 0.19). Each is calibrated with the
standard profile made polypropylene, its thickness set to McCormick's, built, and loaded
with the patient's walking load (``shellgen.mechanics``) at 60 kg (the class below 75 kg)
and 90 kg (from 75 kg). The model is linear, so a class's deflection per kilogram holds at
every weight in it; the file stores that.

Run: ``python scripts/deflection_targets.py`` (about a minute).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import shellgen
from shellgen.analysis import analyze
from shellgen.calibration import calibrate
from shellgen.mechanics import Patient, respond, solid_of_shell
from shellgen.profile import load_profile, profile_path, with_fields
from shellgen.scan import RawScan, ScanSource, prepare
from shellgen.shell import build
from shellgen.synth import FootModel, synth_scan

OUT = Path(__file__).resolve().parent.parent / "shellgen" / "mechanics" / "_targets.py"

#: (posture, weight class, McCormick's thickness mm, the weight it is loaded at kg).
CASES = (
    ("neutral", "below_75kg", 4.0, 60.0),
    ("neutral", "from_75kg", 4.5, 90.0),
    ("cavoid", "below_75kg", 3.0, 60.0),
    ("cavoid", "from_75kg", 4.0, 90.0),
)
FEET = {
    "neutral": FootModel(arch_rise_mm=16.0, arch_width_frac=0.22),
    "cavoid": FootModel(arch_rise_mm=24.0, arch_width_frac=0.26),
}


def reference_foot(model: FootModel) -> shellgen.analysis.Foot:
    synth = synth_scan("foot", rotation="none", noise_mm=0.0, outlier_fraction=0.0, model=model)
    points = synth.points
    raw = RawScan(
        points, None, len(points), ScanSource("reference.xyz", "xyz", "", len(points), 0, 0)
    )
    return analyze(prepare(raw))


def main() -> None:
    base = with_fields(load_profile(profile_path("standard")), material="PP")
    rows = []
    feet = {name: reference_foot(model) for name, model in FEET.items()}
    for posture, weight_class, thickness_mm, weight_kg in CASES:
        foot = feet[posture]
        spec = calibrate(foot, with_fields(base, bodyweight_kg=weight_kg))
        spec = dataclasses.replace(spec, thickness_mm=thickness_mm)
        shell = build(foot, spec)
        response = respond(
            solid_of_shell(shell), spec.material, foot.landmarks.arch_apex, Patient(weight_kg)
        )
        assert response.deflection_mm is not None
        rows.append(
            (
                posture,
                weight_class,
                thickness_mm,
                weight_kg,
                response.deflection_mm,
                foot.arch.type,
            )
        )
        print(
            f"{posture:8s} {weight_class:11s} {thickness_mm} mm PP at {weight_kg:g} kg: "
            f"{response.deflection_mm:.3f} mm (analysed arch type {foot.arch.type})"
        )
    lines = [
        '"""Arch deflection targets: McCormick\'s polypropylene shells on reference feet.',
        "",
        "WRITTEN BY scripts/deflection_targets.py, do not edit: run it again. Mean downward",
        "displacement of the arch (medial midfoot) load area at walking, per kilogram of body",
        "weight, mm/kg, by foot posture and McCormick's weight class (see the script).",
        f"Written with shellgen {shellgen.__version__}.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "#: (posture, weight class) -> (McCormick's PP thickness mm, loaded at kg, mm per kg).",
        "DEFLECTION_MM_PER_KG: Final = {",
    ]
    for posture, weight_class, thickness_mm, weight_kg, deflection_mm, _ in rows:
        lines.append(
            f'    ("{posture}", "{weight_class}"): ({thickness_mm}, {weight_kg}, '
            f"{deflection_mm / weight_kg:.6g}),"
        )
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
