"""Declarative contract of a training CSV: which columns matter and what values are usable.

Pure data (no pandas) so a service can declare it without pulling training dependencies
into the serving image; `servicekit.training.data` applies it.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Column:
    name: str
    kind: Literal["numeric", "categorical"]
    # A required column's missing or out-of-range value makes the row unusable (dropped and
    # counted). An optional column's becomes missing (counted), the model handles it, and the
    # API takes null or an omitted field for it (ServiceDefinition checks that rule).
    required: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    lowercase: bool = False
    # The file's name for the column when it cannot be the input's (an input is a Python
    # identifier: the request field and the model column): "od280/od315" -> od280_od315.
    source: str | None = None

    @property
    def csv_name(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class DatasetContract:
    header: tuple[str, ...]  # the real dataset's header, in its order
    columns: tuple[Column, ...]
    target: str
    # binary: 0/1. class: one of target_classes. continuous: a number.
    target_kind: Literal["binary", "class", "continuous"]
    target_min: float | None = None  # continuous targets outside the range are outliers, dropped
    target_max: float | None = None
    # class targets: the values as the file writes them (an integral number as "3"), by code.
    target_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.target_kind == "class":
            if len(self.target_classes) < 3:
                raise ValueError("a class target needs at least 3 target_classes (2 is binary)")
            if len(set(self.target_classes)) != len(self.target_classes):
                raise ValueError(f"target_classes repeat a value: {self.target_classes}")
        elif self.target_classes:
            raise ValueError(f"target_classes are for class targets, not {self.target_kind}")

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def optional_features(self) -> tuple[str, ...]:
        """Features the file may leave blank: nullable and omittable in the API."""
        return tuple(c.name for c in self.columns if not c.required)

    @property
    def required_features(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        """Header columns that are not model inputs (IDs, names, dates), read and ignored."""
        used = {*(c.csv_name for c in self.columns), self.target}
        return tuple(c for c in self.header if c not in used)
