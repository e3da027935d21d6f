"""Read a training CSV under a `DatasetContract`: coerce types, count every unusable row.

Works unchanged on the real Kaggle files: extra columns (IDs, names, dates) are ignored,
types are coerced, and nothing is dropped without being counted under a reason.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from servicekit.dataset import Column, DatasetContract
from servicekit.definition import ServiceDefinition
from servicekit.errors import DataError
from servicekit.files import atomic_write

MIN_USABLE_ROWS = 50


@dataclass
class DataReport:
    path: str
    sha256: str
    rows_read: int
    rows_used: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    set_missing: dict[str, int] = field(default_factory=dict)
    # Blank optional features in the rows used (NaN to the model, or the feature spec's fill).
    missing: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    # "generated ..." when the file is, byte for byte, what `<service> generate` wrote.
    origin: str = "provided"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        out = [f"rows read {self.rows_read}, used {self.rows_used}"]
        out += [f"dropped {n}: {reason}" for reason, n in self.dropped.items()]
        out += [f"set to missing {n}: {reason}" for reason, n in self.set_missing.items()]
        out += [f"missing {n}: {column}" for column, n in self.missing.items()]
        if self.ignored_columns:
            out.append("ignored columns: " + ", ".join(self.ignored_columns))
        out.append(f"origin: {self.origin}")
        return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def generated_marker(path: Path) -> Path:
    """Beside a generated CSV: how it was generated and the SHA-256 of what was written."""
    return path.with_name(path.name + ".generated.json")


def data_origin(path: Path, sha256: str) -> str:
    """Whether `path` is still the generator's output: its marker names the same bytes."""
    try:
        marker = json.loads(generated_marker(path).read_text())
    except (OSError, ValueError):
        return "provided"
    if not isinstance(marker, dict) or marker.get("sha256") != sha256:
        return "provided"
    return (f"generated (synthetic): {marker.get('service')} generate --rows {marker.get('rows')} "
            f"--seed {marker.get('seed')}")  # fmt: skip


def read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"data file is empty: {path}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"cannot parse {path} as CSV: {first}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


class _RowFilter:
    """Drops rows under the first reason that applies, so each dropped row is counted once."""

    def __init__(self, n_rows: int, report: DataReport) -> None:
        self.keep = np.ones(n_rows, dtype=bool)
        self.report = report

    def drop(self, mask: pd.Series | np.ndarray, reason: str) -> None:
        hit = np.asarray(mask, dtype=bool) & self.keep
        if hit.any():
            self.report.dropped[reason] = int(hit.sum())
            self.keep &= ~hit


def _numeric(frame: pd.DataFrame, col: Column, rows: _RowFilter, report: DataReport) -> pd.Series:
    raw = frame[col.csv_name]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    not_a_number = raw.notna() & values.isna()
    out_of_range = pd.Series(False, index=frame.index)
    if col.min is not None:
        out_of_range |= values < col.min
    if col.max is not None:
        out_of_range |= values > col.max
    bounds = f"[{col.min}, {col.max}]"
    if col.required:
        rows.drop(not_a_number, f"{col.name} is not a number")
        rows.drop(out_of_range, f"{col.name} outside {bounds}")
        rows.drop(values.isna(), f"{col.name} missing")
        return values
    for mask, reason in ((not_a_number, "not a number"), (out_of_range, f"outside {bounds}")):
        if mask.any():
            report.set_missing[f"{col.name} {reason}"] = int(mask.sum())
    return values.mask(not_a_number | out_of_range)


def _categorical(
    frame: pd.DataFrame, col: Column, rows: _RowFilter, report: DataReport
) -> pd.Series:
    raw = frame[col.csv_name]
    present = raw.notna()
    text = raw.astype(object).where(~present, raw.astype(str).str.strip())
    if col.lowercase:
        text = text.where(~present, text.astype(str).str.lower())
    text = text.where(text != "", None)
    unknown = pd.Series(False, index=frame.index)
    if col.allowed is not None:
        unknown = text.notna() & ~text.isin(col.allowed)
    if col.required:
        rows.drop(unknown, f"{col.name} not one of {', '.join(col.allowed or ())}")
        rows.drop(text.isna(), f"{col.name} missing")
    elif unknown.any():
        report.set_missing[f"{col.name} unknown value"] = int(unknown.sum())
    # object dtype with NaN for missing: what OrdinalEncoder treats as a missing category.
    return text.mask(unknown).astype(object).where(lambda s: s.notna(), np.nan)


def class_text(values: pd.Series) -> pd.Series:
    """Class values as text, the way a contract's target_classes write them: stripped, and an
    integral number as an integer ("2", whether the file wrote 2 or 2.0)."""
    numbers = pd.to_numeric(values, errors="coerce")
    integral = numbers.notna() & np.isfinite(numbers) & (numbers == numbers.round())
    text = values.astype("string").str.strip()
    return text.mask(integral, numbers[integral].astype("int64").astype("string"))


def _target(frame: pd.DataFrame, contract: DatasetContract, rows: _RowFilter) -> pd.Series:
    name = contract.target
    if contract.target_kind == "class":
        classes = contract.target_classes
        codes = class_text(frame[name]).map({c: k for k, c in enumerate(classes)})
        rows.drop(codes.isna(), f"{name} missing or not one of {', '.join(classes)}")
        return codes.fillna(-1).astype("int64")
    values = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    if contract.target_kind == "binary":
        rows.drop(~values.isin([0.0, 1.0]), f"{name} missing or not 0/1")
        return values.fillna(-1).astype("int64")
    rows.drop(values.isna(), f"{name} missing or not a number")
    if contract.target_min is not None:
        rows.drop(values < contract.target_min, f"{name} outlier below {contract.target_min}")
    if contract.target_max is not None:
        rows.drop(values > contract.target_max, f"{name} outlier above {contract.target_max}")
    return values


def load_training_data(
    path: Path, contract: DatasetContract
) -> tuple[pd.DataFrame, pd.Series, DataReport]:
    X, y, report = _load(path, contract, with_target=True)
    assert y is not None
    return X, y, report


def load_feature_rows(path: Path, contract: DatasetContract) -> tuple[pd.DataFrame, DataReport]:
    """The feature columns of rows to score (a target column, if present, is ignored)."""
    X, _, report = _load(path, contract, with_target=False)
    return X, report


def _load(
    path: Path, contract: DatasetContract, with_target: bool
) -> tuple[pd.DataFrame, pd.Series | None, DataReport]:
    frame = read_csv(path)
    needed = [*(c.csv_name for c in contract.columns), *([contract.target] if with_target else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks column(s) {', '.join(missing)}; expected header: "
            + ",".join(contract.header)
        )
    sha256 = file_sha256(path)
    report = DataReport(str(path), sha256, rows_read=len(frame), origin=data_origin(path, sha256))
    report.ignored_columns = [c for c in frame.columns if c not in needed]
    rows = _RowFilter(len(frame), report)
    y = _target(frame, contract, rows) if with_target else None
    features = {}
    for col in contract.columns:
        convert = _numeric if col.kind == "numeric" else _categorical
        features[col.name] = convert(frame, col, rows, report)
    X = pd.DataFrame(features)[rows.keep].reset_index(drop=True)
    if y is not None:
        y = y[rows.keep].reset_index(drop=True)
    report.rows_used = len(X)
    blanks = X[list(contract.optional_features)].isna().sum()
    report.missing = {str(c): int(n) for c, n in blanks.items() if n}
    if report.rows_used < MIN_USABLE_ROWS:
        reasons = "; ".join(f"{n} {r}" for r, n in report.dropped.items()) or "no rows"
        raise DataError(f"only {report.rows_used} usable rows in {path} ({reasons})")
    return X, y, report


def write_generated(definition: ServiceDefinition, rows: int, seed: int, out: Path) -> Path:
    """Generate and write atomically: an interrupted run never leaves a truncated CSV."""
    frame = definition.generate(rows, seed)
    header = tuple(frame.columns)
    if header != definition.dataset.header:
        raise DataError(f"generator header {header} differs from {definition.dataset.header}")
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: frame.to_csv(tmp, index=False))
    marker = {"service": definition.name, "rows": rows, "seed": seed, "sha256": file_sha256(out)}
    atomic_write(generated_marker(out), lambda tmp: tmp.write_text(json.dumps(marker) + "\n"))
    return out
