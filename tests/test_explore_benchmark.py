"""The benchmark command runs end to end on a small demo population (timings are not asserted)."""

from __future__ import annotations

from typing import Any

from capx.devtools.benchmark import TRIVIAL_CASE, default_cases, percentile, run_benchmark


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0


def test_benchmark_measures_every_case(app: Any) -> None:
    from capx.devtools.demo import seed_demo

    with app.app_context():
        seed_demo(40, echo=lambda _line: None, managed_organizations=5)
        cases = default_cases()
    lines: list[str] = []
    results = run_benchmark(app, cases=[*cases, ("saved", "/feed/saved")], requests=3, warmup=1, echo=lines.append)
    assert [r.name for r in results] == [TRIVIAL_CASE[0], *(name for name, _ in cases), "saved"]
    assert all(r.status == 200 for r in results), [(r.name, r.status) for r in results]
    assert all(r.p95 >= r.p50 > 0 for r in results)
    assert any("p95/trivial" in line for line in lines)


def test_cli_refuses_too_few_requests(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["capx", "bench", "--no-seed", "--requests", "10"])
    assert result.exit_code != 0
    assert "at least 50" in result.output
