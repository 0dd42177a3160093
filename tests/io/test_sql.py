"""PostgreSQL and DuckDB readers, against a real (throwaway) PostgreSQL server and real files."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError, PrivacyError
from ist_analyse.io.sql import read_duckdb_raw, read_postgres_raw, redact_url

BERLIN = dt.timezone(dt.timedelta(hours=1))
INJECTION = 'cases"; DROP TABLE x; --'

GERMAN_ROWS = [
    ("ABH-2024-0001", "Antrag eingegangen", dt.datetime(2024, 3, 1, 8, 15, tzinfo=BERLIN), "SB-07"),
    ("ABH-2024-0001", "Prüfung der Unterlagen", dt.datetime(2024, 3, 4, 10, 0, tzinfo=BERLIN),
     "SB-12"),
    ("ABH-2024-0002", "Antrag eingegangen", dt.datetime(2024, 3, 2, 9, 30, tzinfo=BERLIN), "SB-07"),
    ("ABH-2024-0001", "Bescheid erstellt", dt.datetime(2024, 3, 8, 14, 45, tzinfo=BERLIN), None),
    ("ABH-2024-0002", "Vorsprache", dt.datetime(2024, 3, 5, 11, 5, tzinfo=BERLIN), "SB-12"),
]
GERMAN_COLUMNS = ["Vorgangsnummer", "Tätigkeit", "Zeitpunkt", "Bearbeiter"]
BIG = 50_000


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _with_password(url: str, password: str | None, dbname: str | None = None) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:{password}@{host}" if password is not None else f"{user}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


@pytest.fixture(scope="module")
def pg_db(pg_url: str):
    """Fill the test database once for this module; drop everything afterwards."""
    reader = f"ist_reader_{secrets.token_hex(4)}"
    reader_password = secrets.token_urlsafe(12)
    with _admin(pg_url) as conn:
        conn.execute("DROP SCHEMA IF EXISTS abh CASCADE")
        for name in ("vorgaenge", "vorgaenge_lokal", 'Fälle "2024"', "cases", "x", "big",
                     "protokoll", "typen"):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute('CREATE TABLE vorgaenge ("Vorgangsnummer" text, "Tätigkeit" text,'
                     ' "Zeitpunkt" timestamptz, "Bearbeiter" text)')
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO vorgaenge VALUES (%s, %s, %s, %s)", GERMAN_ROWS)
        conn.execute('CREATE TABLE vorgaenge_lokal ("Vorgangsnummer" text, "Tätigkeit" text,'
                     ' "Zeitpunkt" timestamp without time zone, "Bearbeiter" text)')
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO vorgaenge_lokal VALUES (%s, %s, %s, %s)",
                            [(a, b, c.replace(tzinfo=None), d) for a, b, c, d in GERMAN_ROWS])
        conn.execute("CREATE SCHEMA abh")
        conn.execute('CREATE TABLE abh.vorgaenge ("Vorgangsnummer" text, "Tätigkeit" text)')
        conn.execute("INSERT INTO abh.vorgaenge VALUES ('ABH-9', 'nur im Schema abh')")
        conn.execute('CREATE TABLE "Fälle ""2024""" ("a;b" text, "Zeit punkt" date)')
        conn.execute(sql.SQL("INSERT INTO {} VALUES ('eins', '2024-01-02'), ('zwei', NULL)")
                     .format(sql.Identifier('Fälle "2024"')))
        conn.execute("CREATE TABLE cases (id int)")
        conn.execute("INSERT INTO cases VALUES (1)")
        conn.execute("CREATE TABLE x (id int)")
        conn.execute("INSERT INTO x VALUES (1), (2)")
        conn.execute("CREATE TABLE big (i int, t text)")
        conn.execute("INSERT INTO big SELECT i, 'Schritt ' || i FROM generate_series(1, %s) i",
                     (BIG,))
        conn.execute("CREATE TABLE protokoll (n int)")
        conn.execute("CREATE OR REPLACE FUNCTION schreibe() RETURNS int LANGUAGE sql VOLATILE"
                     " AS $$ INSERT INTO protokoll VALUES (1) RETURNING n $$")
        conn.execute("CREATE TABLE typen (n int, betrag numeric(20, 2), f float8, b bool,"
                     " u uuid, d date)")
        conn.execute("INSERT INTO typen VALUES (1, 12.50, 0.5, true,"
                     " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29'),"
                     " (NULL, NULL, NULL, NULL, NULL, NULL)")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(reader), sql.Literal(reader_password)))
        for schema in ("public", "abh"):
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {r};"
                                 " GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}").format(
                s=sql.Identifier(schema), r=sql.Identifier(reader)))
    parts = urlsplit(pg_url)
    netloc = f"{reader}:{reader_password}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    reader_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    yield {"admin": pg_url, "reader": reader_url, "reader_password": reader_password}
    with _admin(pg_url) as conn:
        conn.execute("DROP SCHEMA abh CASCADE")
        conn.execute("DROP FUNCTION schreibe()")
        for name in ("vorgaenge", "vorgaenge_lokal", 'Fälle "2024"', "cases", "x", "big",
                     "protokoll", "typen"):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r};"
                             " REVOKE ALL ON SCHEMA public FROM {r}; DROP ROLE {r}").format(
            r=sql.Identifier(reader)))


def _count(url: str, table: str) -> int:
    with _admin(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return int(row.fetchone()[0])


# ------------------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_reads_german_table_by_name(pg_db):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="vorgaenge"))
    assert raw.format == "postgresql"
    assert raw.row_label == "row"
    assert raw.events_read == len(GERMAN_ROWS)
    assert list(raw.frame.columns) == [*GERMAN_COLUMNS, "source_row"]
    assert raw.frame["source_row"].tolist() == list(range(1, len(GERMAN_ROWS) + 1))
    assert raw.frame["source_row"].dtype == "int64"
    assert raw.frame["Vorgangsnummer"].tolist() == [r[0] for r in GERMAN_ROWS]
    assert raw.frame["Tätigkeit"].tolist() == [r[1] for r in GERMAN_ROWS]
    bearbeiter = raw.frame["Bearbeiter"]
    assert bearbeiter.isna().tolist() == [r[3] is None for r in GERMAN_ROWS]
    assert bearbeiter.dropna().tolist() == [r[3] for r in GERMAN_ROWS if r[3] is not None]
    zeit = raw.frame["Zeitpunkt"]
    assert isinstance(zeit.dtype, pd.DatetimeTZDtype)
    assert [t.to_pydatetime() for t in zeit] == [r[2] for r in GERMAN_ROWS]
    assert str(zeit.dt.tz) == "Europe/Berlin"
    assert zeit.iloc[0].hour == 8  # local Berlin time, as the session time zone says
    assert pg_db["reader_password"] not in raw.source_file
    assert raw.source_file.startswith("postgresql://ist_reader_")


@pytest.mark.postgres
def test_timestamp_without_time_zone_stays_naive(pg_db):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="vorgaenge_lokal"))
    zeit = raw.frame["Zeitpunkt"]
    assert zeit.dtype == "datetime64[us]"
    assert zeit.tolist() == [pd.Timestamp(r[2].replace(tzinfo=None)) for r in GERMAN_ROWS]


@pytest.mark.postgres
def test_session_time_zone_follows_options(pg_db):
    raw = read_postgres_raw(pg_db["reader"],
                            ImportOptions(table="vorgaenge", timezone="UTC"))
    zeit = raw.frame["Zeitpunkt"]
    assert str(zeit.dt.tz) == "UTC"
    assert zeit.iloc[0].hour == 7
    with pytest.raises(ConfigError):
        read_postgres_raw(pg_db["reader"],
                          ImportOptions(table="vorgaenge", timezone="Mars/Olympus"))


@pytest.mark.postgres
def test_reads_query_in_its_own_order(pg_db):
    query = """
        -- Vorgänge von SB-12, neueste zuerst
        SELECT "Vorgangsnummer" AS fall, "Tätigkeit", "Zeitpunkt"
        FROM vorgaenge WHERE "Bearbeiter" = 'SB-12' ORDER BY "Zeitpunkt" DESC;
    """
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(query=query))
    assert list(raw.frame.columns) == ["fall", "Tätigkeit", "Zeitpunkt", "source_row"]
    assert raw.frame["Tätigkeit"].tolist() == ["Vorsprache", "Prüfung der Unterlagen"]
    assert raw.frame["source_row"].tolist() == [1, 2]
    assert raw.events_read == 2


@pytest.mark.postgres
def test_with_query_is_allowed(pg_db):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(
        query='WITH f AS (SELECT DISTINCT "Vorgangsnummer" AS v FROM vorgaenge)'
              " SELECT v FROM f ORDER BY v"))
    assert raw.frame["v"].tolist() == ["ABH-2024-0001", "ABH-2024-0002"]
    # Percent signs and braces in the user's SQL are passed through untouched.
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(
        query="SELECT '{x} %s' AS t FROM vorgaenge WHERE \"Vorgangsnummer\" LIKE '%0002'"))
    assert raw.frame["t"].tolist() == ["{x} %s", "{x} %s"]


@pytest.mark.postgres
def test_schema_qualified_table(pg_db):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="abh.vorgaenge"))
    assert raw.frame["Tätigkeit"].tolist() == ["nur im Schema abh"]
    assert list(raw.frame.columns) == ["Vorgangsnummer", "Tätigkeit", "source_row"]
    # Unqualified means the search path (public), as in PostgreSQL itself.
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="vorgaenge"))
    assert raw.events_read == len(GERMAN_ROWS)
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="public.vorgaenge"))
    assert raw.events_read == len(GERMAN_ROWS)


@pytest.mark.postgres
@pytest.mark.parametrize("spec", ['Fälle "2024"', 'public.Fälle "2024"',
                                  '"Fälle ""2024"""', 'public."Fälle ""2024"""'])
def test_table_name_with_umlaut_quotes_and_space(pg_db, spec):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table=spec))
    assert list(raw.frame.columns) == ["a;b", "Zeit punkt", "source_row"]
    assert raw.frame["a;b"].tolist() == ["eins", "zwei"]
    assert raw.frame["Zeit punkt"].iloc[0] == pd.Timestamp("2024-01-02")
    assert pd.isna(raw.frame["Zeit punkt"].iloc[1])


@pytest.mark.postgres
@pytest.mark.parametrize("spec", [INJECTION, 'x"; DROP TABLE x; --', "x; DROP TABLE x",
                                  "cases WHERE 1=1; DROP TABLE x", 'public."x"; DROP TABLE x'])
def test_injection_in_table_name_is_rejected_and_table_survives(pg_db, spec):
    with pytest.raises(InputError) as info:
        read_postgres_raw(pg_db["admin"], ImportOptions(table=spec))
    assert info.value.code == ErrorCode.DATABASE
    assert _count(pg_db["admin"], "x") == 2
    assert _count(pg_db["admin"], "cases") == 1


@pytest.mark.postgres
def test_unknown_table_lists_readable_tables(pg_db):
    with pytest.raises(InputError) as info:
        read_postgres_raw(pg_db["reader"], ImportOptions(table="vorgänge"))
    assert info.value.code == ErrorCode.DATABASE
    assert "vorgaenge" in (info.value.hint or "")


@pytest.mark.postgres
@pytest.mark.parametrize("query", [
    "WITH neu AS (INSERT INTO protokoll VALUES (7) RETURNING n) SELECT n FROM neu",
    "SELECT schreibe()",
    "SELECT 1; DROP TABLE x",
    "SELECT * FROM x FOR UPDATE",
])
@pytest.mark.parametrize("role", ["admin", "reader"])
def test_queries_that_write_fail(pg_db, query, role):
    # the owner of the tables is refused before its query runs; a reader's query fails
    with pytest.raises(PrivacyError if role == "admin" else InputError) as info:
        read_postgres_raw(pg_db[role], ImportOptions(query=query))
    assert info.value.code == (ErrorCode.PRIVACY if role == "admin" else ErrorCode.DATABASE)
    assert _count(pg_db["admin"], "protokoll") == 0
    assert _count(pg_db["admin"], "x") == 2


@pytest.mark.postgres
def test_superuser_is_refused_before_lo_export_runs(pg_db, pg_super_url, tmp_path):
    target = tmp_path / "exfiltrated.txt"
    query = f"SELECT lo_export(lo_from_bytea(0, 'geheim'), '{target}') AS n"
    for options in (ImportOptions(query=query), ImportOptions(table="x")):
        with pytest.raises(PrivacyError) as info:
            read_postgres_raw(pg_super_url, options)
        assert info.value.code == ErrorCode.PRIVACY
        assert info.value.hint and "GRANT SELECT" in info.value.hint
    assert not target.exists()
    with _admin(pg_super_url) as conn:  # no large object was left behind either
        assert conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0] == 0


def _role(admin_url: str, grants: list[str]) -> tuple[str, str]:
    """A fresh login role with the given GRANT statements ({r} is the role); returns its URL."""
    name, password = f"ist_role_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    with _admin(admin_url) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(name), sql.Literal(password)))
        for grant in grants:
            conn.execute(sql.SQL(grant).format(r=sql.Identifier(name)))
    parts = urlsplit(admin_url)
    netloc = f"{name}:{password}@{parts.hostname}:{parts.port}"
    return name, urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _drop_role(admin_url: str, name: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r};"
                             " REVOKE ALL ON SCHEMA public FROM {r}; DROP ROLE {r}").format(
            r=sql.Identifier(name)))


@pytest.mark.postgres
@pytest.mark.parametrize("grant", [
    "GRANT INSERT ON x TO {r}",
    "GRANT UPDATE (id) ON x TO {r}",
    "GRANT TRUNCATE ON protokoll TO {r}",
    "GRANT CREATE ON SCHEMA public TO {r}",
])
def test_query_refused_for_a_role_that_can_write(pg_db, grant):
    name, url = _role(pg_db["admin"], ["GRANT USAGE ON SCHEMA public TO {r}",
                                       "GRANT SELECT ON x TO {r}", grant])
    try:
        with pytest.raises(PrivacyError) as info:
            read_postgres_raw(url, ImportOptions(query="SELECT id FROM x"))
        assert info.value.code == ErrorCode.PRIVACY
        # a table read composes its own SELECT: allowed, the role has no server powers
        raw = read_postgres_raw(url, ImportOptions(table="x"))
        assert sorted(raw.frame["id"]) == [1, 2]
    finally:
        _drop_role(pg_db["admin"], name)


@pytest.mark.postgres
def test_query_allowed_for_a_role_that_can_only_read(pg_db):
    name, url = _role(pg_db["admin"], ["GRANT USAGE ON SCHEMA public TO {r}",
                                       "GRANT SELECT ON x TO {r}"])
    try:
        raw = read_postgres_raw(url, ImportOptions(query="SELECT id FROM x ORDER BY id"))
        assert raw.frame["id"].tolist() == [1, 2]
    finally:
        _drop_role(pg_db["admin"], name)


@pytest.mark.postgres
@pytest.mark.parametrize("query", ["INSERT INTO protokoll VALUES (1)", "DROP TABLE x",
                                   "UPDATE x SET id = 0", "  ", "COPY x TO STDOUT"])
def test_query_must_be_a_select(pg_db, query):
    with pytest.raises(ConfigError):
        read_postgres_raw(pg_db["admin"], ImportOptions(query=query))
    assert _count(pg_db["admin"], "protokoll") == 0
    assert _count(pg_db["admin"], "x") == 2


@pytest.mark.postgres
def test_exactly_one_of_table_and_query(pg_db):
    with pytest.raises(ConfigError):
        read_postgres_raw(pg_db["reader"], ImportOptions())
    with pytest.raises(ConfigError):
        read_postgres_raw(pg_db["reader"], ImportOptions(table="x", query="SELECT 1"))


@pytest.mark.postgres
def test_streams_in_chunks_and_numbers_rows(pg_db):
    seen: list[int] = []
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(query="SELECT i, t FROM big ORDER BY i"),
                            chunk_size=7_000, progress=seen.append)
    assert seen == [*range(7_000, BIG, 7_000), BIG]  # 8 chunks, the last one short
    assert raw.events_read == BIG
    assert len(raw.frame) == BIG
    assert raw.frame["source_row"].tolist() == list(range(1, BIG + 1))
    assert raw.frame["i"].tolist() == list(range(1, BIG + 1))
    assert raw.frame["t"].iloc[-1] == f"Schritt {BIG}"
    assert raw.frame.index.equals(pd.RangeIndex(BIG))
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="big"))
    assert raw.events_read == BIG
    assert raw.frame["source_row"].iloc[-1] == BIG


@pytest.mark.postgres
def test_typed_columns(pg_db):
    raw = read_postgres_raw(pg_db["reader"], ImportOptions(table="typen"), chunk_size=1)
    f = raw.frame
    assert f["n"].dtype == "Int64"
    assert f["n"].tolist()[0] == 1 and pd.isna(f["n"].iloc[1])
    assert f["betrag"].iloc[0] == Decimal("12.50")
    assert f["f"].dtype == "Float64"
    assert f["b"].dtype == "boolean"
    assert f["u"].iloc[0] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert f["d"].iloc[0] == pd.Timestamp("2024-02-29")


@pytest.mark.postgres
def test_empty_result_keeps_columns(pg_db):
    raw = read_postgres_raw(pg_db["reader"],
                            ImportOptions(query="SELECT * FROM vorgaenge WHERE false"))
    assert raw.events_read == 0
    assert list(raw.frame.columns) == [*GERMAN_COLUMNS, "source_row"]


@pytest.mark.postgres
def test_duplicate_result_columns_are_refused(pg_db):
    with pytest.raises(InputError) as info:
        read_postgres_raw(pg_db["reader"], ImportOptions(
            query='SELECT "Vorgangsnummer" AS v, "Tätigkeit" AS v FROM vorgaenge'))
    assert info.value.code == ErrorCode.DUPLICATE_HEADER


@pytest.mark.postgres
def test_statement_timeout(pg_db):
    with pytest.raises(InputError) as info:
        read_postgres_raw(pg_db["reader"], ImportOptions(query="SELECT pg_sleep(5)"),
                          statement_timeout=1)
    assert info.value.code == ErrorCode.DATABASE


@pytest.mark.postgres
def test_wrong_password_gives_short_database_error(pg_db):
    wrong = "Geheim-" + secrets.token_hex(6)
    url = _with_password(pg_db["reader"], wrong)
    with pytest.raises(InputError) as info:
        read_postgres_raw(url, ImportOptions(table="vorgaenge"))
    err = info.value
    assert err.code == ErrorCode.DATABASE
    assert wrong not in str(err) and wrong not in repr(err.to_dict())
    assert pg_db["reader_password"] not in str(err)
    assert "Traceback" not in str(err)
    assert "password" in str(err)
    assert err.file == redact_url(url) and ":" + wrong not in err.file
    assert err.__cause__ is None and err.__suppress_context__


@pytest.mark.postgres
def test_unknown_database_and_closed_port(pg_db):
    password = pg_db["reader_password"]
    url = _with_password(pg_db["reader"], password, dbname="gibt_es_nicht")
    with pytest.raises(InputError) as info:
        read_postgres_raw(url, ImportOptions(table="vorgaenge"))
    assert info.value.code == ErrorCode.DATABASE
    assert "gibt_es_nicht" in str(info.value)
    assert password not in str(info.value)

    from tests.pg_server import _free_port

    closed = f"postgresql://someone:{password}@127.0.0.1:{_free_port()}/db"
    with pytest.raises(InputError) as info:
        read_postgres_raw(closed, ImportOptions(table="vorgaenge"))
    assert info.value.code == ErrorCode.DATABASE
    assert password not in str(info.value)


@pytest.mark.postgres
def test_password_from_pgpassword(pg_db, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", pg_db["reader_password"])
    url = _with_password(pg_db["reader"], None)
    raw = read_postgres_raw(url, ImportOptions(table="vorgaenge"))
    assert raw.events_read == len(GERMAN_ROWS)
    assert raw.source_file == url


def test_redact_url():
    assert (redact_url("postgresql://analyst:s3cr%40t@localhost:5432/abh")
            == "postgresql://analyst@localhost:5432/abh")
    assert (redact_url("postgresql+psycopg://analyst:pw@db/abh?sslmode=require&password=pw")
            == "postgresql://analyst@db/abh?sslmode=require")
    assert "geheim" not in redact_url("host=db user=a password=geheim dbname=abh")
    assert "geheim" not in redact_url("host=db password='ge heim' dbname=abh")


def test_bad_url_is_a_database_error():
    with pytest.raises(InputError) as info:
        read_postgres_raw("postgresql://u:topsecret@127.0.0.1:notaport/x",
                          ImportOptions(table="t"))
    assert info.value.code == ErrorCode.DATABASE
    assert "topsecret" not in str(info.value)


# ---------------------------------------------------------------------------------- DuckDB


@pytest.fixture
def duck_file(tmp_path: Path) -> Path:
    path = tmp_path / "abh.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute('CREATE TABLE vorgaenge ("Vorgangsnummer" VARCHAR, "Tätigkeit" VARCHAR,'
                    ' "Zeitpunkt" TIMESTAMPTZ, "Bearbeiter" VARCHAR)')
        con.executemany("INSERT INTO vorgaenge VALUES (?, ?, ?, ?)", GERMAN_ROWS)
        con.execute("CREATE TABLE x (id INTEGER)")
        con.execute("INSERT INTO x VALUES (1), (2)")
        con.execute("CREATE SCHEMA abh")
        # The file's catalog is also called "abh": the reader must qualify fully.
        con.execute('CREATE TABLE abh.abh."Fälle ""2024""" ("a;b" VARCHAR)')
        con.execute('INSERT INTO abh.abh."Fälle ""2024""" VALUES (?), (?)', ["eins", "zwei"])
        con.execute("CREATE TABLE big AS SELECT range::INTEGER + 1 AS i FROM range(20000)")
        con.execute("CREATE VIEW leck AS SELECT * FROM read_text('/etc/hostname')")
    finally:
        con.close()
    return path


def test_duckdb_reads_table(duck_file):
    raw = read_duckdb_raw(duck_file, ImportOptions(table="vorgaenge"))
    assert raw.format == "duckdb"
    assert raw.row_label == "row"
    assert raw.events_read == len(GERMAN_ROWS)
    assert list(raw.frame.columns) == [*GERMAN_COLUMNS, "source_row"]
    assert raw.frame["source_row"].tolist() == list(range(1, len(GERMAN_ROWS) + 1))
    assert raw.frame["Tätigkeit"].tolist() == [r[1] for r in GERMAN_ROWS]
    zeit = raw.frame["Zeitpunkt"]
    assert isinstance(zeit.dtype, pd.DatetimeTZDtype)
    assert [t.to_pydatetime() for t in zeit] == [r[2] for r in GERMAN_ROWS]
    assert raw.source_file == str(duck_file)


def test_duckdb_reads_query_and_chunks(duck_file):
    raw = read_duckdb_raw(duck_file, ImportOptions(
        query='SELECT "Tätigkeit" FROM vorgaenge WHERE "Bearbeiter" = \'SB-07\' '
              'ORDER BY "Zeitpunkt";'))
    assert raw.frame["Tätigkeit"].tolist() == ["Antrag eingegangen", "Antrag eingegangen"]
    raw = read_duckdb_raw(duck_file, ImportOptions(query="SELECT i FROM big ORDER BY i DESC"),
                          chunk_size=1000)
    assert raw.frame["i"].tolist() == list(range(20000, 0, -1))
    assert raw.frame["source_row"].tolist() == list(range(1, 20001))


@pytest.mark.parametrize("spec", ['abh.Fälle "2024"', 'abh."Fälle ""2024"""'])
def test_duckdb_odd_names(duck_file, spec):
    raw = read_duckdb_raw(duck_file, ImportOptions(table=spec))
    assert list(raw.frame.columns) == ["a;b", "source_row"]
    assert raw.frame["a;b"].tolist() == ["eins", "zwei"]


def test_duckdb_missing_table_lists_tables(duck_file):
    with pytest.raises(InputError) as info:
        read_duckdb_raw(duck_file, ImportOptions(table="faelle"))
    assert info.value.code == ErrorCode.DATABASE
    assert "vorgaenge" in (info.value.hint or "")


def test_duckdb_injection_and_writes_rejected(duck_file):
    with pytest.raises(InputError) as info:
        read_duckdb_raw(duck_file, ImportOptions(table='x"; DROP TABLE x; --'))
    assert info.value.code == ErrorCode.DATABASE
    for query in ("SELECT 1; DROP TABLE x", "DROP TABLE x", "INSERT INTO x VALUES (3)"):
        with pytest.raises((ConfigError, InputError)):
            read_duckdb_raw(duck_file, ImportOptions(query=query))
    with pytest.raises(ConfigError):
        read_duckdb_raw(duck_file, ImportOptions(
            query="WITH n AS (SELECT 1) SELECT * FROM n; INSERT INTO x VALUES (3)"))
    assert read_duckdb_raw(duck_file, ImportOptions(table="x")).events_read == 2


@pytest.mark.parametrize("target", [{"table": "leck"},
                                    {"query": "SELECT * FROM read_csv('/etc/passwd')"}])
def test_duckdb_cannot_read_other_files(duck_file, target):
    with pytest.raises(InputError) as info:
        read_duckdb_raw(duck_file, ImportOptions(**target))
    assert info.value.code == ErrorCode.DATABASE


def test_duckdb_not_a_duckdb_file(tmp_path):
    csv = tmp_path / "export.duckdb"
    csv.write_text("Vorgangsnummer;Tätigkeit\nABH-1;Antrag\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_duckdb_raw(csv, ImportOptions(table="x"))
    assert info.value.code == ErrorCode.WRONG_FORMAT
    assert "text" in (info.value.hint or "")
    empty = tmp_path / "leer.duckdb"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_duckdb_raw(empty, ImportOptions(table="x"))
    assert info.value.code == ErrorCode.EMPTY_FILE
    with pytest.raises(InputError) as info:
        read_duckdb_raw(tmp_path / "fehlt.duckdb", ImportOptions(table="x"))
    assert info.value.code == ErrorCode.FILE_NOT_FOUND


def test_duckdb_file_is_not_modified(duck_file):
    before = duck_file.read_bytes()
    read_duckdb_raw(duck_file, ImportOptions(table="vorgaenge"))
    assert duck_file.read_bytes() == before
