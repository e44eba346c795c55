"""Terminal tables that fit the width they are given without cutting a cell.

rich squeezes a table that is too wide by cutting its no-wrap columns ("score" became "scor", an id became
"llama-3.2-1b-in…"). Here a table is described as columns and built at ever denser layouts until one fits:

1. wide: every column as declared;
2. folded: columns that name a `fold_into` column move into that column's cell as an extra line (a plan row is
   already two lines high, so the compute unit and the ✓ ride along for free);
3. compact: short headers, no minimum widths, less padding;
4. then the columns with the highest `drop` rank go, one at a time, and the table's caption names them.

Nothing here knows what the columns mean, so a column added later (TTFT, energy) fits by the same rules. A column
with `keep=True` (an id people copy) is never cut, folded or dropped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

Cell = Callable[[Any], str]


@dataclass(frozen=True)
class Col:
    header: str
    cell: Cell
    justify: Literal["default", "left", "center", "right", "full"] = "left"
    short: str | None = None          # header in the compact layout
    fold_into: str | None = None      # header of the column this one folds into (as an extra line)
    drop: int | None = None           # dropped last-resort, highest first; None: never dropped
    keep: bool = False                # never cut (ids)
    min_width: int = 0


@dataclass
class Layout:
    cols: list[Col]
    folded: bool = False
    compact: bool = False
    dropped: list[str] = field(default_factory=list)


def _cells(layout: Layout, row: Any) -> list[str]:
    out: dict[str, str] = {}
    order: list[str] = []
    for c in layout.cols:
        if layout.folded and c.fold_into:
            continue
        out[c.header] = c.cell(row)
        order.append(c.header)
    if layout.folded:
        for c in layout.cols:
            if c.fold_into and c.fold_into in out:
                out[c.fold_into] += "\n" + c.cell(row)
    return [out[h] for h in order]


def _headers(layout: Layout) -> list[tuple[Col, str]]:
    shown = []
    for c in layout.cols:
        if layout.folded and c.fold_into:
            continue
        shown.append((c, (c.short or c.header) if layout.compact else c.header))
    return shown


def _table_kw(table_kw: dict) -> dict:
    from rich import box

    return {"box": box.SIMPLE_HEAD, "pad_edge": False, "padding": (0, 1), "collapse_padding": True, **table_kw}


def _gap(table_kw: dict) -> int:
    """Columns rich always puts between two columns: the rule of a boxed table, and the left column's right padding
    (collapsing and `pad_edge` only ever take the left padding or the table's outer edges)."""
    from rich.padding import Padding

    kw = _table_kw(table_kw)
    return (1 if kw["box"] is not None else 0) + Padding.unpack(kw["padding"])[1]


def build(layout: Layout, rows: list[Any], **table_kw):
    from rich.table import Table

    kw = _table_kw(table_kw)
    if layout.dropped:
        note = "not shown at this width: " + ", ".join(layout.dropped) + " (widen the terminal, or --markdown/--json)"
        kw["caption"] = f"{kw['caption']}; {note}" if kw.get("caption") else note
    t = Table(**kw)
    for c, head in _headers(layout):
        t.add_column(head, justify=c.justify, no_wrap=True, overflow="fold" if c.keep else "ellipsis",
                     min_width=0 if layout.compact else max(c.min_width, len(head)))
    for r in rows:
        t.add_row(*_cells(layout, r))
    return t


def natural_width(table, width: int) -> int:
    """The width the table needs to show every cell whole (its columns never wrap)."""
    from rich.console import Console
    from rich.measure import Measurement

    con = Console(width=max(width, 1), file=io.StringIO(), color_system=None)
    # the caption and title wrap; only the columns need the room
    saved = table.caption, table.title
    table.caption = table.title = None
    try:
        return Measurement.get(con, con.options.update_width(10_000), table).maximum
    finally:
        table.caption, table.title = saved


def least_width(layout: Layout, rows: list[Any], gap: int = 0) -> int:
    """A lower bound of the layout's width: its widest cell line per column plus `gap` between columns (see
    `_gap`). Cheap (rich measures a whole table in ~10x the time), so layouts that cannot fit are skipped without
    building them."""
    from rich.cells import cell_len
    from rich.text import Text

    def w(s: str) -> int:
        try:  # as rich shows a str cell: markup and :emoji: codes rendered
            return max(cell_len(Text.from_markup(line).plain) for line in s.split("\n"))
        except Exception:  # noqa: BLE001  # not valid markup: 0 is still a lower bound
            return 0

    heads = _headers(layout)
    widest = [max(0 if layout.compact else c.min_width, w(h)) for c, h in heads]
    for r in rows:
        widest = [max(a, w(cell)) for a, cell in zip(widest, _cells(layout, r))]
    return sum(widest) + gap * max(len(widest) - 1, 0)


def _layouts(cols: list[Col]) -> list[Layout]:
    """Every layout to try, from wide to compact to fewer columns (highest `drop` first)."""
    out = [Layout(cols), Layout(cols, folded=True), Layout(cols, folded=True, compact=True)]
    for c in sorted((c for c in cols if c.drop is not None and not c.keep and not c.fold_into),
                    key=lambda c: -(c.drop or 0)):
        last = out[-1]
        out.append(Layout([x for x in last.cols if x is not c and x.fold_into != c.header], folded=True,
                          compact=True, dropped=[*last.dropped, c.header]))
    return out


def fit(cols: list[Col], rows: list[Any], width: int | None, **table_kw):
    """The first layout whose table fits `width` (None: no limit), else the densest one."""
    layouts = _layouts(cols)
    if width is None:
        return build(layouts[0], rows, **table_kw)
    gap = _gap(table_kw)
    for lay in layouts[:-1]:
        if least_width(lay, rows, gap) > width:  # cannot fit: not worth rich's measurement
            continue
        table = build(lay, rows, **table_kw)
        if natural_width(table, width) <= width:
            return table
    return build(layouts[-1], rows, **table_kw)


class _Null:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass
