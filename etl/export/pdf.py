"""The PDF report: ready to hand to a funder or a board, built with reportlab's platypus.

First page: the 42 CFR Part 2 redisclosure notice and the de-identification statement (mode,
k reached, cells suppressed, the 18-item checklist). Then, for the aggregate level, each
program's figures per period as a table and as matplotlib charts (Agg backend, Debian's DejaVu
fonts; nothing is fetched at run time), and the counselors' rows. The record level prints
summary tables only (no row dump: the data belongs in the CSV or XLSX): counts that rest on
fewer than 11 people are suppressed there too.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from etl.export import aggregate, writers
from etl.export.safe_harbor import NOTICE_42_CFR_PART_2

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian fonts-dejavu-core
)
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_NOTE = "De-identified report. Protected by 42 CFR Part 2: no redisclosure."


def _font_path(name: str) -> Path:
    candidates = [d / f"{name}.ttf" for d in FONT_DIRS]
    import matplotlib

    candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{name}.ttf")
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(f"font {name}.ttf not found (install fonts-dejavu-core)")


def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(_font_path(REGULAR))))
        pdfmetrics.registerFont(TTFont(BOLD, str(_font_path(BOLD))))


def _styles():
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=BOLD, fontSize=18),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=BOLD, fontSize=13),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=REGULAR, fontSize=9),
        "small": ParagraphStyle(
            "s", parent=base["BodyText"], fontName=REGULAR, fontSize=7.5, leading=9.5
        ),
        "notice": ParagraphStyle(
            "n",
            parent=base["BodyText"],
            fontName=REGULAR,
            fontSize=8.5,
            leading=11,
            borderColor="#444444",
            borderWidth=0.8,
            borderPadding=6,
            backColor="#f4f4f4",
        ),
    }


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _first_page(title: str, summary: dict, st) -> list:
    from reportlab.platypus import Paragraph, Spacer

    period = f"{summary.get('from') or 'start'} to {summary.get('to') or 'end'}"
    programs = ", ".join(summary.get("programs") or [summary.get("program") or "all"])
    story = [
        Paragraph(_esc(title), st["title"]),
        Paragraph(
            _esc(
                f"Programs: {programs}"
                f" · period {period} · {summary['grain']} · mode {summary['mode']}"
            ),
            st["body"],
        ),
        Spacer(1, 8),
        Paragraph("42 CFR Part 2 notice", st["h2"]),
        Paragraph(_esc(NOTICE_42_CFR_PART_2), st["notice"]),
        Spacer(1, 10),
        Paragraph("De-identification", st["h2"]),
    ]
    lines = writers.statement(summary)
    split = lines.index("Identifiers removed:")
    story += [Paragraph(_esc(line), st["body"]) for line in lines[:split]]
    story.append(Paragraph("Identifiers removed (45 CFR 164.514(b)(2)(i)):", st["body"]))
    story += [Paragraph(_esc(line.strip()), st["small"]) for line in lines[split + 1 :]]
    return story


def _table(df: pd.DataFrame, widths=None, font_size: float = 7.5):
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    data = [list(df.columns)] + [[_cell(v) for v in row] for row in df.itertuples(index=False)]
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, font_size),
                ("FONT", (0, 0), (-1, 0), BOLD, font_size),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f7f9")]),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c3")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return t


def _cell(v):
    from reportlab.platypus import Flowable

    if isinstance(v, Flowable):
        return v
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _formatted(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, shares as percentages, hours with one decimal; * stays *."""

    def fmt(column: str, v):
        if v is None or v == aggregate.SUPPRESSED or (isinstance(v, float) and pd.isna(v)):
            return v
        if column in aggregate.COUNTS or column in ("people", "rows"):
            return f"{int(v):,}"
        if column == "followup_median_hours":
            return f"{float(v):.1f}"
        if isinstance(v, int | float):
            return f"{float(v):.0%}"
        return v

    return pd.DataFrame({c: [fmt(c, v) for v in df[c]] for c in df.columns})


def _chart(lines: dict[str, pd.Series], title: str, percent: bool = True, bars=None):
    """One matplotlib figure as a platypus Image (PNG in memory)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter
    from reportlab.lib.units import cm
    from reportlab.platypus import Image

    plt.rcParams["font.family"] = "DejaVu Sans"
    fig, ax = plt.subplots(figsize=(7.2, 2.6), dpi=150)
    try:
        if bars is not None:
            ax.bar(bars.index.astype(str), bars.to_numpy(dtype=float), color="#4c72b0")
        for label, series in lines.items():
            ax.plot(series.index.astype(str), series.to_numpy(dtype=float), marker="o", label=label)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(0, 1.05)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=45)
        if lines:
            ax.legend(fontsize=7, loc="lower left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    buf.seek(0)
    return Image(buf, width=17 * cm, height=17 * cm * 2.6 / 7.2)


def _numeric(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.where(col != aggregate.SUPPRESSED), errors="coerce")


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(REGULAR, 7)
    canvas.drawString(doc.leftMargin, 1.0 * 28.35, PAGE_NOTE)
    canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 1.0 * 28.35, f"page {doc.page}")
    canvas.restoreState()


def _build(path: Path, story: list, title: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    with writers.private_file(path, binary=True) as fh:
        doc = SimpleDocTemplate(
            fh,
            pagesize=A4,
            leftMargin=1.8 * cm,
            rightMargin=1.8 * cm,
            topMargin=1.6 * cm,
            bottomMargin=1.8 * cm,
            title=title,
            author="Caseload",
            subject="De-identified report (42 CFR Part 2)",
            invariant=1,
        )
        doc.build(story, onFirstPage=_footer, onLaterPages=_footer)


PROGRAM_COLUMNS = {
    "period": "period",
    "census_end": "census",
    "admissions": "admitted",
    "discharges": "discharged",
    "retention_30": "ret. 30d",
    "adherence": "adherence",
    "abstinence": "abstinent",
    "screens_negative": "neg. screens",
    "high_risk_share": "high risk",
    "followup_24h": "contact 24h",
}


def write_aggregate_pdf(table: pd.DataFrame, summary: dict, path: Path) -> None:
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    _fonts()
    st = _styles()
    title = "Program outcomes: de-identified report"
    story = _first_page(title, summary, st)
    for program, rows in table.groupby("program", sort=True):
        whole = rows[rows["counselor"] == aggregate.ALL]
        story += [PageBreak(), Paragraph(_esc(f"Program {program}"), st["h2"])]
        story.append(
            Paragraph(
                _esc(
                    f"One row per {summary['grain']}. {aggregate.SUPPRESSION_DOC} Shares are "
                    "percentages; census, admitted and discharged count clients."
                ),
                st["small"],
            )
        )
        shown = _formatted(whole[list(PROGRAM_COLUMNS)]).rename(columns=PROGRAM_COLUMNS)
        story += [Spacer(1, 4), _table(shown)]
        idx = whole.set_index("period")
        story.append(Spacer(1, 8))
        story.append(
            _chart(
                {
                    "adherence": _numeric(idx["adherence"]),
                    "abstinent days": _numeric(idx["abstinence"]),
                    "negative screens": _numeric(idx["screens_negative"]),
                },
                f"{program}: adherence, abstinence, screens",
            )
        )
        story.append(
            _chart(
                {"high/critical share": _numeric(idx["high_risk_share"])},
                f"{program}: risk mix (share of scored client-days high or critical)",
            )
        )
        story.append(
            _chart(
                {},
                f"{program}: census at period end (clients; suppressed periods blank)",
                percent=False,
                bars=_numeric(idx["census_end"]).fillna(0),
            )
        )
        staff = rows[rows["counselor"] != aggregate.ALL]
        if len(staff):
            cols = {"counselor": "counselor", **PROGRAM_COLUMNS}
            story += [
                PageBreak(),
                Paragraph(_esc(f"Program {program}: by counselor (random labels)"), st["h2"]),
                _table(_formatted(staff[list(cols)]).rename(columns=cols), font_size=6.5),
            ]
    if table.empty:
        story += [Spacer(1, 10), Paragraph("No data in the period.", st["body"])]
    _build(path, story, title)


def _records_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per program: people, rows and the mean measures; figures on fewer than 11 people as *."""
    rows = []
    for program, g in frame.groupby("program", sort=True, observed=True):
        people = g["pseudonym"].nunique()
        small = people < aggregate.SMALL_N
        tiers = g["risk_tier"].value_counts(normalize=True)
        values = {
            "program": program,
            "people": people,
            "rows": len(g),
            "adherence 7d": g["adherence_7d"].mean(),
            "use reported": g["used"].mean(),
            "positive screen": g["screen_positive"].mean(),
            "high/critical": float(tiers.get("high", 0) + tiers.get("critical", 0)),
        }
        if small:
            values = {k: (v if k == "program" else aggregate.SUPPRESSED) for k, v in values.items()}
        rows.append(values)
    return pd.DataFrame(rows)


def _qi_summary(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """People per value of one quasi-identifier, small counts suppressed with a complement
    (the people total is printed above, so one hidden count alone could be subtracted)."""
    from etl.export.suppression import Cell, suppress

    people = frame.drop_duplicates("pseudonym")
    counts = people[column].value_counts().sort_index()
    cells = [Cell(str(v), int(n)) for v, n in counts.items()]
    hidden = suppress(cells, [[c.key for c in cells]], threshold=aggregate.SMALL_N).hidden
    shown = [(c.key, aggregate.SUPPRESSED if c.key in hidden else c.clients) for c in cells]
    return pd.DataFrame(shown, columns=[column, "people"])


def write_records_pdf(frame: pd.DataFrame, summary: dict, docs: dict[str, str], path: Path) -> None:
    """Summary tables of a record-level export (the rows themselves are in CSV or XLSX)."""
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    _fonts()
    st = _styles()
    title = "Client-level data: de-identified summary"
    story = _first_page(title, summary, st)
    story += [PageBreak(), Paragraph("Summary by program", st["h2"])]
    story.append(
        Paragraph(
            _esc(
                "This report summarises a record-level export; it lists no rows. Means are over "
                f"client-{summary['grain']}s; figures resting on fewer than "
                f"{aggregate.SMALL_N} people are shown as *."
            ),
            st["small"],
        )
    )
    if frame.empty:
        story.append(Paragraph("No rows in the period.", st["body"]))
    else:
        story += [Spacer(1, 4), _table(_formatted(_records_summary(frame)))]
        for column in ("age_band", "sex", "admission_year"):
            story += [Spacer(1, 8), Paragraph(f"People by {column}", st["body"])]
            story.append(_table(_qi_summary(frame, column)))
    story += [PageBreak(), Paragraph("Columns of the data file", st["h2"])]
    story.append(
        _table(
            pd.DataFrame(
                [(c, Paragraph(_esc(docs[c]), st["small"])) for c in frame.columns],
                columns=["column", "meaning"],
            ),
            widths=[110, 360],
        )
    )
    _build(path, story, title)
