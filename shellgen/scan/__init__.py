"""Reading scans (``load``) and putting them into the foot frame (``prepare``)."""

from shellgen.scan._model import Kind, RawScan, Scan, ScanSource, Side, Units

__all__ = ["Kind", "RawScan", "Scan", "ScanSource", "Side", "Units"]
