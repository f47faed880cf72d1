"""``zzz batch`` against the simulator on 127.0.0.1, in-process: submit, status, wait, fetch, cancel, list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from zzz_cli import main
from zzz_core.bulk.results import load_index, read_results
from zzz_testing import GatewaySimulator

KEY = "sk-test-abcdefghijklmnopqrstuvwx1234"
ENV_VARS = ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "ZZZ_MODEL", "OPENAI_API_KEY",
            "OPENAI_BASE_URL", "NO_COLOR")  # fmt: skip


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator() as s:
        t = s.batches.timing  # real seconds here: `zzz batch wait` really polls
        t.validating, t.per_line, t.finalizing, t.cancelling = 0.02, 0.01, 0.02, 0.02
        yield s


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    rows = [{"custom_id": f"q{i}", "messages": [{"role": "user", "content": f"What is {i}+1?"}]} for i in range(4)]
    rows.append({"custom_id": "bad", "messages": [{"role": "user", "content": "x"}], "n": -1})  # a 400 line
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def zzz(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator | None, *argv: str) -> tuple[int, str, str]:
    """Run ``main`` with the global options; no key and no traceback may reach the output."""
    args = ["--api-key", KEY] + (["--base-url", sim.base_url] if sim is not None else []) + list(argv)
    code = main(args)
    out, err = capsys.readouterr()
    assert KEY not in out and KEY not in err and "Traceback" not in err
    return code, out, err


def test_submit_wait_fetch(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator, input_file: Path,
                           tmp_path: Path) -> None:  # fmt: skip
    code, out, err = zzz(capsys, sim, "batch", "submit", str(input_file), "--model", "gpt-4o-mini",
                         "--metadata", "project=demo")  # fmt: skip
    assert code == 0, err
    batch_id = out.strip()
    assert batch_id.startswith("batch_") and "5 requests to /v1/chat/completions" in err

    code, out, err = zzz(capsys, sim, "batch", "status", batch_id, "--json")
    assert code == 0 and json.loads(out)["metadata"] == {"project": "demo"}

    code, out, err = zzz(capsys, sim, "batch", "wait", batch_id, "--poll", "0.01")
    assert code == 0, err
    assert "completed: completed 4, failed 1 of 5" in out
    assert "batch_sim" in err and "completed: completed 4, failed 1 of 5" in err  # plain progress lines

    output = tmp_path / "answers.jsonl"
    code, out, err = zzz(capsys, sim, "batch", "fetch", batch_id, "-o", str(output))
    assert code == 0 and "4 succeeded, 1 failed; 5 lines written" in err
    records = {r["custom_id"]: r for r in read_results(output)}
    assert set(records) == {"q0", "q1", "q2", "q3", "bad"}
    assert records["bad"]["error"]["class"] == "InvalidRequestError"
    assert all(records[f"q{i}"]["error"] is None for i in range(4))
    index = load_index(output)  # the bulk runner's own reader
    assert (index.ok, index.failed) == (4, 1)

    code, out, err = zzz(capsys, sim, "batch", "fetch", batch_id, "-o", str(output))  # again: nothing twice
    assert code == 0 and "0 lines written" in err and "5 were already in" in err
    assert len(list(read_results(output))) == 5

    code, out, err = zzz(capsys, sim, "batch", "list")
    assert code == 0 and out.startswith(batch_id)


def test_bad_input_is_a_usage_error_and_nothing_is_sent(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator,
                                                        tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{"prompt": 5}\n', encoding="utf-8")
    code, out, err = zzz(capsys, sim, "batch", "submit", str(path), "--model", "gpt-4o-mini")
    assert code == 2 and "bad.jsonl:line 2" in err and "nothing was sent" in err
    code, out, err = zzz(capsys, sim, "batch", "submit", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such input file" in err
    code, out, err = zzz(capsys, sim, "batch")
    assert code == 2
    assert sim.count() == 0


def test_a_gateway_without_batches_names_zzz_bulk(capsys: pytest.CaptureFixture[str], input_file: Path) -> None:
    with GatewaySimulator("newapi") as sim:
        code, out, err = zzz(capsys, sim, "--gateway", "4z", "batch", "submit", str(input_file), "-m", "gpt-4o-mini")
        assert code == 1 and "BatchAPIUnsupportedError" in err and "zzz bulk" in err
        code, out, err = zzz(capsys, sim, "batch", "status", "batch_x")
        assert code == 1 and "BatchAPIUnsupportedError" in err


@pytest.mark.parametrize("validating", [None, 3600.0], ids=["in_progress", "still_validating"])
def test_cancel_then_wait_and_fetch(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator, input_file: Path,
                                    tmp_path: Path, validating: float | None) -> None:  # fmt: skip
    sim.batches.timing.per_line = 3600.0  # nothing finishes on its own
    if validating is not None:  # cancelled before its lines were read: each still gets batch_cancelled
        sim.batches.timing.validating = validating
    code, out, _ = zzz(capsys, sim, "batch", "submit", str(input_file), "-m", "gpt-4o-mini")
    batch_id = out.strip()
    code, out, err = zzz(capsys, sim, "batch", "fetch", batch_id, "-o", str(tmp_path / "early.jsonl"))
    assert code == 1 and "BatchPendingError" in err and "zzz batch wait" in err
    code, out, err = zzz(capsys, sim, "batch", "cancel", batch_id)
    assert code == 0 and "cancelling" in out
    code, out, err = zzz(capsys, sim, "batch", "wait", batch_id, "--poll", "0.01", "--no-progress")
    assert code == 1 and "BatchCancelledError" in err and "zzz batch fetch" in err
    output = tmp_path / "partial.jsonl"
    code, out, err = zzz(capsys, sim, "batch", "fetch", batch_id, "-o", str(output))
    assert code == 0 and "--retry-failed" in err
    assert {r["error"]["code"] for r in read_results(output)} == {"batch_cancelled"}


def test_wait_gives_up_after_max_wait(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator,
                                      input_file: Path) -> None:  # fmt: skip
    sim.batches.timing.per_line = 3600.0
    _, out, _ = zzz(capsys, sim, "batch", "submit", str(input_file), "-m", "gpt-4o-mini")
    code, out, err = zzz(capsys, sim, "batch", "wait", out.strip(), "--poll", "0.01", "--max-wait", "0.1")
    assert code == 1 and "BatchPendingError" in err and "timeout" in err


def test_wait_shows_a_tqdm_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from zzz_cli._batch import _WaitDisplay
    from zzz_cli._output import Printer
    from zzz_core.bulk.batch import BatchJob

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    display = _WaitDisplay(Printer(io.StringIO(), screen))
    assert display.bar is not None  # tqdm is installed in the test environment
    for done, status in ((0, "validating"), (3, "in_progress"), (10, "completed")):
        display.update(BatchJob("batch_1", status, total=10, completed=done))
    display.close()
    text = screen.getvalue()
    assert "10/10" in text and "status=completed" in text and "zzz batch:" not in text  # a bar, not lines
