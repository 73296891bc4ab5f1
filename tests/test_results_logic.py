"""Summary, claims, comparison, routing, report and nightly gate on hand-made tidy tables (no Docker)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.errors import HarnessError
from harness.results import claims, compare, nightly, report, route
from harness.results.tables import SAMPLE_COLUMNS, error_class, summary


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A tidy table: every column of `load()`, defaults for what a row does not set."""
    defaults = {
        "run_id": "r1",
        "suite": "terminal_bench",
        "epoch": 1,
        "provider_model": "openai/x",
        "agent": "model",
        "agent_name": "harness",
        "agent_version": "0.1.0",
        "agent_config_hash": "c0nf",
        "route": "native",
        "passed": None,
        "strict": None,
        "limit": None,
        "error": None,
        "error_class": None,
        "infra_error": None,
        "retries": 0,
        "api_retries": 0,
        "api_attempts": 0,
        "model_calls": 0,
        "unpriced_calls": 0,
        "response_models": "",
        "served_drift": "",
        "price_windows": "",
        "input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "total_tokens": 0,
        "cost_usd": 0.0,
        "judge_cost_usd": 0.0,
        "total_time": 1.0,
        "working_time": 1.0,
        "scaffold_hash": "s1",
        "policy_hash": "p1",
        "dataset": "d",
        "dataset_revision": "v1",
        "started_at": None,
        "log": "x.eval",
        "score_metadata": None,
    }
    out = []
    for r in rows:
        row = {**defaults, **r}
        row.setdefault("passed", row["score"] >= 1)
        if row["passed"] is None:
            row["passed"] = row["score"] >= 1
        row["errored"] = bool(row["error"] or row["infra_error"])
        out.append(row)
    return pd.DataFrame(out)[SAMPLE_COLUMNS]


def flat(text: str) -> str:
    """Markdown with runs of spaces collapsed, so assertions ignore column padding."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def binary(model: str, outcomes: list[float], cost: float = 1.0, run_id: str = "r1", **extra: Any) -> list[dict]:
    return [
        {"model": model, "task": f"t{i}", "score": s, "cost_usd": cost, "run_id": run_id, **extra}
        for i, s in enumerate(outcomes)
    ]


def test_error_class() -> None:
    assert error_class("RuntimeError('boom')") == "RuntimeError"
    assert error_class("docker.errors.APIError(500)") == "APIError"
    assert error_class("something odd") == "error"
    assert error_class(None) is None


def test_summary_counts_errors_as_failures_and_excludes_them_in_the_valid_score() -> None:
    df = frame(
        [
            {"model": "m", "task": "a", "score": 1.0, "cost_usd": 0.2},
            {"model": "m", "task": "b", "score": 1.0, "cost_usd": 0.2},
            {"model": "m", "task": "c", "score": 0.0, "cost_usd": 0.1, "infra_error": "verifier_timeout"},
            {"model": "m", "task": "d", "score": float("nan"), "cost_usd": 0.1, "error": "RuntimeError('x')"},
        ]
    )
    row = summary(df).iloc[0]
    assert row["score"] == 0.5 and row["score_valid"] == 1.0 and row["n_valid"] == 2
    assert row["errors"] == 2 and row["infra_errors"] == 1
    assert row["cost_usd"] == pytest.approx(0.6) and row["cost_per_solved"] == pytest.approx(0.3)
    # Wilson 2/4: centre (0.5 + 0.480182) / 1.960365 = 0.5, half = 1.959964 · sqrt(0.0625 + 0.060023) / 1.960365
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(0.150038, abs=1e-5), pytest.approx(0.849962, abs=1e-5))


def _registry(tmp_path: Path, body: str) -> claims.Registry:
    path = tmp_path / "claims.toml"
    path.write_text(
        '[sources.s]\ntitle = "A card"\n[benchmarks.tb]\nname = "TB"\nsuite = "terminal_bench"\ntasks = 89\n' + body
    )
    return claims.load_registry(path)


def test_claims_verdicts(tmp_path: Path) -> None:
    registry = _registry(
        tmp_path,
        "".join(
            f'[[claims]]\nbenchmark = "tb"\nmodel = "{m}"\nvalue = {v}\nsource = "s"\n'
            for m, v in (("high", 20.0), ("low", 90.0), ("same", 55.0))
        ),
    )
    df = frame(
        binary("high", [1] * 8 + [0] * 2)
        + binary("low", [1] * 5 + [0] * 5)
        + binary("same", [1] * 5 + [0] * 5)
        + binary("nobody", [1])
    )
    table = claims.check(df, registry).set_index("model")
    # 8/10: Wilson [0.490162, 0.943318] lies above 20%; 5/10: [0.236593, 0.763407] lies below 90%, contains 55%
    assert table.at["high", "verdict"] == claims.HIGHER
    assert table.at["low", "verdict"] == claims.LOWER
    assert table.at["same", "verdict"] == claims.CONSISTENT
    assert table.at["high", "ci_low"] == pytest.approx(0.490162, abs=1e-5)
    assert table.at["low", "gap_points"] == pytest.approx(-40.0)
    # tasks to tell 90% from 50%: ((1.959964·0.3 + 0.841621·0.5) / 0.4)² = 6.36 -> 7
    assert table.at["low", "tasks_for_observed_gap"] == 7
    # 5 points below 55%: ((1.959964·0.497494 + 0.841621·0.5) / 0.05)² = 779.39 -> 780 (> all 89 tasks)
    assert table.at["same", "tasks_for_gap"] == 780
    assert "780 (> all 89)" in claims.format_claims(table.reset_index())
    assert claims.unclaimed(df, registry) == [("terminal_bench", "nobody")]


def test_claims_refuse_a_measurement_answered_by_another_model(tmp_path: Path) -> None:
    from harness.results.report import DRIFT_MARK, render

    registry = _registry(
        tmp_path,
        '[[claims]]\nbenchmark = "tb"\nmodel = "flash"\nmeasured_by = ["flash@vllm", "flash"]\nvalue = 50.0\n'
        'source = "s"\n',
    )
    rows = binary("flash", [1, 0]) + binary("flash@vllm", [1, 1, 0, 0])
    rows[0]["served_drift"] = "v4.1-flash=3"
    df = frame(rows)
    table = claims.check(df, registry)
    assert list(table["model"]) == ["flash via flash@vllm"]  # the open weights measure the claim
    [line] = claims.refused(df, registry)
    assert line.startswith("refused: terminal_bench / flash against the claim for flash: the vendor answered with ")
    assert "v4.1-flash (3 calls)" in line and "--allow-served-drift" in line
    allowed = claims.check(df, registry, allow_served_drift=True).set_index("model")
    assert allowed.at["flash", "served_drift"] == "v4.1-flash (3 calls)"
    assert "served drift (allowed)" in claims.format_claims(allowed.reset_index())
    report = render(df)
    assert f"| flash{DRIFT_MARK} |" in report and "terminal_bench / flash: served-model drift" in report


def test_claims_file_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"claims\[0\]\.source 'nope' is not in \[sources\]"):
        _registry(tmp_path, '[[claims]]\nbenchmark = "tb"\nmodel = "m"\nvalue = 50\nsource = "nope"\n')
    with pytest.raises(HarnessError, match=r"claims\.0\.value"):
        _registry(tmp_path, '[[claims]]\nbenchmark = "tb"\nmodel = "m"\nvalue = "x"\nsource = "s"\n')


def test_unreadable_claims_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=rf"^--claims {tmp_path}: is a directory; name a file$"):
        claims.load_registry(tmp_path)
    binary_file = tmp_path / "claims.toml"
    binary_file.write_bytes(b"\xff\xfe[sources]\n")
    with pytest.raises(HarnessError, match=rf"^--claims {binary_file}: not UTF-8 text \(byte 0\)"):
        claims.load_registry(binary_file)


def test_bundled_claims_registry_loads_with_the_model_card_values() -> None:
    registry = claims.load_registry()
    values = {(c.benchmark, c.model): c.value for c in registry.claims}
    assert values[("terminal_bench", "deepseek-v4-pro")] == 67.9
    assert values[("mcp_atlas", "claude-opus-4-6")] == 73.8
    assert values[("swe_verified", "deepseek-v4-flash")] == 79.0
    assert values[("livecodebench", "deepseek-v4-pro")] == 93.5
    assert len(registry.claims) == 20


def test_compare_mcnemar_and_direction() -> None:
    a = frame(binary("a", [1] * 10, run_id="ra"))
    b = frame(binary("b", [1] * 4 + [0] * 6, run_id="rb"))
    (c,) = compare.compare_frames(a, b)
    assert (c.both, c.a_only, c.b_only, c.neither) == (4, 6, 0, 0)
    assert c.mcnemar_p == pytest.approx(0.03125)
    assert c.significant and c.verdict == "a higher (significant)"
    assert c.diff.estimate == pytest.approx(-0.6)
    text = compare.format_comparison(c)
    assert "McNemar exact test: discordant 6 vs 0, p = 0.03125" in text


def test_compare_same_model_labels_runs_and_counts_unpaired() -> None:
    a = frame(binary("m", [1, 0, 1], run_id="ra"))
    b = frame(binary("m", [1, 1], run_id="rb"))
    (c,) = compare.compare_frames(a, b)
    assert (c.label_a, c.label_b) == ("m@ra", "m@rb")
    assert (c.pairs, c.unpaired_a, c.unpaired_b) == (2, 1, 0)
    assert c.mcnemar_p == 1.0 and not c.significant


def test_compare_rewards_use_the_permutation_test() -> None:
    a = frame(binary("a", [0.5, 0.2, 0.3], run_id="ra"))
    b = frame(binary("b", [0.7, 0.4, 0.4], run_id="rb"))
    (c,) = compare.compare_frames(a, b)
    assert not c.binary and c.mcnemar_p is None
    assert c.permutation_p == pytest.approx(0.25)  # 3 tasks, all differences positive: 2/8
    assert c.diff.estimate == pytest.approx(0.5 / 3)


def test_compare_rejects_a_side_with_two_models() -> None:
    with pytest.raises(HarnessError, match="RUN_A holds 2 models"):
        compare.compare_frames(frame(binary("a", [1]) + binary("b", [1])), frame(binary("c", [1])))


def test_route_oracle_single_and_cascade() -> None:
    # cheap: passes t0, fails t1 by hitting a limit (a visible failure) and fails t2 cleanly (a silent one)
    cheap = [
        {"model": "cheap", "task": "t0", "score": 1.0, "cost_usd": 1.0},
        {"model": "cheap", "task": "t1", "score": 0.0, "cost_usd": 1.0, "limit": "token"},
        {"model": "cheap", "task": "t2", "score": 0.0, "cost_usd": 1.0},
    ]
    dear = binary("dear", [1, 1, 1], cost=10.0)
    r = route.route(frame(cheap + dear))
    assert r.models == ["cheap", "dear"] and r.requests == 3
    p = r.policies.set_index("policy")
    assert (p.at["cheap", "score"], p.at["cheap", "cost_usd"]) == (pytest.approx(1 / 3), 3.0)
    assert (p.at["dear", "score"], p.at["dear", "cost_usd"]) == (1.0, 30.0)
    assert (p.at["oracle router", "score"], p.at["oracle router", "cost_usd"]) == (1.0, 21.0)
    # cascade: t0 answered by cheap (1), t1 escalated (1 + 10), t2 accepted although wrong (1)
    assert (p.at["cheap -> dear", "score"], p.at["cheap -> dear", "cost_usd"]) == (pytest.approx(2 / 3), 13.0)
    assert p.at["cheap -> dear", "share cheap"] == pytest.approx(2 / 3)
    assert list(r.cheapest["cheapest solver"]) == ["cheap", "dear", "dear"]
    # with the (unrealistic) verifier signal the cascade escalates t2 too
    v = route.route(frame(cheap + dear), {"terminal_bench": "verifier"}).policies.set_index("policy")
    assert (v.at["cheap -> dear", "score"], v.at["cheap -> dear", "cost_usd"]) == (1.0, 23.0)


def test_route_score_metadata_signal_with_fallback() -> None:
    meta = [json.dumps({"public_tests_passed": v}) for v in (True, False)]
    cheap = [
        {"model": "cheap", "task": "t0", "score": 1.0, "cost_usd": 1.0, "score_metadata": meta[0]},
        {"model": "cheap", "task": "t1", "score": 0.0, "cost_usd": 1.0, "score_metadata": meta[1]},
        {"model": "cheap", "task": "t2", "score": 0.0, "cost_usd": 1.0},
    ]
    r = route.route(
        frame(cheap + binary("dear", [1, 1, 1], cost=10.0)), {"terminal_bench": "score_metadata:public_tests_passed"}
    )
    p = r.policies.set_index("policy")
    assert p.at["cheap -> dear", "cost_usd"] == 13.0  # t1 escalates on the metadata; t2 falls back (clean finish)
    assert r.fallbacks["terminal_bench"] == 4  # cheap t2 and the three attempts of dear


def test_route_errors() -> None:
    with pytest.raises(HarnessError, match="two or more models"):
        route.route(frame(binary("a", [1])))
    with pytest.raises(HarnessError, match="no price for b"):
        route.route(frame(binary("a", [1]) + binary("b", [1], cost=float("nan"))))
    with pytest.raises(HarnessError, match="unknown routing signal"):
        route.check_signal("vibes")


def test_route_signal_option_rejects_unknown_suites_and_warns_on_unused_signals() -> None:
    with pytest.raises(
        HarnessError, match=r"^--signal nosuite=verifier: unknown suite 'nosuite'; valid: .*terminal_bench"
    ):
        route.parse_signals(["nosuite=verifier"])
    with pytest.raises(HarnessError, match="expected SUITE=SIGNAL"):
        route.parse_signals(["terminal_bench"])
    assert route.parse_signals(["terminal_bench=verifier"]) == {"terminal_bench": "verifier"}
    meta = json.dumps({"public_tests_passed": True})
    df = frame(binary("a", [1, 0], score_metadata=meta) + binary("b", [1, 1]))
    assert route.signal_warnings(df, {"terminal_bench": "score_metadata:public_tests_passed"}) == []
    assert route.signal_warnings(df, {"terminal_bench": "verifier"}) == []
    warnings = route.signal_warnings(df, {"terminal_bench": "score_metadata:nokey", "mcp_atlas": "verifier"})
    assert warnings == [
        "--signal terminal_bench=score_metadata:nokey: no terminal_bench attempt records score metadata key "
        "'nokey', so every attempt uses clean_finish; keys present: public_tests_passed",
        "--signal mcp_atlas=verifier: no results of suite mcp_atlas; the signal is unused",
    ]


def test_report_pareto_and_notes(tmp_path: Path) -> None:
    df = frame(
        binary("cheap", [1, 0], cost=1.0)
        + binary("dear", [1, 1], cost=5.0)
        + binary("waste", [1, 0], cost=9.0, infra_error="sandbox_died")
        + binary("mixed", [1, 1], cost=9.0)
        + [{"model": "mixed", "task": "t2", "score": 1.0, "cost_usd": 9.0, "scaffold_hash": "s2"}]
    )
    table = summary(df)
    front = dict(zip(table["model"], report.pareto_frontier(table), strict=True))
    assert front == {"cheap": True, "dear": True, "mixed": False, "waste": False}
    text, written = report.write_report(df, tmp_path)
    assert [p.name for p in written] == ["report.md", "pareto.png"]
    assert (tmp_path / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| cheap | harness | 50.0 [9.5, 90.5] | 50.0 (n=2) | 2 (2 tasks x 1) | 0 | $2.00 | $2.00 |" in flat(text)
    assert "| waste | harness | 0.0 [0.0, 65.8] | n/a (n=0) | 2 (2 tasks x 1) | 2 | $18.00 | n/a |" in flat(text)
    assert "terminal_bench / mixed: rows come from 2 different scaffold versions" in text
    assert "terminal_bench / waste: 2 attempt(s) failed for reasons other than the model (sandbox_died x2)" in text


def test_report_out_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.write_text("x")
    df = frame(binary("m", [1, 0]))
    with pytest.raises(HarnessError, match=rf"^--out {out}: is a file, not a directory"):
        report.write_report(df, out, plot=False)
    with pytest.raises(HarnessError, match=rf"^--out {out / 'sub'}: cannot create the directory"):
        report.write_report(df, out / "sub", plot=False)


def test_nightly_gate_flags_a_significant_regression_and_infra_rate() -> None:
    config = nightly.NightlyConfig(version=1, epochs=3, alpha=0.05, max_infra_error_rate=0.1, suites={})
    base = frame(
        [{"model": "m", "task": f"t{t}", "epoch": e, "score": 1.0, "run_id": "b"} for t in range(2) for e in (1, 2, 3)]
    )
    worse = base.assign(score=0.0, passed=False, run_id="now")
    result = nightly.gate(worse, base, {"subset_version": 1}, config)
    assert [c.suite for c in result.regressions] == ["terminal_bench"]
    assert result.regressions[0].mcnemar_p == pytest.approx(0.03125) and not result.ok
    same = nightly.gate(base.assign(run_id="now"), base, {"subset_version": 1}, config)
    assert same.ok and not same.regressions
    broken = base.assign(run_id="now", infra_error=["sandbox"] + [None] * 5)
    broken["errored"] = broken["infra_error"].notna()
    flagged = nightly.gate(broken, base, {"subset_version": 2}, config)
    assert flagged.infra_rate == pytest.approx(1 / 6) and flagged.infra_failed and not flagged.regressions
    assert "baseline recorded for subset version 2, now 1" in flagged.notes


def test_nightly_explicit_baseline_must_hold_a_baseline_and_the_run_must_be_of_the_model(tmp_path: Path) -> None:
    missing, afile, empty = tmp_path / "nope", tmp_path / "afile", tmp_path / "empty"
    afile.write_text("x")
    empty.mkdir()
    with pytest.raises(HarnessError, match=rf"^--baseline {missing}: no such directory"):
        nightly.check_baseline_option(missing, "m", update=False)
    for update in (False, True):
        with pytest.raises(HarnessError, match=rf"^--baseline {afile}: is a file"):
            nightly.check_baseline_option(afile, "m", update=update)
    with pytest.raises(HarnessError, match=rf"^--baseline {empty}: not a baseline \(needs samples.csv"):
        nightly.check_baseline_option(empty, "m", update=False)
    nightly.check_baseline_option(missing, "m", update=True)  # --update-baseline creates it
    config = nightly.NightlyConfig(version=1, epochs=1, alpha=0.05, max_infra_error_rate=0.1, suites={})
    df = frame(binary("m", [1, 0]))
    nightly.write_baseline(df, empty, config)
    nightly.check_baseline_option(empty, "m", update=False)
    (empty / "samples.csv").write_text("")
    with pytest.raises(HarnessError, match=r"samples\.csv holds no attempts"):
        nightly.check_baseline_option(empty, "m", update=False)
    nightly.check_run_model(df, "m", tmp_path)
    with pytest.raises(HarnessError, match=rf"^--model nope: the run in --run-dir {tmp_path} is of model m;"):
        nightly.check_run_model(df, "nope", tmp_path)


def test_nightly_config_is_valid() -> None:
    config = nightly.load_config()
    assert config.epochs >= 1 and "terminal_bench" in config.suites
    present, _ = nightly.present_suites(config)
    assert "terminal_bench" in present
    with pytest.raises(HarnessError, match="not in the nightly subset"):
        nightly.present_suites(config, ["nope"])


def test_report_notes_hook_prints_suite_notes_and_contamination_warnings(tmp_path: Path, monkeypatch) -> None:
    from harness import models

    run = tmp_path / "run"
    (run / "logs").mkdir(parents=True)
    (run / "manifest.json").write_text(
        json.dumps(
            {
                "model": {"alias": "m"},
                "suites": {
                    "livecodebench": {
                        "dataset": {
                            "notes": ["release v6"],
                            "problem_dates": {"start": "2025-01-01", "end": "2025-05-01"},
                        }
                    }
                },
            }
        )
    )
    entries = {**models.registry(), "m": {"kind": "model", "release_date": "2025-03-01"}}
    monkeypatch.setattr(models, "registry", lambda: entries)
    df = frame(binary("m", [1, 0], log=str(run / "logs" / "x.eval"), suite="livecodebench"))
    text = report.render(df)
    assert "- livecodebench (r1): release v6" in text
    assert (
        "- livecodebench / m: problems from 2025-01-01 to 2025-05-01 start before the model's release on "
        "2025-03-01; part of the window may be contaminated (narrow it with --start-date)."
    ) in text
    entries["m"]["release_date"] = "2024-12-01"
    assert "contaminated" not in report.render(df)


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "/no/such/run", "/no/such/other"],
        ["report", "/no/such/run"],
        ["route", "--signal", "vibes", "/tmp"],
        ["claims", "--claims", "/no/claims.toml"],
        ["claims", "--claims", "/tmp"],
        ["route", "--signal", "nosuite=verifier", "/tmp"],
        ["nightly", "--model", "m", "--run-dir", "/tmp", "--baseline", "/no/such/baseline"],
    ],
)
def test_results_commands_bad_input_is_one_line_error(args: list[str], capsys, tmp_path: Path, monkeypatch) -> None:
    from harness.cli import main

    monkeypatch.setenv("HARNESS_RESULTS_DIR", str(tmp_path / "results"))
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["compare", "--alpha", "2", "a", "b"], "argument --alpha: 2 is not in (0, 1)"),
        (["compare", "--alpha=-1", "a", "b"], "argument --alpha: -1 is not in (0, 1)"),
        (["compare", "--alpha", "0", "a", "b"], "argument --alpha: 0 is not in (0, 1)"),
        (["compare", "--alpha", "nan", "a", "b"], "argument --alpha: nan is not in (0, 1)"),
        (["claims", "--gap=-5"], "argument --gap: -5 is not in (0, 100]"),
        (["claims", "--gap", "0"], "argument --gap: 0 is not in (0, 100]"),
        (["claims", "--gap", "nan"], "argument --gap: nan is not in (0, 100]"),
        (["claims", "--gap", "x"], "argument --gap: 'x' is not a number"),
        (["nightly", "--model", "m", "--epochs", "0"], "argument --epochs: 0 is not 1 or more"),
        (["nightly", "--model", "m", "--epochs=-1"], "argument --epochs: -1 is not 1 or more"),
    ],
)
def test_results_option_ranges_are_checked_by_argparse(args: list[str], expected: str, capsys) -> None:
    from harness.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


def test_corrupt_eval_log_is_an_error_naming_the_file(tmp_path: Path, capsys) -> None:
    from harness.cli import main
    from harness.results.tables import load

    bad = tmp_path / "x.eval"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(HarnessError, match=rf"^{bad}: not a readable inspect log \(EOCD not found\); remove it"):
        load([bad])
    run = tmp_path / "run"
    (run / "logs").mkdir(parents=True)
    (run / "logs" / "y.eval").write_bytes(b"")
    for args in (["report", str(run)], ["compare", str(run), str(bad)]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "y.eval: not a readable inspect log" in err[0]


def test_scripted_turns_carry_usage_and_bad_usage_is_a_one_line_error(tmp_path: Path) -> None:
    from harness.scripted import USAGE, load_script, to_output

    turn = {
        "content": "x",
        "usage": {"input_tokens": 900, "input_tokens_cache_read": 4000, "output_tokens": 150, "reasoning_tokens": 60},
    }
    usage = to_output(turn, 0).usage
    assert (
        usage.input_tokens,
        usage.input_tokens_cache_read,
        usage.output_tokens,
        usage.reasoning_tokens,
        usage.total_tokens,
    ) == (900, 4000, 150, 60, 5050)
    assert to_output({"content": "y"}, 1).usage == USAGE
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"*": [{"content": "x", "usage": {"input_tokens": "many"}}]}))
    with pytest.raises(HarnessError, match=r"--script .*bad\.json: \*\[0\]: turn usage input_tokens: Input should be"):
        load_script(bad)


def test_usage_cost_prices_per_call_and_falls_back() -> None:
    from datetime import date

    from inspect_ai.model import ModelUsage

    from harness.results.calls import usage_cost

    calls = [ModelUsage(input_tokens=150_000, output_tokens=1000), ModelUsage(input_tokens=150_000, output_tokens=1000)]
    # Gemini 3.1 Pro bills prompts above 200K at $4/$18: two 150K prompts stay at $2/$12 each
    assert usage_cost("gemini-3.1-pro", "google/gemini-3.1-pro", calls, date(2026, 6, 1)) == pytest.approx(
        (300_000 * 2 + 2000 * 12) / 1e6
    )
    one = [ModelUsage(input_tokens=300_000, output_tokens=2000)]
    assert usage_cost("gemini-3.1-pro", "google/gemini-3.1-pro", one, date(2026, 6, 1)) == pytest.approx(
        (300_000 * 4 + 2000 * 18) / 1e6
    )
    assert usage_cost("nope", "x/nope", [ModelUsage(input_tokens=1, total_cost=0.5)], None) == 0.5
    assert usage_cost(None, "mockllm/scripted", [ModelUsage(input_tokens=10)], None) == 0.0
    assert math.isnan(usage_cost("nope", "x/nope", [ModelUsage(input_tokens=10)], None))


def test_calls_are_priced_one_by_one_at_their_own_time_and_unpriced_calls_are_unknown() -> None:
    from datetime import UTC, datetime

    from inspect_ai.model import ModelUsage

    from harness.models import resolve
    from harness.results.calls import Call, call_columns

    peak, off = datetime(2026, 12, 2, 9, 59, tzinfo=UTC), datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a boundary
    usage = ModelUsage(input_tokens=1_000_000, output_tokens=100_000)
    pro = "deepseek/deepseek-v4-pro"
    calls = [
        Call(pro, None, peak, failed=True),  # 429: sent, not answered, not billed
        Call(pro, None, peak, failed=True),  # 500
        Call(pro, usage, peak, response_model="deepseek-v4-pro"),  # one logical call, two retries
        Call(pro, usage, off, response_model="deepseek-v4-pro"),
        # a judge on DeepSeek's Anthropic route: priced by its price key (deepseek-flash), default plan, off-peak
        Call("anthropic/deepseek-flash", usage, off, response_model="deepseek-flash"),
    ]
    columns = call_columns(calls, {}, pro, "deepseek-v4-pro", {}, peak, drifted=resolve("deepseek-v4-pro").drifted)
    assert columns["cost_usd"] == pytest.approx((1.32 + 0.1 * 3.96) + (0.66 + 0.1 * 1.98))
    assert columns["judge_cost_usd"] == pytest.approx(0.15 + 0.1 * 0.60)
    assert (columns["model_calls"], columns["api_attempts"], columns["api_retries"]) == (3, 5, 2)
    assert columns["unpriced_calls"] == 0 and columns["served_drift"] == ""
    assert columns["response_models"] == "deepseek-flash=1;deepseek-v4-pro=2"  # never the placeholder of a failure
    assert columns["price_windows"] == "list/off-peak=1;list/peak=1"
    # a call that failed for good is one logical call with no answer
    failed = call_columns([Call(pro, None, peak, failed=True)] * 3, {}, pro, "deepseek-v4-pro", {}, peak)
    assert (failed["model_calls"], failed["api_retries"], failed["response_models"]) == (1, 2, "")
    # no model event with usage: the sample summary's usage is priced at the sample's start
    summary = call_columns([], {pro: usage}, pro, "deepseek-v4-pro", {}, off)
    assert summary["cost_usd"] == pytest.approx(0.66 + 0.1 * 1.98)
    served = "openai-api/openai-compatible/my-model"
    unpriced = call_columns([Call(served, usage, peak)] * 2, {}, served, "openai-compatible/my-model", {}, peak)
    assert math.isnan(unpriced["cost_usd"]) and unpriced["unpriced_calls"] == 2
    pseudo = call_columns([Call("mockllm/scripted", usage, peak)], {}, "mockllm/scripted", "scripted", {}, peak)
    assert (pseudo["cost_usd"], pseudo["unpriced_calls"]) == (0.0, 0)


def test_served_model_drift_is_marked_and_priced_at_the_served_model() -> None:
    from datetime import UTC, datetime

    from inspect_ai.model import ModelUsage

    from harness.models import resolve
    from harness.results.calls import Call, call_columns

    at, usage = datetime(2026, 12, 2, 8, 0, tzinfo=UTC), ModelUsage(input_tokens=1_000_000, output_tokens=0)
    pro = "deepseek/deepseek-v4-pro"
    drifted = resolve("deepseek-v4-pro").drifted
    calls = [Call(pro, usage, at, response_model="deepseek-flash"), Call(pro, usage, at, response_model=None)]
    columns = call_columns(calls, {}, pro, "deepseek-v4-pro", {}, at, drifted=drifted)
    assert columns["served_drift"] == "deepseek-flash=1"
    assert columns["cost_usd"] == pytest.approx(0.30 + 1.32)  # the Flash answer at Flash's peak rate


def test_strict_verdicts_of_every_suite_share_one_type_and_write_to_parquet(tmp_path) -> None:
    """SWE's resolved_strict is a bool, Terminal-Bench's reward_strict a float: an all-suite samples table once failed
    to write its parquet file on the mix."""
    from harness.results.tables import _strict

    column = [_strict(v) for v in (True, False, 1.0, 0.0, None)]
    assert column == [1.0, 0.0, 1.0, 0.0, None]
    pd.DataFrame({"strict": column}).to_parquet(tmp_path / "samples.parquet", index=False)
    assert pd.read_parquet(tmp_path / "samples.parquet")["strict"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]


# --- agents: never pooled; the scaffold-sensitivity table ---

MINI, CLAUDE = "mini-swe-agent", "claude-code"


def agents_frame() -> pd.DataFrame:
    """Model m on 10 tasks under the fixed scaffold (8 pass), via its Anthropic route (8 pass, 2 of them other tasks)
    and under mini-swe-agent on the first 8 tasks (2 pass); model x under two non-default agents; model solo once."""
    return frame(
        binary("m", [1] * 8 + [0] * 2, run_id="r1", scaffold_hash="s-harness")
        + binary("m@anthropic", [1] * 6 + [0] * 2 + [1] * 2, run_id="r2", route="anthropic", scaffold_hash="s-harness")
        + binary("m", [1] * 2 + [0] * 6, run_id="r3", agent_name=MINI, scaffold_hash="s-mini")
        + binary("x", [1, 1], run_id="r4", agent_name=MINI, scaffold_hash="s-mini")
        + binary("x", [1, 0], run_id="r5", agent_name=CLAUDE, scaffold_hash="s-claude")
        + binary("solo", [1], run_id="r6")
    )


def test_summary_and_the_console_table_keep_agents_apart() -> None:
    from harness.results.tables import format_summary

    table = summary(agents_frame()).set_index(["model", "agent_name"])
    assert list(table.index) == [
        ("m", "harness"),
        ("m", MINI),
        ("m@anthropic", "harness"),
        ("solo", "harness"),
        ("x", CLAUDE),
        ("x", MINI),
    ]
    assert (table.at[("m", "harness"), "score"], table.at[("m", MINI), "score"]) == (0.8, 0.25)
    assert (table.at[("m", "harness"), "n"], table.at[("m", MINI), "n"]) == (10, 8)
    assert table.at[("m@anthropic", "harness"), "route"] == "anthropic" and table.at[("m", MINI), "route"] == "native"
    text = flat(format_summary(summary(agents_frame())))
    assert "| terminal_bench | m | harness | 10 | 0.800 | [0.490, 0.943] |" in text  # Wilson 8/10
    assert "| terminal_bench | m | mini-swe-agent | 8 | 0.250 | [0.071, 0.591] |" in text  # Wilson 2/8


def test_sensitivity_table_pairs_each_agent_and_route_with_the_fixed_scaffold(tmp_path: Path) -> None:
    from harness.results.sensitivity import format_sensitivity, sensitivity
    from harness.results.stats import paired_bootstrap, wilson

    table = sensitivity(agents_frame())
    assert list(zip(table["family"], table["agent_name"], table["route"], strict=True)) == [
        ("m", "harness", "native"),
        ("m", "harness", "anthropic"),
        ("m", MINI, "native"),
        ("x", CLAUDE, "native"),  # no fixed-scaffold run of x: the first agent by name is the reference
        ("x", MINI, "native"),
    ]
    rows = table.set_index(["family", "agent_name", "route"])
    ref, route_row, mini = (
        rows.loc[("m", "harness", "native")],
        rows.loc[("m", "harness", "anthropic")],
        rows.loc[("m", MINI, "native")],
    )
    assert ref["reference"] == "harness / native" and math.isnan(ref["diff"]) and ref["paired_tasks"] == 0
    # the route: the same 8 of 10 pass, two swapped: discordant 2 vs 2, McNemar p = 1, mean difference 0
    assert (route_row["paired_tasks"], route_row["pairs"], route_row["diff"], route_row["p_value"]) == (10, 10, 0, 1)
    swapped = paired_bootstrap([[0.0]] * 6 + [[-1.0]] * 2 + [[1.0]] * 2).interval  # tasks t0..t9 in order
    assert (route_row["diff_low"], route_row["diff_high"]) == (swapped.low, swapped.high) == (-0.4, 0.4)
    # mini-swe-agent ran t0..t7, which the scaffold all passed; it passed 2: 6 vs 0 discordant, p = 2 · 0.5⁶
    assert (mini["paired_tasks"], mini["pairs"], mini["p_value"]) == (8, 8, pytest.approx(0.03125))
    expected = paired_bootstrap([[0.0]] * 2 + [[-1.0]] * 6).interval
    assert (mini["diff"], mini["diff_low"], mini["diff_high"]) == (-0.75, expected.low, expected.high)
    assert (expected.low, expected.high) == (-1.0, pytest.approx(-0.375))  # seeded: resamples of 8 tasks
    assert (mini["score"], mini["ci_low"]) == (0.25, pytest.approx(wilson(2, 8).low))
    assert list(rows.loc["m", "spread"]) == [pytest.approx(0.55)] * 3 and list(rows.loc["x", "spread"]) == [0.5] * 2
    text = flat("\n".join(format_sensitivity(table)))
    assert "### terminal_bench / m" in text and "### terminal_bench / solo" not in text
    assert "| agent | route | n | score % (95% CI) | vs harness / native: pts (95% CI) | paired | p |" in text
    assert "| harness | native | 10 (10 tasks x 1) | 80.0 [49.0, 94.3] | reference | | |" in text
    assert (
        "| harness | anthropic | 10 (10 tasks x 1) | 80.0 [49.0, 94.3] | +0.0 [-40.0, +40.0] "
        "| 10 tasks (10 attempts) | 1 |" in text
    )
    assert (
        "| mini-swe-agent | native | 8 (8 tasks x 1) | 25.0 [7.1, 59.1] | -75.0 [-100.0, -37.5] "
        "| 8 tasks (8 attempts) | 0.03125 |" in text
    )
    assert "Spread: 55.0 points over 3 measurements." in text
    assert "| vs claude-code / native: pts (95% CI) |" in text and "Spread: 50.0 points over 2 measurements." in text
    report_text, written = report.write_report(agents_frame(), tmp_path)
    assert [p.name for p in written] == ["report.md", "pareto.png", "sensitivity.png"]
    assert (tmp_path / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Scaffold sensitivity" in report_text
    assert "| m | mini-swe-agent | 25.0 [7.1, 59.1] |" in flat(report_text)  # the suite table's agent column
    one_agent = frame(binary("m", [1, 0]) + binary("n", [1, 1]))
    assert sensitivity(one_agent).empty and "Scaffold sensitivity" not in report.render(one_agent)
    assert [p.name for p in report.write_report(one_agent, tmp_path / "one")[1]] == ["report.md", "pareto.png"]


def test_compare_pairs_one_model_across_agents_and_refuses_a_side_of_two_agents() -> None:
    df = agents_frame()
    harness_m, mini_m = df[(df["run_id"] == "r1")], df[(df["run_id"] == "r3")]
    (c,) = compare.compare_frames(harness_m, mini_m)
    assert (c.label_a, c.label_b) == ("m [harness]", f"m [{MINI}]")
    assert (c.pairs, c.unpaired_a, c.unpaired_b, c.a_only, c.b_only) == (8, 2, 0, 6, 0)
    assert c.mcnemar_p == pytest.approx(0.03125) and c.caveat == ""
    assert "## terminal_bench: m [harness] (A) vs m [mini-swe-agent] (B)" in compare.format_comparison(c)
    with pytest.raises(HarnessError, match=r"^RUN_A holds 2 agents \(harness, mini-swe-agent\); results of different"):
        compare.compare_frames(pd.concat([harness_m, mini_m]), df[df["run_id"] == "r2"])
    (mixed,) = compare.compare_frames(df[df["run_id"] == "r2"], df[df["run_id"] == "r5"].assign(task=["t0", "t1"]))
    assert mixed.caveat.startswith("the sides differ in both model (m, x) and agent (harness, claude-code)")
    assert f"- note: {mixed.caveat}" in compare.format_comparison(mixed)
    (route_only,) = compare.compare_frames(harness_m, df[df["run_id"] == "r2"])  # one agent: labels are the aliases
    assert (route_only.label_a, route_only.label_b, route_only.caveat) == ("m", "m@anthropic", "")


def test_claims_name_the_agent_and_refuse_a_pooled_measurement(tmp_path: Path) -> None:
    registry = _registry(tmp_path, '[[claims]]\nbenchmark = "tb"\nmodel = "m"\nvalue = 50.0\nsource = "s"\n')
    df = agents_frame()
    table = claims.check(df, registry).set_index("agent")
    assert list(table.index) == ["harness", MINI] and set(table["model"]) == {"m"}
    assert (table.at["harness", "measured"], table.at[MINI, "measured"]) == (0.8, 0.25)
    assert "| TB | m | mini-swe-agent | 50.0 | 25.0 [7.1, 59.1] |" in flat(claims.format_claims(table.reset_index()))
    assert claims.refused(df, registry) == []
    upgraded = frame(binary("m", [1] * 4, run_id="r7", agent_name=MINI, scaffold_hash="s-mini-2"))
    pooled = pd.concat([df, upgraded.assign(task=[f"u{i}" for i in range(4)])], ignore_index=True)
    assert list(claims.check(pooled, registry)["agent"]) == ["harness"]
    assert claims.refused(pooled, registry, allow_served_drift=True) == [
        "refused: terminal_bench / m [mini-swe-agent] against the claim for m: its rows come from 2 scaffold hashes "
        "(s-mini, s-mini-2: versions or configurations of agent mini-swe-agent), not one measurement; pass the runs "
        "of one of them"
    ]


def test_route_keeps_each_agent_a_candidate_of_its_own() -> None:
    df = agents_frame()
    r = route.route(df[df["run_id"].isin(["r1", "r3"])])
    assert r.models == ["m", f"m [{MINI}]"] and r.requests == 8 and r.dropped == 2
    assert r.policies.set_index("policy").at[f"m [{MINI}]", "score"] == 0.25


def test_nightly_flags_a_baseline_of_another_agent(tmp_path: Path) -> None:
    config = nightly.NightlyConfig(version=1, epochs=1, alpha=0.05, max_infra_error_rate=0.1, suites={})
    base = frame(binary("m", [1, 1]))
    nightly.write_baseline(base, tmp_path, config)
    baseline, meta = nightly.read_baseline(tmp_path)
    assert set(baseline["agent_name"]) == {"harness"}
    samples = tmp_path / "samples.csv"
    old = pd.read_csv(samples).drop(columns="agent_name")  # a baseline recorded before --agent
    old.to_csv(samples, index=False)
    baseline, meta = nightly.read_baseline(tmp_path)
    assert set(baseline["agent_name"]) == {"harness"}
    result = nightly.gate(base.assign(agent_name=MINI, run_id="now"), baseline, meta, config)
    assert (
        "agent_name changed since the baseline: harness -> mini-swe-agent; a baseline of another agent is not "
        "comparable" in result.notes
    )
    assert nightly.gate(base.assign(run_id="now"), baseline, meta, config).notes == []
