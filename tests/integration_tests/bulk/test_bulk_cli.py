"""``zzz bulk`` end to end: exit statuses, the stop summary, resume after a top-up, ``status``."""

from __future__ import annotations

import json

import pytest
from bulk_kit import KEY, answered, recorded, write_input

from zzz_cli import main


@pytest.fixture
def env(monkeypatch, zzz_simulator):
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    monkeypatch.setenv("ZZZ_BASE_URL", zzz_simulator.base_url)
    return zzz_simulator


def test_balance_stop_exits_3_and_the_same_command_resumes(tmp_path, env, capsys):
    src, out = write_input(tmp_path / "in.jsonl", 30), tmp_path / "out.jsonl"
    cmd = ["bulk", "chat", str(src), "-o", str(out), "--model", "gpt-4o-mini", "--concurrency", "4",
           "--max-concurrency", "4", "--no-progress"]  # fmt: skip
    env.set_credits(10)
    assert main(cmd) == 3
    err = capsys.readouterr().err
    assert "10 of 30 done; top up and run the same command again to resume" in err
    assert "InsufficientBalanceError" in err and KEY not in err
    env.top_up(None)
    assert main(cmd) == 0
    assert "30 of 30 done" in capsys.readouterr().err
    assert set(answered(env).values()) == {1} and len(answered(env)) == 30
    assert main(["bulk", "status", str(out), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["recorded"], status["succeeded"], status["failed"], status["torn_last_line"]) == (30, 30, 0, False)


def test_all_recorded_with_failures_exits_0_and_status_counts_them(tmp_path, env, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 5, kind="embeddings", model="text-embedding-3-small")
    with open(src, "a") as fh:  # an item for a model the gateway does not serve: a per-item error
        fh.write(json.dumps({"custom_id": "bad", "input": "x", "model": "no-such-model"}) + "\n")
    from zzz_testing import Fault

    env.inject(Fault.error("model_not_found"), times=None, model="no-such-model")
    assert main(["bulk", "embed", str(src), "-o", str(out), "--no-progress"]) == 0
    assert "6 of 6 done (1 failed" in capsys.readouterr().err
    assert main(["bulk", "status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 recorded: 5 succeeded, 1 failed" in text and "ModelNotFoundError" in text
    assert [r["custom_id"] for r in recorded(out) if r["error"]] == ["bad"]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"messages": "hi"}', "line 2: messages must be"),
        ('{"input": "x"}', "zzz bulk embed"),
        ("{", "line 2: not valid JSON"),
    ],
)
def test_input_errors_exit_2_before_sending(tmp_path, env, capsys, line, needle):
    src = write_input(tmp_path / "in.jsonl", 1)
    with open(src, "a") as fh:
        fh.write(line + "\n")
    assert main(["bulk", "chat", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", "m", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "nothing was sent" in err
    assert env.count() == 0


def test_usage_errors_exit_2(tmp_path, env, capsys):
    assert main(["bulk", "chat", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "no such input file" in capsys.readouterr().err
    assert main(["bulk", "chat", "x.jsonl"]) == 2  # -o is required
    assert main(["bulk", "status", str(tmp_path / "missing.jsonl")]) == 2


def test_retried_throttles_are_not_one_line_each(tmp_path, env, capsys):
    from zzz_testing import Fault

    src, out = write_input(tmp_path / "in.jsonl", 10), tmp_path / "out.jsonl"
    env.inject(Fault.rate_limit(retry_after=0.01), times=3)
    assert main(["bulk", "chat", str(src), "-o", str(out), "--model", "gpt-4o-mini", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "10 of 10 done" in err and "sending again" not in err
    assert env.count("/chat/completions") == 13
