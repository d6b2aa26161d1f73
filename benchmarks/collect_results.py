"""Assemble benchmarks/RESULTS.md from the per-topic sections in benchmarks/results/*.md.

Each benchmark script writes its own section (table, exact command, date, machine load); this script puts
them in reading order under one header:  python benchmarks/collect_results.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("records", "scale", "scale-sweep", "deployment", "rostering", "capacity", "routing", "access",
         "scenarios", "api")

HEADER = """# Benchmark results

Every figure below was produced by a script in `benchmarks/` (the command is given with each table) on this
project's development machine: 2 cores, 24 GiB, shared. **Read the load averages**: most runs were made while
up to eight engineers' jobs shared the same 2 cores (load average 4-13), so wall times are pessimistic and
solver results at a fixed time limit are weaker than on an idle machine. Gaps are to the best-known values in
`../shared/benchmarks/` (BKS.csv of each set); several seeds are run and the median and worst are reported.

Sections: {toc}

"""


def main() -> None:
    parts = [p for name in ORDER if (p := HERE / "results" / f"{name}.md").exists()]
    extra = sorted(set((HERE / "results").glob("*.md")) - set(parts))
    parts += extra
    toc = ", ".join(p.stem for p in parts)
    body = "\n\n".join(p.read_text().strip() for p in parts)
    (HERE / "RESULTS.md").write_text(HEADER.format(toc=toc) + body + "\n")
    print(f"wrote {HERE / 'RESULTS.md'} from {len(parts)} sections")


if __name__ == "__main__":
    main()
