"""Measuring a prepared scan: plantar surface, outlines, landmarks and the arch."""

from shellgen.analysis._analyze import analyze
from shellgen.analysis._model import Arch, ArchType, Foot, HeightField, Landmarks, Point2

__all__ = ["Arch", "ArchType", "Foot", "HeightField", "Landmarks", "Point2", "analyze"]
