"""Write docs/kpis.md from the catalogue: ``python -m ppcdesk.kpi.docs [PATH]``.

The page is generated, never edited by hand; tests/kpi/test_docs.py fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ppcdesk.kpi import catalog

HEAD = """# KPI reference

Generated from `ppcdesk/kpi/catalog.py` by `python -m ppcdesk.kpi.docs`; do not edit.

Every KPI is computed by SQL over rollups of the calls (`kpi_hourly`, `kpi_daily`), in whole
days of your zone. A ratio whose denominator is zero is **n/a**, never 0. Figures marked
*outcomes* are n/a until a contract has evaluated some call of the period; figures marked
*spend* are n/a under a buyer or number filter (spend is kept per campaign and publisher).
Figures built on conversions are n/a when nobody recorded a disposition in the period (the
conversions are unknown, not zero). Money is exact (integer micros, rounded half to even
once, at the end).

Unique callers cannot be summed from rollups: they are counted over the calls themselves, for
the period and the one before it in one pass. The dashboard paints everything else first and
fills them in a moment later; a newer request stops an older one inside the database (SQLite's
progress callback, PostgreSQL's cancel request). The SQL below runs on SQLite and PostgreSQL
alike: every fact and measure is an integer (0 or 1 for a yes/no), never a boolean.

Break any KPI down with `ppcdesk kpi --by DIMENSION`: {dims}.
"""


def render() -> str:
    lines = [HEAD.format(dims=", ".join(catalog.DIMENSIONS))]
    for group in catalog.Group:
        lines += [f"## {group.value}", "",
                  "| key | label | unit | formula | why it matters | SQL |",
                  "|---|---|---|---|---|---|"]
        for k in catalog.KPIS:
            if k.group is not group:
                continue
            notes = [n for n, on in (("outcomes", k.needs_outcomes), ("spend", k.needs_spend))
                     if on]
            unit = k.unit.value + (f" by {k.by}" if k.by else "")
            extra = f" ({', '.join(notes)})" if notes else ""
            lines.append(f"| `{k.key}` | {k.label}{extra} | {unit} | `{k.formula}` | "
                         f"{k.why} | `{k.sql.replace('|', '&#124;')}` |")
        lines.append("")
    lines += ["## Measures", "", "Per-call facts summed into the rollups.", "",
              "| measure | meaning | SQL per call |", "|---|---|---|"]
    lines += [f"| `{m.key}` | {m.doc} | `{m.sql.replace('|', '&#124;')}` |"
              for m in catalog.MEASURES]
    lines += ["", "Per-call facts the measures read (each evaluated once per call):", ""]
    lines += [f"- `{name}`: `{sql}`" for name, sql in catalog.FACTS]
    lines += ["", ("A whole rebuild reads the caller facts from one ordered pass instead of "
              "probing per call (on SQLite along the caller index, `INDEXED BY`):"), "",
              f"- `{catalog.CALLER_PASS.format(index='')}`"]
    lines += [f"- `{name}`: `{sql}`" for name, sql in catalog.PASS_FACTS.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else Path("docs/kpis.md")
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
