"""The canonical event log: one pandas DataFrame, one row per event or activity instance.

Every importer returns this shape, every analysis takes it. pm4py's column names appear only in
:mod:`ist_analyse._pm4py`, right before pm4py is called.

=============== =========================== ==== ==============================================
column          dtype                       req. meaning
=============== =========================== ==== ==============================================
``case_id``     ``string``                  yes  the case (Vorgang); a keyed pseudonym by default
``activity``    ``string``                  yes  the step, stripped of surrounding blanks
``timestamp``   ``datetime64[us, UTC]``     yes  completion time (naive local times were read
                                                 in Europe/Berlin, then converted to UTC)
``start_time``  ``datetime64[us, UTC]``     no   start of the step, where the source has it
                                                 (interval logs; XES start/complete pairs)
``resource``    ``string``                  no   staff id, pseudonymised by default
``role``        ``string``                  no   role or team (Servicepoint, Sachbearbeitung):
                                                 the level at which staff figures are shown
``org_unit``    ``string``                  no   organisational unit (Amt, Referat, Team)
``lifecycle``   ``string``                  no   only for events that are not a completed
                                                 instance: unpaired ``start``, ``schedule`` ...
                                                 (the rule: :mod:`ist_analyse.io.pipeline`)
``case_*``      any                         no   case attributes (constant within a case)
``source_file`` ``category``                yes  where the row came from
``source_row``  ``Int64``                   yes  the line/row/event number a user can look up
=============== =========================== ==== ==============================================

Other source columns are kept as event attributes under a plain lower-case name. Rows are sorted
by ``case_id``, ``timestamp``, ``source_row``. Microsecond resolution keeps any date a user
might mistype (year 2205, 1025) representable, so it becomes a finding, not a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ist_analyse.errors import ErrorCode, SchemaError

if TYPE_CHECKING:  # pandas loads on first use: the Polars path of the analyses never needs it
    import pandas as pd

CASE_ID = "case_id"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"
START_TIME = "start_time"
RESOURCE = "resource"
ROLE = "role"
ORG_UNIT = "org_unit"
LIFECYCLE = "lifecycle"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
CASE_PREFIX = "case_"

REQUIRED = (CASE_ID, ACTIVITY, TIMESTAMP)
OPTIONAL = (START_TIME, RESOURCE, ROLE, ORG_UNIT, LIFECYCLE)
#: canonical columns in their canonical order
COLUMNS = (*REQUIRED, *OPTIONAL, SOURCE_FILE, SOURCE_ROW)
TIMESTAMP_DTYPE = "datetime64[us, UTC]"

DTYPES: dict[str, str] = {
    CASE_ID: "string",
    ACTIVITY: "string",
    TIMESTAMP: TIMESTAMP_DTYPE,
    START_TIME: TIMESTAMP_DTYPE,
    RESOURCE: "string",
    ROLE: "string",
    ORG_UNIT: "string",
    LIFECYCLE: "string",
    SOURCE_FILE: "category",
    SOURCE_ROW: "Int64",
}


def finalize_log(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame the canonical dtypes, column order and row order."""
    out = df.copy(deep=False)
    for col, dtype in DTYPES.items():
        if col in out.columns and str(out[col].dtype) != dtype:
            out[col] = out[col].astype(dtype)
    first = [c for c in COLUMNS if c in out.columns and c not in (SOURCE_FILE, SOURCE_ROW)]
    case_cols = sorted(c for c in out.columns if c.startswith(CASE_PREFIX) and c != CASE_ID)
    rest = [c for c in out.columns if c not in first and c not in case_cols
            and c not in (SOURCE_FILE, SOURCE_ROW)]
    tail = [c for c in (SOURCE_FILE, SOURCE_ROW) if c in out.columns]
    out = out[first + case_cols + rest + tail]
    # lexsort on integer codes: several times faster than sort_values on a string column
    keys = [out[SOURCE_ROW].to_numpy(dtype="int64", na_value=0)] if SOURCE_ROW in out else []
    keys.append(out[TIMESTAMP].dt.tz_convert(None).to_numpy().astype("int64"))
    import pandas as pd

    keys.append(pd.factorize(out[CASE_ID], sort=True)[0])
    import numpy as np  # here, not at the top: the Polars-only KPI path needs no numpy

    order = np.lexsort(keys)
    return out.take(order).reset_index(drop=True)


def validate_log(df: pd.DataFrame) -> pd.DataFrame:
    """Check that ``df`` is a canonical event log and return it unchanged.

    Raises:
        SchemaError: a required column is missing, has the wrong dtype or holds empty values.
    """
    for col in REQUIRED:
        if col not in df.columns:
            raise SchemaError(f"event log has no column '{col}'", code=ErrorCode.MISSING_COLUMN,
                              hint=f"columns present: {', '.join(map(str, df.columns))}")
    for col, dtype in DTYPES.items():
        if col in df.columns and str(df[col].dtype) != dtype:
            raise SchemaError(f"column '{col}' has dtype {df[col].dtype}, expected {dtype}",
                              code=ErrorCode.CONFIG)
    for col in REQUIRED:
        n = int(df[col].isna().sum())
        if n:
            raise SchemaError(f"column '{col}' has {n} empty values", code=ErrorCode.EMPTY_VALUE)
    return df
