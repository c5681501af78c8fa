"""InputError keeps its one-line form across process boundaries: a worker (Dask, multiprocessing) that raises
it hands the parent the same file, line, field and problem."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from crossings.errors import InputError


def _raise(line: int | None) -> None:
    raise InputError("scenarios/x/policies.csv", line, "eligible", "1.5 is not a share between 0 and 1")


@pytest.mark.parametrize("line", [7, None])
def test_input_error_survives_pickling(line):
    e = InputError("scenarios/x/policies.csv", line, "eligible", "1.5 is not a share between 0 and 1")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is InputError
    assert (back.file, back.line, back.field, back.problem) == (e.file, e.line, e.field, e.problem)
    assert str(back) == str(e)


def test_input_error_raised_in_a_worker_process_reaches_the_parent_whole():
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(InputError) as caught:
        pool.submit(_raise, 12).result(timeout=60)
    assert str(caught.value) == "scenarios/x/policies.csv:12: eligible: 1.5 is not a share between 0 and 1"
    assert caught.value.line == 12
