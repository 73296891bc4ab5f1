"""A suite's settings file: TOML validated against a pydantic model, errors as one line naming the file and field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError

M = TypeVar("M", bound=BaseModel)


def load(path: Path, model: type[M]) -> M:
    """The parsed file; malformed TOML or a bad field is a one-line error naming the field."""
    try:
        with path.open("rb") as f:
            return model.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"{path}: not valid TOML ({ex})") from ex
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
