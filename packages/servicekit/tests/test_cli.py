"""The command line: real commands, one-line errors with exit code 2."""

from pathlib import Path

import pytest

from servicekit.cli import run
from telecom.service import DEFINITION


def test_generate_then_train_without_tracking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "users.csv"
    assert run(DEFINITION, ["generate", "--rows", "600", "--seed", "3", "--out", str(data)]) == 0
    assert data.read_text().splitlines()[0] == "calls,minutes,messages,mb_used,is_ultra"
    out = tmp_path / "model"
    code = run(DEFINITION, ["train", "--data", str(data), "--out", str(out), "--cv-folds", "2",
                            "--no-mlflow"])  # fmt: skip
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "model.npz",
        "model.joblib",
        "metadata.json",
        "MODEL_CARD.md",
    }
    assert "[7/7] write artifact" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "data file not found"),
        ("a,b\n1,2\n", "lacks column(s) calls, minutes"),
        ('calls,"minutes\n1,2\n', "cannot parse"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    tmp_path: Path, content: str | None, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "users.csv"
    if content is not None:
        data.write_text(content)
    assert run(DEFINITION, ["train", "--data", str(data), "--no-mlflow"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines
    assert last.startswith("telecom train: error: ") and message in last


def test_bad_arguments_are_rejected_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(DEFINITION, ["generate", "--rows", "5"])
    assert exit_.value.code == 2
    assert "must be at least 100" in capsys.readouterr().err
