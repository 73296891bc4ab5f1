"""`private_test_cases`: plain JSON, or base64 -> zlib -> pickle -> JSON string, decoded without running code.

Upstream (lcb_runner/benchmarks/code_generation.py) tries `json.loads` first and otherwise calls `pickle.loads` on
the decompressed bytes. Unpickling downloaded data can run arbitrary code, so here the pickle is first checked
opcode by opcode against an allow-list that can only build one plain `str` (no globals, no calls), then loaded by
an unpickler that refuses every global; anything else is refused with `UnsafePickle`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import pickletools
import zlib
from typing import Any

PICKLE_PROTOCOL = 4
"""The protocol of the upstream blobs (`\\x80\\x04` after decompression)."""

_STRING_OPCODES = frozenset(
    {
        "PROTO",
        "FRAME",
        "STOP",
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "MEMOIZE",
        "PUT",
        "BINPUT",
        "LONG_BINPUT",
    }
)


class UnsafePickle(ValueError):
    """The blob is not a pickle of one plain string."""


class _NoGlobalsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise UnsafePickle(f"refusing to load global {module}.{name}")


def unpickle_string(data: bytes) -> str:
    """The string pickled in `data`; `UnsafePickle` for anything that is not exactly one plain `str`."""
    try:
        for opcode, _arg, position in pickletools.genops(data):
            if opcode.name not in _STRING_OPCODES:
                raise UnsafePickle(f"pickle opcode {opcode.name} at byte {position} is not allowed")
    except UnsafePickle:
        raise
    except Exception as ex:  # genops raises ValueError and friends on malformed input
        raise UnsafePickle(f"malformed pickle: {ex}") from ex
    value = _NoGlobalsUnpickler(io.BytesIO(data)).load()
    if type(value) is not str:
        raise UnsafePickle(f"pickle holds {type(value).__name__}, not str")
    return value


def decode(raw: str) -> list[dict[str, str]]:
    """The test list of a `private_test_cases` (or `public_test_cases`) field, validated."""
    try:
        tests = json.loads(raw)
    except json.JSONDecodeError:
        try:
            blob = zlib.decompress(base64.b64decode(raw.encode("utf-8"), validate=True))
        except (binascii.Error, zlib.error, ValueError) as ex:
            raise ValueError(f"neither JSON nor base64+zlib ({ex})") from ex
        tests = json.loads(unpickle_string(blob))
    return validate(tests)


def validate(tests: Any) -> list[dict[str, str]]:
    if not isinstance(tests, list):
        raise ValueError(f"expected a list of tests, got {type(tests).__name__}")
    for index, test in enumerate(tests):
        if not isinstance(test, dict) or not all(isinstance(test.get(k), str) for k in ("input", "output")):
            raise ValueError(f"test {index} needs string fields input and output")
        if test.get("testtype") not in ("stdin", "functional"):
            raise ValueError(f"test {index}: testtype must be stdin or functional, got {test.get('testtype')!r}")
    return tests


def encode(tests: list[dict[str, str]]) -> str:
    """The upstream encoding of a test list (used to build fixtures in the exact row format)."""
    blob = pickle.dumps(json.dumps(tests), protocol=PICKLE_PROTOCOL)
    return base64.b64encode(zlib.compress(blob)).decode("ascii")
