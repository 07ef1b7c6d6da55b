"""Reading scans (``load``) and putting them into the foot frame (``prepare``)."""

from shellgen.scan._load import load
from shellgen.scan._model import Kind, RawScan, Scan, ScanSource, Side, Units
from shellgen.scan._prepare import prepare

__all__ = ["Kind", "RawScan", "Scan", "ScanSource", "Side", "Units", "load", "prepare"]
