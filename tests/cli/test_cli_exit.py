"""The CLI freezes its objects on the way out (the interpreter's last collections then skip them),
whether the command succeeded or exited with an error."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from smartap_erp import cli


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process goes on: give its objects back to the collector


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["sync", "status"], 2)])
def test_main_freezes_on_exit(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int
) -> None:
    monkeypatch.setattr(sys, "argv", ["smartap-erp", *args])
    assert gc.get_freeze_count() == 0
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == code
    assert gc.get_freeze_count() > 0
