"""Benchmarks record their figures in docs/benchmarks.md section by section."""

from __future__ import annotations

from bench.report import noted, write_part, write_rows, write_section


def test_a_benchmark_rewrites_only_its_own_section_and_keeps_the_blank_line_before_the_next(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## One\n\nold figures\n\n## Two\n\nkept\n")
    write_section("## One", "## One\n\nnew figures\n", doc)
    assert doc.read_text() == "# Benchmarks\n\n## One\n\nnew figures\n\n## Two\n\nkept\n"
    write_section("## Two", "## Two\n\nlast\n", doc)  # the last section
    assert doc.read_text() == "# Benchmarks\n\n## One\n\nnew figures\n\n## Two\n\nlast\n"


def test_a_benchmark_run_on_its_own_rewrites_its_part_and_its_targets_rows_only(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("## Scenes\n\n### Layout\n\nkept\n\n### Incremental: add\n\nold\n\nold words\n\n### Targets\n\n"
                   "| target | measured |\n|---|---|\n| a (CPU; 2026-11-29, load 7) | 6.4 ms |\n| b (CPU) | 1.0 ms |\n\n## Live\n\nkept\n")
    write_part("### Incremental: add", "### Incremental: add\n\nnew\n", doc)
    write_rows([f"| {noted('a (CPU)', '2026-11-30, load 3.1')} | 4.2 ms |"], doc)
    assert doc.read_text() == ("## Scenes\n\n### Layout\n\nkept\n\n### Incremental: add\n\nnew\n\n### Targets\n\n"
                               "| target | measured |\n|---|---|\n| a (CPU; 2026-11-30, load 3.1) | 4.2 ms |\n| b (CPU) | 1.0 ms |\n\n"
                               "## Live\n\nkept\n")
