"""3MF packages through lib3mf, the 3MF Consortium's reference implementation.

shellgen writes and reads 3MF only here, so that every 3MF it writes is the specification
as its authors implement it (core, unit, namespaced metadata, build items) and every 3MF
scan it reads is parsed the same way as a printer vendor's software would.

Two things are done beside lib3mf's generated Python binding, each for a measured reason:

- geometry goes in and out through NumPy buffers handed to lib3mf's C functions directly.
  The binding's ``SetGeometry``/``GetVertices`` build one ctypes object per vertex and per
  triangle in Python, about 1 s per 100 k triangles; a buffer is copied in milliseconds.
- every UUID that lib3mf would draw at random (the production extension's ``p:UUID`` of
  each object, build item and the build) is set from a hash of the content, so that the
  same shell gives the same bytes. lib3mf writes no other variable data (its zip entries
  carry one fixed date).

Metadata whose names the 3MF core does not define are written in shellgen's namespace
(``urn:shellgen:3mf:metadata``) with the XML prefix ``shellgen`` (``shellgen:label``,
``shellgen:scan_sha256``, ...). lib3mf (2.5) names every custom namespace ``customXMLNS<n>``
itself and has no call to choose the prefix (3MFConsortium/lib3mf#196, open since 2020); a
reader that follows XML resolves either prefix to the namespace, but some slicers look for the
prefix literally. So the written package's model part is rewritten with the prefix renamed
(:func:`_rename_prefix`): only the namespace declaration and the metadata names change, every
other zip entry and attribute is copied as it is, and the result is as deterministic as
lib3mf's.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import lib3mf
import numpy as np
from lib3mf import Lib3MF

from shellgen._typing import FloatArray, IntArray

__all__ = [
    "CORE_METADATA",
    "MM_PER_UNIT",
    "SHELLGEN_NAMESPACE",
    "SHELLGEN_PREFIX",
    "Model3MF",
    "Object3MF",
    "read_3mf",
    "write_3mf_model",
]

#: Metadata names the 3MF core specification defines; they carry no namespace.
CORE_METADATA: Final = frozenset(
    {
        "Title",
        "Designer",
        "Description",
        "Copyright",
        "LicenseTerms",
        "Rating",
        "CreationDate",
        "ModificationDate",
        "Application",
    }
)
#: The namespace of shellgen's own metadata (``scan_sha256``, ``side``, ...).
SHELLGEN_NAMESPACE: Final = "urn:shellgen:3mf:metadata"
#: The XML prefix it is written with.
SHELLGEN_PREFIX: Final = "shellgen"

#: Seeds the content-derived UUIDs (a fixed, random namespace for :func:`uuid.uuid5`).
_UUID_NAMESPACE: Final = uuid.UUID("6f1c2a0e-53b1-4c8e-9a55-0d4c3b6e2f41")


@dataclass(frozen=True)
class Object3MF:
    """One mesh as placed by a build item.

    Attributes
    ----------
    name : str
        The object's name ("" if it has none).
    vertices : (n, 3) float
        Vertex positions with the build item's transform applied, in the package's unit.
    faces : (m, 3) int
        Triangles, as stored (counter-clockwise seen from outside in a valid 3MF).
    manifold_and_oriented : bool
        lib3mf's check: every edge shared by exactly two triangles, in opposite directions.
    """

    name: str
    vertices: FloatArray
    faces: IntArray
    manifold_and_oriented: bool


@dataclass(frozen=True)
class Model3MF:
    """What a 3MF package holds, as lib3mf reads it.

    Attributes
    ----------
    unit : str
        ``"millimeter"``, ``"inch"``, ... (lib3mf's unit name, lower case).
    metadata : dict[str, str]
        Model metadata by name: core names as they are (``Title``), others as
        ``namespace:name`` with the full namespace (``urn:shellgen:3mf:metadata:side``).
    objects : list of Object3MF
        One per build item that places a mesh, in build order.
    warnings : list of str
        lib3mf's reader warnings.
    """

    unit: str
    metadata: dict[str, str]
    objects: list[Object3MF]
    warnings: list[str]


def write_3mf_model(
    path: Path,
    objects: Sequence[tuple[str, FloatArray, IntArray]],
    metadata: Mapping[str, str],
) -> None:
    """Write a 3MF package: one mesh object and build item per object, unit millimetre.

    Parameters
    ----------
    path : Path
        The file to write (not atomically: the caller writes a temporary name).
    objects : sequence of (str, (n, 3) float, (m, 3) int)
        Name (also its part number), vertices (mm) and triangles (counter-clockwise seen
        from outside) of each object, placed where its vertices are (identity transform).
    metadata : Mapping[str, str]
        Model metadata, written sorted by name; names outside :data:`CORE_METADATA` go in
        :data:`SHELLGEN_NAMESPACE`.

    Raises
    ------
    lib3mf.Lib3MF.ELib3MFException
        If lib3mf refuses the model or the file.
    """
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.SetUnit(Lib3MF.ModelUnit.MilliMeter)
    model.SetLanguage("en-US")
    group = model.GetMetaDataGroup()
    for key in sorted(metadata):
        namespace = "" if key in CORE_METADATA else SHELLGEN_NAMESPACE
        group.AddMetaData(namespace, key, str(metadata[key]), "string", False)
    digest = hashlib.sha256(repr(sorted(metadata.items())).encode("utf-8"))
    identity = wrapper.GetIdentityTransform()
    items = []
    for name, vertices, faces in objects:
        v = np.ascontiguousarray(vertices, dtype=np.float32).reshape(-1, 3)
        f = np.ascontiguousarray(faces, dtype=np.uint32).reshape(-1, 3)
        digest.update(name.encode("utf-8") + v.tobytes() + f.tobytes())
        mesh = model.AddMeshObject()
        mesh.SetName(name)
        mesh.SetPartNumber(name)
        _set_geometry(wrapper, mesh, v, f)
        items.append((mesh, model.AddBuildItem(mesh, identity)))
    seed = digest.hexdigest()
    for index, (mesh, item) in enumerate(items):
        mesh.SetUUID(str(uuid.uuid5(_UUID_NAMESPACE, f"{seed}/object/{index}")))
        item.SetUUID(str(uuid.uuid5(_UUID_NAMESPACE, f"{seed}/item/{index}")))
    model.SetBuildUUID(str(uuid.uuid5(_UUID_NAMESPACE, f"{seed}/build")))
    model.QueryWriter("3mf").WriteToFile(str(path))
    _rename_prefix(path, SHELLGEN_NAMESPACE, SHELLGEN_PREFIX)


def _rename_prefix(path: Path, namespace: str, prefix: str) -> None:
    """Give ``namespace`` the XML prefix ``prefix`` in the package's model parts, in place.

    lib3mf declares it as ``xmlns:customXMLNS<n>="<namespace>"`` on the ``<model>`` element
    and uses the prefix only in ``<metadata name="customXMLNS<n>:...">``; both are renamed.
    The zip entries keep their order, date, compression and attributes. lib3mf's own
    prefixes (``m``, ``p``, ``b``, ...) never clash with ``prefix``: it declares only the
    extensions' fixed ones and ``customXMLNS<n>``.
    """
    with zipfile.ZipFile(path) as package:
        entries = [(info, package.read(info)) for info in package.infolist()]
    renamed = False
    for i, (info, data) in enumerate(entries):
        if not info.filename.endswith(".model"):
            continue
        declared = re.search(rb'xmlns:([\w.-]+)="' + re.escape(namespace.encode()) + rb'"', data)
        if declared is None:
            continue
        old = re.escape(declared.group(1))
        data = re.sub(rb"xmlns:" + old + rb'="', b"xmlns:" + prefix.encode() + b'="', data)
        data = re.sub(rb'(<metadata name=")' + old + rb":", rb"\1" + prefix.encode() + b":", data)
        entries[i] = (info, data)
        renamed = True
    if not renamed:
        return
    with zipfile.ZipFile(path, "w") as package:
        for info, data in entries:
            package.writestr(info, data, compress_type=info.compress_type)


def read_3mf(source: Path | bytes, *, strict: bool = True) -> Model3MF:
    """Read a 3MF package with lib3mf.

    Parameters
    ----------
    source : Path or bytes
        The file, or its content.
    strict : bool
        lib3mf's strict mode: anything the specification forbids is an error, not a warning.

    Returns
    -------
    Model3MF
        Unit, metadata, the meshes its build places and the reader's warnings.

    Raises
    ------
    lib3mf.Lib3MF.ELib3MFException
        If lib3mf cannot read the package.
    """
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    reader = model.QueryReader("3mf")
    reader.SetStrictModeActive(strict)
    if isinstance(source, bytes):
        # the binding's ReadFromBuffer copies byte by byte through a Python list
        buffer = (ctypes.c_uint8 * len(source)).from_buffer_copy(source)
        wrapper.checkError(
            reader,
            wrapper.lib.lib3mf_reader_readfrombuffer(
                reader._handle, ctypes.c_uint64(len(source)), buffer
            ),
        )
    else:
        reader.ReadFromFile(str(source))
    warnings = [reader.GetWarning(i)[0] for i in range(reader.GetWarningCount())]
    group = model.GetMetaDataGroup()
    metadata = {}
    for i in range(group.GetMetaDataCount()):
        entry = group.GetMetaData(i)
        metadata[entry.GetKey()] = entry.GetValue()
    objects = []
    items = model.GetBuildItems()
    while items.MoveNext():
        item = items.GetCurrent()
        transform = _matrix(item.GetObjectTransform()) if item.HasObjectTransform() else None
        objects += _meshes(wrapper, model, item.GetObjectResourceID(), transform)
    return Model3MF(_UNITS[model.GetUnit()], metadata, objects, warnings)


#: Millimetres per unit of a 3MF package, by the unit's name in the file.
MM_PER_UNIT: Final = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}

#: lib3mf's units by their names in a 3MF file.
_UNITS: Final = {
    Lib3MF.ModelUnit.MicroMeter: "micron",
    Lib3MF.ModelUnit.MilliMeter: "millimeter",
    Lib3MF.ModelUnit.CentiMeter: "centimeter",
    Lib3MF.ModelUnit.Inch: "inch",
    Lib3MF.ModelUnit.Foot: "foot",
    Lib3MF.ModelUnit.Meter: "meter",
}


def _meshes(
    wrapper: Any, model: Any, resource_id: int, transform: FloatArray | None
) -> list[Object3MF]:
    """The meshes an object places: itself, or its components' (recursively)."""
    resource = model.GetResourceByID(resource_id)
    if resource.IsMeshObject():
        mesh = model.GetMeshObjectByID(resource_id)
        vertices, faces = _get_geometry(wrapper, mesh)
        if transform is not None:
            vertices = vertices @ transform[:3] + transform[3]
        return [Object3MF(mesh.GetName(), vertices, faces, mesh.IsManifoldAndOriented())]
    if not resource.IsComponentsObject():
        return []
    components = model.GetComponentsObjectByID(resource_id)
    found = []
    for i in range(components.GetComponentCount()):
        component = components.GetComponent(i)
        inner = _matrix(component.GetTransform()) if component.HasTransform() else None
        if transform is not None:
            inner = transform if inner is None else _compose(inner, transform)
        found += _meshes(wrapper, model, component.GetObjectResourceID(), inner)
    return found


def _matrix(transform: Any) -> FloatArray:
    """lib3mf's ``Transform`` (4 rows of 3) as a (4, 3) array: ``p' = p @ m[:3] + m[3]``."""
    return np.array([[transform.Fields[r][c] for c in range(3)] for r in range(4)], dtype=float)


def _compose(first: FloatArray, then: FloatArray) -> FloatArray:
    composed = np.empty((4, 3))
    composed[:3] = first[:3] @ then[:3]
    composed[3] = first[3] @ then[:3] + then[3]
    return composed


def _set_geometry(wrapper: Any, mesh: Any, vertices: np.ndarray, faces: np.ndarray) -> None:
    """``mesh.SetGeometry`` from NumPy buffers (float32 and uint32, C order), no copy."""
    positions = (Lib3MF.Position * len(vertices)).from_buffer(vertices)
    triangles = (Lib3MF.Triangle * len(faces)).from_buffer(faces)
    wrapper.checkError(
        mesh,
        wrapper.lib.lib3mf_meshobject_setgeometry(
            mesh._handle,
            ctypes.c_uint64(len(vertices)),
            positions,
            ctypes.c_uint64(len(faces)),
            triangles,
        ),
    )


def _get_geometry(wrapper: Any, mesh: Any) -> tuple[FloatArray, IntArray]:
    """``mesh.GetVertices`` and ``GetTriangleIndices`` into NumPy buffers."""
    n_vertices, n_faces = mesh.GetVertexCount(), mesh.GetTriangleCount()
    vertices = np.zeros((n_vertices, 3), dtype=np.float32)
    faces = np.zeros((n_faces, 3), dtype=np.uint32)
    needed = ctypes.c_uint64(0)
    wrapper.checkError(
        mesh,
        wrapper.lib.lib3mf_meshobject_getvertices(
            mesh._handle,
            ctypes.c_uint64(n_vertices),
            needed,
            (Lib3MF.Position * n_vertices).from_buffer(vertices),
        ),
    )
    wrapper.checkError(
        mesh,
        wrapper.lib.lib3mf_meshobject_gettriangleindices(
            mesh._handle,
            ctypes.c_uint64(n_faces),
            needed,
            (Lib3MF.Triangle * n_faces).from_buffer(faces),
        ),
    )
    return vertices.astype(np.float64), faces.astype(np.int64)
