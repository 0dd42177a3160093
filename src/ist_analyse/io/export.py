"""``import``: read any source once and keep the canonical log as Parquet for later commands.

Parquet keeps dtypes and time zones exactly, so ``discover``, ``bottlenecks`` and ``compare`` can
run on the protected (pseudonymised) log without touching the original export again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ist_analyse.config import ImportOptions
from ist_analyse.errors import OutputError
from ist_analyse.files import atomic_path, check_output, input_files
from ist_analyse.io.formats import REPORT_KEY
from ist_analyse.io.pipeline import ImportResult, read_log


def import_log(source: str | Path, output: str | Path,
               options: ImportOptions | None = None) -> ImportResult:
    """Read ``source`` (see :func:`read_log`) and write the canonical log to ``output``.

    The file is a Parquet file holding exactly the canonical columns; the import report rides
    along as metadata. It is written atomically and never over the source, the mapping file or
    the pseudonym key.

    Raises:
        OutputError: ``output`` is an input (:func:`~ist_analyse.files.input_files`), not a
            ``.parquet`` name, or cannot be written.
    """
    output = Path(output)
    if output.suffix.lower() not in (".parquet", ".pq"):
        raise OutputError(f"output must be a .parquet file, got '{output.suffix or output.name}'",
                          file=output, hint="e.g. -o log.parquet")
    check_output(output, input_files(source, options=options))
    result = read_log(source, options)
    write_log(result, output)
    return result


def write_log(result: ImportResult, output: str | Path) -> Path:
    """Write a canonical log (with its report as metadata) to Parquet, atomically."""
    table = pa.Table.from_pandas(result.log, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[REPORT_KEY] = json.dumps(result.report.to_dict(), default=str).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    with atomic_path(output) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(output)
