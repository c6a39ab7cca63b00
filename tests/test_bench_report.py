"""Benchmarks record their figures in docs/benchmarks.md section by section."""

from __future__ import annotations

from bench.report import write_section


def test_a_benchmark_rewrites_only_its_own_section_and_keeps_the_blank_line_before_the_next(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## One\n\nold figures\n\n## Two\n\nkept\n")
    write_section("## One", "## One\n\nnew figures\n", doc)
    assert doc.read_text() == "# Benchmarks\n\n## One\n\nnew figures\n\n## Two\n\nkept\n"
    write_section("## Two", "## Two\n\nlast\n", doc)  # the last section
    assert doc.read_text() == "# Benchmarks\n\n## One\n\nnew figures\n\n## Two\n\nlast\n"
