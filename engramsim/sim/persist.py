"""Save a model or a network to a file and load it back bit for bit.

A file holds a small header (format number, the engramsim version that wrote
it, the class) and the object's state, pickled.  Loading checks the header
first: a file from another format, from an engramsim version with another
major or minor number, or of another class is refused with a clear error.
The unpickler accepts only NumPy's and engramsim's own types (and plain
Python containers), so a file cannot make ``load`` run other code; still,
load only files you trust.

Classes take part by defining ``__getstate__``/``__setstate__`` when their
state holds things that must not be stored as they are (a backend is stored
by name; compiled kernels are fetched again).
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from engramsim.errors import ValidationError

__all__ = ["FORMAT", "Persistent", "load_object", "save_object"]

#: version of the file layout
FORMAT = 1
_MAGIC = b"ENGRAMSIM\x00"
_ALLOWED_BUILTINS = {"set", "frozenset", "slice", "complex", "range", "bytearray"}


def _version() -> str:
    from engramsim import __version__

    return __version__


def _compatible(a: str, b: str) -> bool:
    return a.split(".")[:2] == b.split(".")[:2]


class _Unpickler(pickle.Unpickler):
    """Only NumPy's and engramsim's types, and a few builtins."""

    def find_class(self, module: str, name: str) -> Any:
        root = module.split(".")[0]
        if root in ("numpy", "engramsim", "collections", "copyreg") or (module == "builtins"
                                                                          and name in _ALLOWED_BUILTINS):
            return super().find_class(module, name)
        raise ValidationError(f"refusing to load {module}.{name}: an engramsim file holds only NumPy and engramsim "
                              f"objects")


def save_object(obj: Any, path: str | os.PathLike) -> Path:
    """Write ``obj`` to ``path`` (atomically: a temporary file renamed into place); return the path."""
    path = Path(path)
    if path.is_dir():
        raise ValidationError(f"path must be a file name, got the directory {str(path)!r}")
    header = {"format": FORMAT, "engramsim": _version(),
              "class": f"{type(obj).__module__}.{type(obj).__qualname__}"}
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            pickle.dump(header, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_object(path: str | os.PathLike, expected: type | None = None) -> Any:
    """Read an object written by :func:`save_object`, checking its format, version and class.

    Parameters
    ----------
    path
        The file.
    expected
        The class the caller expects (``None``: any).
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"path must be an existing file, got {str(path)!r}")
    data = path.read_bytes()
    if not data.startswith(_MAGIC):
        raise ValidationError(f"{str(path)!r} is not a file saved by engramsim")
    stream = io.BytesIO(data[len(_MAGIC):])
    header = _Unpickler(stream).load()
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValidationError(f"{str(path)!r} has file format {header.get('format') if isinstance(header, dict) else '?'}; "
                              f"this engramsim reads format {FORMAT}")
    if not _compatible(str(header.get("engramsim")), _version()):
        raise ValidationError(f"{str(path)!r} was written by engramsim {header.get('engramsim')}, which is not "
                              f"compatible with this engramsim {_version()} (the major and minor versions must "
                              f"match); load it with that version and save the parts you need as arrays")
    if expected is not None:
        want = f"{expected.__module__}.{expected.__qualname__}"
        if header.get("class") != want:
            raise ValidationError(f"{str(path)!r} holds a {header.get('class')}, not a {want}")
    return _Unpickler(stream).load()


class _BackendName:
    """A backend as stored in a file: its name (the backend is looked up again on loading)."""

    def __init__(self, name: str):
        self.name = name


class Persistent:
    """Mixin: ``save(path)`` and ``load(path)`` for models and networks.

    The object's attributes are stored, except those named in
    ``_TRANSIENT`` (compiled kernels and other things rebuilt after loading by
    :meth:`_attach_kernels`); a backend is stored by name.
    """

    _TRANSIENT: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        from engramsim.sim.backends import Backend

        return {k: (_BackendName(v.name) if isinstance(v, Backend) else v)
                for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from engramsim.sim.backends import get_backend

        self.__dict__.update({k: (get_backend(v.name) if isinstance(v, _BackendName) else v)
                              for k, v in state.items()})
        self._attach_kernels()

    def _attach_kernels(self) -> None:
        """Rebuild what ``_TRANSIENT`` left out (nothing by default)."""

    def save(self, path: str | os.PathLike) -> Path:
        """Write this object to ``path``; :meth:`load` gives it back bit for bit.

        The file records the engramsim version; a file from an incompatible
        version is refused with a clear error on loading.
        """
        return save_object(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Any:
        """Read an object of this class written by :meth:`save`."""
        return load_object(path, expected=cls)
