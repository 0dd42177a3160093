"""Notes of the analyses: English text for the CLI and ``--json``, a code for the report.

An analysis says in a note what it left out or reinterpreted ("the log has no start times:
..."). The CLI prints the note and ``--json`` carries it as English text, which scripts read,
so the text must not change. The report, however, is written in German as well: it cannot
translate a finished English sentence, so a :class:`Note` also keeps a stable
:class:`NoteCode` and the raw values (numbers unformatted, names as given), and the report
fills its own sentence for the code (``ist_analyse.reporting.i18n.NOTES``) with the values
in its number format.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class NoteCode(StrEnum):
    """Stable kinds of notes; the report has a sentence per code and language."""

    LIFECYCLE_LEFT_OUT = "LIFECYCLE_LEFT_OUT"
    START_AFTER_END = "START_AFTER_END"
    DATES_LEFT_OUT = "DATES_LEFT_OUT"
    NO_START_TIMES = "NO_START_TIMES"
    ROLES_WITHOUT_STAFF_IDS = "ROLES_WITHOUT_STAFF_IDS"
    STAFF_IDS_WITHOUT_ROLES = "STAFF_IDS_WITHOUT_ROLES"
    LIFECYCLE_PENDING = "LIFECYCLE_PENDING"
    MODEL_ELEMENTS_IGNORED = "MODEL_ELEMENTS_IGNORED"
    MODEL_WITHOUT_LAYOUT = "MODEL_WITHOUT_LAYOUT"
    NO_GRAPHVIZ = "NO_GRAPHVIZ"
    ALIGNMENT_TIME_BUDGET = "ALIGNMENT_TIME_BUDGET"
    PRECISION_SKIPPED = "PRECISION_SKIPPED"
    EXISTS_WITHOUT_END = "EXISTS_WITHOUT_END"
    OPEN_CASES_INCLUDED = "OPEN_CASES_INCLUDED"
    END_ACTIVITIES_UNKNOWN = "END_ACTIVITIES_UNKNOWN"
    OPEN_CASES_NOT_COMPARED = "OPEN_CASES_NOT_COMPARED"
    REFERENCE_MODEL = "REFERENCE_MODEL"
    SOLL_DISCOVERED = "SOLL_DISCOVERED"
    END_ACTIVITIES_MISSING = "END_ACTIVITIES_MISSING"
    ONLY_DEADLINE_RULES = "ONLY_DEADLINE_RULES"
    SEGMENTED_NEEDS_CHANGE = "SEGMENTED_NEEDS_CHANGE"
    # the comparison's warnings (``checks.warnings``) and the title of its difference map
    CLOSED_BY_IDLE_TIME = "CLOSED_BY_IDLE_TIME"
    OPEN_SHARE_HIGH = "OPEN_SHARE_HIGH"
    DURATION_TOO_FEW_CLOSED = "DURATION_TOO_FEW_CLOSED"
    MEDIAN_NOT_REACHED = "MEDIAN_NOT_REACHED"
    AFTER_PERIOD_SHORT = "AFTER_PERIOD_SHORT"
    ARRIVALS_CHANGED = "ARRIVALS_CHANGED"
    WORKLOAD_CHANGED = "WORKLOAD_CHANGED"
    WORKLOAD_CONFOUNDED = "WORKLOAD_CONFOUNDED"
    CASE_MIX_SHIFTED = "CASE_MIX_SHIFTED"
    PLACEBO_SIGNIFICANT = "PLACEBO_SIGNIFICANT"
    SHIFTED_DATE_CLEARER = "SHIFTED_DATE_CLEARER"
    PLACEBO_PERIOD_TOO_SHORT = "PLACEBO_PERIOD_TOO_SHORT"
    GROUPS_COMPARED = "GROUPS_COMPARED"


class Note(str):
    """A note: its English text, plus ``code`` and the raw ``values`` for the report.

    A ``str`` subclass, so that printing, ``json.dumps``, comparisons and de-duplication
    (``dict.fromkeys``) see exactly the English text the analyses always wrote; only the
    report looks at ``code`` and ``values``.

    >>> n = Note(NoteCode.START_AFTER_END, "3 activity instances start after they end",
    ...          count=3)
    >>> n == "3 activity instances start after they end", n.code, n.values
    (True, <NoteCode.START_AFTER_END: 'START_AFTER_END'>, {'count': 3})
    """

    code: NoteCode
    values: dict[str, Any]

    def __new__(cls, code: NoteCode, text: str, **values: Any) -> Note:
        note = super().__new__(cls, text)
        note.code = NoteCode(code)
        note.values = values
        return note

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # copy and pickle call __new__ with these (``values`` comes back with __dict__)
        return (self.code.value, str(self))
