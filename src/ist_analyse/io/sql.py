"""Read an event log from PostgreSQL or from a DuckDB database file.

Both readers take either a table (``ImportOptions.table``, optionally ``schema.table``) or a
query the user wrote (``ImportOptions.query``, one SELECT/WITH statement), never both.

Safety, as required by the reliability anchors (rows 17-19):

* **No SQL built from strings.** A table name is first looked up in the database's own catalog
  (an allow-list of the relations and columns the role may read); only a name found there is
  used, and PostgreSQL statements are composed with ``psycopg.sql.Identifier``. A name such as
  ``cases"; DROP TABLE x; --`` is therefore simply "not found".
* **Read-only.** PostgreSQL: ``conn.read_only = True`` (a READ ONLY transaction), plus
  ``default_transaction_read_only``; the transaction is always rolled back, never committed.
  A query that writes (a data-modifying WITH, a volatile function that inserts) fails with a
  DATABASE error. DuckDB: the file is opened ``read_only=True`` with external access (files,
  network, extension loading) switched off, so neither a query nor a view stored in the file
  can read other files. The primary control remains a database role with SELECT only, so it
  is checked, not assumed: a read-only transaction does not stop ``lo_export`` or
  ``COPY ... TO PROGRAM`` of a superuser, nor a role that owns tables from changing them later
  in the same session. Before a query the user wrote runs, the role is examined
  (:func:`_role_powers`); a superuser, a role that may write any table, create objects or
  roles, or write server files, is refused with an explanation. A table read (a statement
  composed here from catalog names) is refused only for the server-level powers (superuser,
  server files and programs, ``lo_export``), because views and functions behind a table would
  run with them.
* **Bounded.** ``statement_timeout`` and ``idle_in_transaction_session_timeout`` are set; the
  result is streamed with a server-side cursor (PostgreSQL) or record batches (DuckDB) and
  converted chunk by chunk.
* **No passwords in messages.** Errors name the database by its URL without the password
  (``postgresql://analyst@localhost:5432/abh``) and any password text is scrubbed from server
  messages. libpq reads ``PGPASSWORD`` and ``~/.pgpass`` by itself, so the URL need not hold one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError, PrivacyError
from ist_analyse.io.parquet import (
    add_source_row,
    arrow_to_pandas,
    check_source_file,
    check_unique_columns,
    wrong_format,
)
from ist_analyse.io.raw import RawTable

DEFAULT_CHUNK_SIZE = 50_000
#: Longest a single statement (one FETCH of a chunk) may run on the server, in seconds.
DEFAULT_STATEMENT_TIMEOUT = 300
CONNECT_TIMEOUT = 15
_CURSOR_NAME = "ist_analyse_import"
_QUERY_START = re.compile(r"(?is)\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/|\()*(\w+)")
_QUERY_KEYWORDS = ("select", "with", "values", "table")
_DUCKDB_QUERY_KEYWORDS = (*_QUERY_KEYWORDS, "from")
_MAX_LISTED = 20


# ----------------------------------------------------------------------------- shared helpers


def _target(options: ImportOptions, *, source: str) -> tuple[str | None, str | None]:
    table = options.table.strip() if options.table is not None else None
    query = options.query.strip() if options.query is not None else None
    if table and query:
        raise ConfigError("give either a table or a query, not both", file=source)
    if not table and not query:
        raise ConfigError(
            "say what to read: a table (--table, may be schema.table) or a query (--query)",
            file=source)
    if query is not None:
        while query.endswith(";"):
            query = query[:-1].rstrip()
    return table or None, query or None


def _check_query_start(query: str, source: str, keywords: Sequence[str]) -> None:
    m = _QUERY_START.match(query)
    word = m.group(1).lower() if m else ""
    if word not in keywords:
        raise ConfigError(
            "the query must be one SELECT statement (it may start with WITH)", file=source,
            hint=f"it starts with '{word or query[:20]}'; the import only reads")


def _split_sql_name(spec: str) -> list[tuple[str, bool]] | None:
    """Parse ``a.b`` / ``"A"."b c"`` SQL notation into (part, was_quoted); None if not that."""
    parts: list[tuple[str, bool]] = []
    i, n = 0, len(spec)
    while i < n:
        if spec[i] == '"':
            j, buf = i + 1, []
            while True:
                k = spec.find('"', j)
                if k < 0:
                    return None
                buf.append(spec[j:k])
                if k + 1 < n and spec[k + 1] == '"':
                    buf.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            parts.append(("".join(buf), True))
        else:
            m = re.match(r"[^\W\d]\w*", spec[i:])
            if not m:
                return None
            parts.append((m.group(0), False))
            i += m.end()
        if i == n:
            return parts
        if spec[i] != ".":
            return None
        i += 1
    return None


def _interpretations(spec: str) -> list[tuple[str | None, str]]:
    """Every reading of a user's table name: whole name, split at a dot, SQL notation."""
    out: list[tuple[str | None, str]] = [(None, spec)]
    out += [(spec[:i], spec[i + 1:]) for i, ch in enumerate(spec) if ch == "."]
    parsed = _split_sql_name(spec) if '"' in spec else None
    if parsed and len(parsed) in (1, 2):
        names = [p for p, _ in parsed]
        out.append((None, names[0]) if len(parsed) == 1 else (names[0], names[1]))
    return list(dict.fromkeys(out))


def _display(schema: str, name: str, default_schema: str) -> str:
    return name if schema == default_schema else f"{schema}.{name}"


def _resolve_table(spec: str, tables: Sequence[tuple[str, str]], search_path: Sequence[str],
                   *, source: str, system: str) -> tuple[str, str]:
    """Find ``spec`` among the readable (schema, table) pairs, as the database would."""
    default_schema = search_path[0] if search_path else "public"
    for fold in (lambda s: s, str.casefold):
        found: list[tuple[str, str]] = []
        for schema, name in _interpretations(spec):
            hits = [t for t in tables if fold(t[1]) == fold(name)
                    and (schema is None or fold(t[0]) == fold(schema))]
            if schema is None:  # unqualified: the first schema on the search path wins
                hits = [t for t in hits if t[0] in search_path]
                hits.sort(key=lambda t: list(search_path).index(t[0]))
                hits = hits[:1] if len({fold(t[1]) for t in hits}) <= 1 else hits
            found += [t for t in hits if t not in found]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listed = ", ".join(repr(_display(s, t, default_schema)) for s, t in found[:10])
            raise ConfigError(f"the table name '{spec}' is ambiguous", file=source,
                              hint=f"it matches {listed}; write exactly one of them")
    shown = [_display(s, t, default_schema) for s, t in tables]
    close = difflib.get_close_matches(spec, shown, n=3, cutoff=0.6)
    elsewhere = [f"{s}.{t}" for s, t in tables if t.casefold() == spec.casefold()]
    if elsewhere:
        hint = f"it exists outside the search path: write {elsewhere[0]!r}"
    elif not shown:
        hint = "this role can read no tables or views in this database"
    else:
        listed = ", ".join(repr(x) for x in (close + [x for x in shown if x not in close])
                           [:_MAX_LISTED])
        more = f" (and {len(shown) - _MAX_LISTED} more)" if len(shown) > _MAX_LISTED else ""
        prefix = "did you mean " if close else "readable tables: "
        hint = f"{prefix}{listed}{more}"
    raise InputError(f"no table or view '{spec}' that this connection can read in the "
                     f"{system} database", file=source, code=ErrorCode.DATABASE, hint=hint)


def _frame_from_chunks(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    if not frames:
        return empty
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------- PostgreSQL


def redact_url(url: str) -> str:
    """The URL (or key=value conninfo) without any password, for messages and reports."""
    text = url.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return text.split("://", 1)[0] + "://…"
        scheme = parts.scheme.split("+", 1)[0]
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, hosts = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}@{hosts}" if user else hosts
        query = [item for item in parts.query.split("&")
                 if item and "password" not in unquote(item.split("=", 1)[0]).lower()]
        out = f"{scheme}://{netloc}{parts.path}"
        if query:
            out += "?" + "&".join(query)
        return out
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(text)
        return make_conninfo(**{k: v for k, v in params.items()
                                if "password" not in k.lower() and v is not None})
    except psycopg.Error:  # unparsable: mask whatever follows a password key
        return re.sub(r"(?i)(\w*password\w*\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S+)", r"\1***", text)


def _secrets_of(url: str) -> list[str]:
    """Every password text a message might echo: from the URL, its query, PGPASSWORD."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    found = []
    if "://" in url:
        try:
            parts = urlsplit(url)
            if parts.password:
                found += [parts.password, unquote(parts.password)]
            found += [v for k, v in parse_qsl(parts.query) if "password" in k.lower()]
        except ValueError:
            pass
    with contextlib.suppress(psycopg.Error):
        found += [str(v) for k, v in conninfo_to_dict(url).items()
                  if "password" in k.lower() and v]
    env = os.environ.get("PGPASSWORD")
    if env:
        found.append(env)
    return sorted({s for s in found if s}, key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _connection_reason(message: str) -> tuple[str, str | None]:
    """Shorten a libpq connection error to its reason, and pick a hint."""
    text = message.strip()
    text = re.sub(r"^connection (?:failed|is bad):\s*", "", text)
    text = re.sub(r'connection to server (?:at|on) .*? failed:\s*', "", text)
    if "FATAL:" in text:
        text = text.rsplit("FATAL:", 1)[1]
    text = " ".join(text.split())
    low = text.lower()
    if "password" in low or ("role" in low and "does not exist" in low):
        hint = ("check the user name and password (in the URL, in PGPASSWORD or "
                "in ~/.pgpass)")
    elif "database" in low and "does not exist" in low:
        hint = "check the database name at the end of the URL"
    elif "pg_hba.conf" in low:
        hint = "the server does not allow this connection (pg_hba.conf): ask its administrator"
    elif any(w in low for w in ("refused", "timeout", "timed out", "resolve host",
                                "translate host", "no route", "unreachable",
                                "no such file or directory")):
        hint = "check host and port, and that the server is running and reachable"
    elif "ssl" in low:
        hint = "check the sslmode setting of the URL"
    else:
        hint = None
    return text or "unknown reason", hint


def _database_error(exc: Exception, *, source: str, secrets: Sequence[str], what: str,
                    timeout: int) -> InputError:
    import psycopg
    from psycopg import errors as pgerr

    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc).strip().splitlines()[0:1]
    if isinstance(primary, list):
        primary = primary[0] if primary else type(exc).__name__
    primary = _scrub(" ".join(str(primary).split()), secrets)
    hint = getattr(diag, "message_hint", None)
    hint = _scrub(hint, secrets) if hint else None
    if isinstance(exc, pgerr.ReadOnlySqlTransaction) or (
            isinstance(exc, pgerr.FeatureNotSupported) and "data-modifying" in primary):
        return InputError(f"the {what} tries to change the database, but the import only "
                          f"reads: {primary}", file=source, code=ErrorCode.DATABASE,
                          hint="write a query that only selects (the connection is read-only)")
    if isinstance(exc, pgerr.QueryCanceled):
        return InputError(f"the {what} was cancelled after the statement timeout of "
                          f"{timeout} s: {primary}", file=source, code=ErrorCode.DATABASE,
                          hint="select fewer rows or ask for a longer statement timeout")
    if isinstance(exc, pgerr.InsufficientPrivilege):
        return InputError(f"permission denied: {primary}", file=source, code=ErrorCode.DATABASE,
                          hint=hint or "the role needs SELECT on what the import reads")
    if isinstance(exc, psycopg.DataError):
        return InputError(f"a value of the {what} cannot be read: {primary}", file=source,
                          code=ErrorCode.DATABASE,
                          hint=hint or "convert or filter such values in a query "
                                       "(e.g. 'infinity' timestamps)")
    if isinstance(exc, psycopg.OperationalError) and diag is not None and not diag.sqlstate:
        return InputError(f"the connection to the database was lost: {primary}", file=source,
                          code=ErrorCode.DATABASE, hint=hint)
    position = getattr(diag, "statement_position", None)
    where = f" (at character {position})" if position and what == "query" else ""
    return InputError(f"the {what} failed{where}: {primary}", file=source,
                      code=ErrorCode.DATABASE, hint=hint)


def _connect(url: str, source: str, secrets: Sequence[str]):  # type: ignore[no-untyped-def]
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    target = re.sub(r"^(postgres(?:ql)?)\+\w+://", r"\1://", url.strip())
    try:
        params = conninfo_to_dict(target)
    except psycopg.Error as exc:
        reason = _scrub(" ".join(str(exc).split()), secrets)
        raise InputError(f"not a valid PostgreSQL URL: {reason}", file=source,
                         code=ErrorCode.DATABASE,
                         hint="write postgresql://user@host:5432/database") from None
    extra: dict[str, Any] = {}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in params:
        extra["application_name"] = "ist-analyse"
    try:
        return psycopg.connect(target, autocommit=False, **extra)
    except psycopg.Error as exc:
        reason, hint = _connection_reason(_scrub(str(exc), secrets))
        raise InputError(f"cannot connect to the database: {reason}", file=source,
                         code=ErrorCode.DATABASE, hint=hint) from None


_PG_KINDS = {
    "timestamptz": "timestamptz", "timestamp": "timestamp", "date": "date",
    "int2": "int", "int4": "int", "int8": "int", "oid": "int",
    "float4": "float", "float8": "float", "bool": "bool",
    "text": "text", "varchar": "text", "bpchar": "text", "name": "text", "char": "text",
    "uuid": "uuid",
}


_ROLE_POWERS = """
SELECT current_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
  ARRAY(SELECT g.rolname::text FROM pg_roles g
        WHERE g.rolname IN ('pg_write_server_files', 'pg_execute_server_program',
                            'pg_write_all_data', 'pg_read_server_files')
          AND pg_has_role(current_user, g.oid, 'USAGE') ORDER BY 1),
  has_function_privilege('pg_catalog.lo_export(oid, text)', 'EXECUTE'),
  has_database_privilege(current_database(), 'CREATE'),
  ARRAY(SELECT n.nspname::text FROM pg_namespace n
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
          AND has_schema_privilege(n.oid, 'CREATE') ORDER BY 1 LIMIT 3),
  ARRAY(SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'f', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
          AND (has_any_column_privilege(c.oid, 'INSERT')
               OR has_any_column_privilege(c.oid, 'UPDATE')
               OR has_table_privilege(c.oid, 'DELETE')
               OR has_table_privilege(c.oid, 'TRUNCATE'))
        ORDER BY 1 LIMIT 3)
FROM pg_roles r WHERE r.rolname = current_user
"""


def _role_powers(conn) -> tuple[str, list[str], list[str]]:  # type: ignore[no-untyped-def]
    """What the connected role could do beyond reading: (role, server powers, write powers).

    Server powers reach outside the database (superuser, ``pg_write_server_files``,
    ``pg_execute_server_program``, ``pg_read_server_files``, ``lo_export``); write powers
    change it (INSERT/UPDATE/DELETE/TRUNCATE on a table, CREATE on the database or a schema,
    CREATEROLE, which before PostgreSQL 16 can grant itself the server roles, CREATEDB).
    """
    row = conn.execute(_ROLE_POWERS).fetchone()
    user, sup, createrole, createdb, roles, lo_export, create_db, schemas, tables = row
    server: list[str] = []
    if sup:
        server.append("is a superuser (a read-only transaction does not stop lo_export or "
                      "COPY TO PROGRAM)")
    server += [f"is a member of {g}" for g in roles if g != "pg_write_all_data"]
    if lo_export and not sup:
        server.append("may call lo_export (writes server files)")
    write: list[str] = []
    if "pg_write_all_data" in roles:
        write.append("is a member of pg_write_all_data")
    if tables:
        write.append(f"may change tables ({', '.join(tables)}"
                     f"{', ...' if len(tables) == 3 else ''})")
    if schemas:
        write.append(f"may create objects in schema {', '.join(schemas)}")
    if create_db:
        write.append("may create schemas in the database")
    if createrole:
        write.append("may create roles (CREATEROLE)")
    if createdb:
        write.append("may create databases (CREATEDB)")
    return str(user), server, write


def _check_role(conn, *, query: bool, source: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse a role that could do more than read (see the module docstring)."""
    user, server, write = _role_powers(conn)
    reasons = server + (write if query else [])
    if not reasons:
        return
    what = "run a query" if query else "read tables"
    raise PrivacyError(
        f"refusing to {what} as role '{user}': it {'; it '.join(reasons)}",
        file=source,
        hint="connect as a role that can only read, e.g. CREATE ROLE analyst LOGIN; "
             "GRANT CONNECT ON DATABASE abh TO analyst; GRANT USAGE ON SCHEMA fachverfahren "
             "TO analyst; GRANT SELECT ON fachverfahren.ereignisse TO analyst")


def _pg_kinds(conn, description) -> list[str]:  # type: ignore[no-untyped-def]
    kinds = []
    for col in description:
        info = conn.adapters.types.get(col.type_code)
        kinds.append(_PG_KINDS.get(info.name if info is not None else "", "object"))
    return kinds


def _column_array(values: Sequence[Any], kind: str, timezone: str) -> Any:
    """One column of a chunk with a fixed dtype, so that all chunks concatenate cleanly."""
    try:
        if kind == "timestamptz":
            return pd.array(values, dtype=pd.DatetimeTZDtype("us", timezone))
        if kind in ("timestamp", "date"):
            return pd.array(values, dtype="datetime64[us]")
        if kind == "int":
            return pd.array(values, dtype="Int64")
        if kind == "float":
            return pd.array(values, dtype="Float64")
        if kind == "bool":
            return pd.array(values, dtype="boolean")
        if kind == "uuid":
            values = [None if v is None else str(v) for v in values]
            kind = "text"
        if kind == "text":
            return pd.array(values, dtype="str")
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        pass  # e.g. a date outside the range pandas holds: keep the Python objects
    return pd.Series(values, dtype=object).array


def _chunk_frame(rows: Sequence[Sequence[Any]], names: list[str], kinds: list[str],
                 timezone: str) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data = {i: _column_array(col, kind, timezone)
            for i, (col, kind) in enumerate(zip(columns, kinds, strict=True))}
    frame = pd.DataFrame(data)
    frame.columns = pd.Index(names)
    return frame


def _pg_catalog(conn) -> tuple[list[tuple[str, str]], list[str]]:  # type: ignore[no-untyped-def]
    """Readable relations (tables, views, materialized views, foreign and partitioned
    tables) and the effective search path. This is the allow-list for table names."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname"
        " FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        "   AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
        "   AND has_schema_privilege(n.oid, 'USAGE')"
        "   AND has_any_column_privilege(c.oid, 'SELECT')"
        " ORDER BY 1, 2").fetchall()
    search_path = conn.execute("SELECT current_schemas(false)").fetchone()[0]
    return [(r[0], r[1]) for r in rows], list(search_path)


def _pg_columns(conn, schema: str, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        "SELECT a.attname FROM pg_catalog.pg_attribute a"
        " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped"
        "   AND has_column_privilege(c.oid, a.attnum, 'SELECT')"
        " ORDER BY a.attnum", (schema, table)).fetchall()
    return [r[0] for r in rows]


def read_postgres_raw(url: str, options: ImportOptions | None = None, *,
                      chunk_size: int = DEFAULT_CHUNK_SIZE,
                      statement_timeout: int = DEFAULT_STATEMENT_TIMEOUT,
                      progress: Callable[[int], None] | None = None) -> RawTable:
    """Read a table or the result of a SELECT query from PostgreSQL, read-only, in chunks.

    Args:
        url: ``postgresql://user@host:5432/database`` (a password in it works but is better
            kept in PGPASSWORD or ~/.pgpass), or a libpq ``key=value`` string.
        options: ``table`` (``name`` or ``schema.name``, exactly as the database spells it)
            or ``query``; ``timezone`` is the session time zone for ``timestamptz`` values.
        chunk_size: rows fetched from the server-side cursor per round trip.
        statement_timeout: seconds one statement (one fetch) may take on the server.
        progress: called with the number of rows read so far after each chunk.

    Raises:
        ConfigError: neither or both of table and query, a query that is not a SELECT.
        PrivacyError: the role could do more than read (:func:`_check_role`).
        InputError: code DATABASE for connection failures, unknown tables, failing or
            writing queries; DUPLICATE_HEADER for duplicate result column names.
    """
    import psycopg
    from psycopg import sql

    options = options or ImportOptions()
    source = redact_url(url)
    if chunk_size < 1:
        raise ConfigError("chunk_size must be at least 1", file=source)
    table, query = _target(options, source=source)
    if query is not None:
        _check_query_start(query, source, _QUERY_KEYWORDS)
    secrets = _secrets_of(url)
    conn = _connect(url, source, secrets)
    what = "query" if query is not None else "table read"
    notes: list[str] = []
    frames: list[pd.DataFrame] = []
    try:
        conn.read_only = True
        try:
            conn.execute(
                "SELECT set_config('default_transaction_read_only', 'on', false),"
                " set_config('statement_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false),"
                " set_config('lock_timeout', %s, false)",
                (f"{statement_timeout * 1000}", f"{max(statement_timeout, 60) * 1000}",
                 f"{statement_timeout * 1000}"))
            try:
                conn.execute("SELECT set_config('TimeZone', %s, false)", (options.timezone,))
            except psycopg.errors.InvalidParameterValue:
                raise ConfigError(f"unknown time zone '{options.timezone}'", file=source,
                                  hint="use a name such as Europe/Berlin") from None
            _check_role(conn, query=query is not None, source=source)
            if table is not None:
                tables, search_path = _pg_catalog(conn)
                schema, name = _resolve_table(table, tables, search_path, source=source,
                                              system="PostgreSQL")
                columns = _pg_columns(conn, schema, name)
                if not columns:
                    raise InputError(f"this role may read no column of {schema}.{name}",
                                     file=source, code=ErrorCode.DATABASE)
                statement = sql.SQL("SELECT {cols} FROM {table}").format(
                    cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                    table=sql.Identifier(schema, name))
                notes.append(f"postgresql: table {schema}.{name}, {len(columns)} column(s)")
            else:
                assert query is not None
                statement = sql.SQL(query)  # the user's own SELECT, run read-only
                notes.append("postgresql: query")
            total = 0
            with conn.cursor(name=_CURSOR_NAME) as cur:
                cur.itersize = chunk_size
                cur.execute(statement)
                description = cur.description or []
                names = [d.name for d in description]
                check_unique_columns(names, file=source,
                                     hint="give every result column its own name with AS")
                kinds = _pg_kinds(conn, description)
                while True:
                    rows = cur.fetchmany(chunk_size)
                    if not rows:
                        break
                    frames.append(_chunk_frame(rows, names, kinds, options.timezone))
                    total += len(rows)
                    if progress is not None:
                        progress(total)
        except psycopg.Error as exc:
            raise _database_error(exc, source=source, secrets=secrets, what=what,
                                  timeout=statement_timeout) from None
    finally:
        try:
            conn.rollback()  # never commit anything
        except psycopg.Error:
            pass
        conn.close()
    frame = _frame_from_chunks(frames, _chunk_frame([], names, kinds, options.timezone))
    frames.clear()
    add_source_row(frame, first=1, file=source, format_name="postgresql")
    notes.append(f"postgresql: {total:,} rows in {max(1, -(-total // chunk_size))} chunk(s) "
                 f"of up to {chunk_size:,}")
    return RawTable(frame=frame, source_file=source, row_label="row", format="postgresql",
                    events_read=total, notes=notes)


# ------------------------------------------------------------------------------------- DuckDB

_DUCKDB_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


def _quote_duckdb(name: str) -> str:
    """A DuckDB identifier in double quotes (inner quotes doubled); for allow-listed names."""
    return '"' + name.replace('"', '""') + '"'


def _duckdb_error(exc: Exception, *, source: str, what: str) -> InputError:
    text = " ".join(str(exc).split())
    low = text.lower()
    if "read-only" in low or "read only" in low:
        return InputError(f"the {what} tries to change the database, but the import only "
                          f"reads: {text}", file=source, code=ErrorCode.DATABASE,
                          hint="write a query that only selects (the file is opened read-only)")
    if ("external access" in low or "disabled by configuration" in low
            or "permission error" in low):
        return InputError(f"the {what} tries to read outside the database file: {text}",
                          file=source, code=ErrorCode.DATABASE,
                          hint="files, network and extensions are switched off for imports")
    return InputError(f"the {what} failed: {text}", file=source, code=ErrorCode.DATABASE)


def read_duckdb_raw(path: str | os.PathLike[str], options: ImportOptions | None = None, *,
                    chunk_size: int = DEFAULT_CHUNK_SIZE) -> RawTable:
    """Read a table or a SELECT query's result from a DuckDB database file, read-only.

    Raises:
        ConfigError: neither or both of table and query, a query that is not one SELECT.
        InputError: FILE_NOT_FOUND, EMPTY_FILE, WRONG_FORMAT (not a DuckDB file), DATABASE
            (unknown table, failing query, file locked or from a newer DuckDB).
    """
    import duckdb
    import pyarrow as pa

    options = options or ImportOptions()
    path = Path(path)
    source = str(path)
    if chunk_size < 1:
        raise ConfigError("chunk_size must be at least 1", file=source)
    table, query = _target(options, source=source)
    if query is not None:
        _check_query_start(query, source, _DUCKDB_QUERY_KEYWORDS)
    check_source_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=path,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    if head[8:12] != b"DUCK":
        raise wrong_format(path, "a DuckDB database file", head)
    try:
        conn = duckdb.connect(str(path), read_only=True, config=dict(_DUCKDB_CONFIG))
    except duckdb.Error as exc:
        text = " ".join(str(exc).split())
        hint = None
        if "lock" in text.lower():
            hint = "another program has the file open for writing: close it and try again"
        elif "version" in text.lower():
            hint = "the file was written by another DuckDB version; export it from there"
        raise InputError(f"cannot open the DuckDB database: {text}", file=path,
                         code=ErrorCode.DATABASE, hint=hint) from None
    notes: list[str] = []
    what = "query" if query is not None else "table read"
    try:
        try:
            if table is not None:
                catalog = conn.execute("SELECT current_database()").fetchone()[0]
                rows = conn.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_catalog = ? ORDER BY 1, 2", [catalog]).fetchall()
                schema, name = _resolve_table(table, [(r[0], r[1]) for r in rows], ["main"],
                                              source=source, system="DuckDB")
                columns = [r[0] for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_catalog = ? AND table_schema = ? AND table_name = ?"
                    " ORDER BY ordinal_position", [catalog, schema, name]).fetchall()]
                # Fully qualified: the file's catalog may have the name of a schema.
                statement = " ".join((
                    "SELECT", ", ".join(_quote_duckdb(c) for c in columns),
                    "FROM", ".".join(_quote_duckdb(p) for p in (catalog, schema, name))))
                notes.append(f"duckdb: table {schema}.{name}, {len(columns)} column(s)")
            else:
                assert query is not None
                statements = conn.extract_statements(query)
                if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
                    raise ConfigError("the query must be exactly one SELECT statement",
                                      file=source, hint="the import only reads")
                statement = query
                notes.append("duckdb: query")
            relation = conn.sql(statement)
            # DuckDB 2 calls it to_arrow_reader, DuckDB 1 fetch_arrow_reader.
            to_reader = (getattr(relation, "to_arrow_reader", None)
                         or relation.fetch_arrow_reader)
            reader = to_reader(chunk_size)
            names = list(reader.schema.names)
            check_unique_columns(names, file=source,
                                 hint="give every result column its own name with AS")
            batches = list(reader)
            arrow_table = pa.Table.from_batches(batches, schema=reader.schema)
            del batches
        except duckdb.Error as exc:
            raise _duckdb_error(exc, source=source, what=what) from None
    finally:
        conn.close()
    total = arrow_table.num_rows
    frame = arrow_to_pandas(arrow_table)
    del arrow_table
    add_source_row(frame, first=1, file=source, format_name="duckdb")
    notes.append(f"duckdb: {total:,} rows")
    return RawTable(frame=frame, source_file=source, row_label="row", format="duckdb",
                    events_read=total, notes=notes)
