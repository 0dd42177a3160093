"""A throwaway PostgreSQL server for the database tests: real server, no mocks.

:func:`postgres_server` runs ``initdb`` into a fresh temporary directory, starts the server with
``pg_ctl`` on a free TCP port of 127.0.0.1 (plus a unix socket inside that directory, nowhere
else), creates a login role with a password and a database it owns, and yields a URL such as
``postgresql://ist_test:<password>@127.0.0.1:<port>/ist_test``. At exit the server is stopped and
the directory removed.

* PostgreSQL refuses to run as root: as root the server binaries run as the ``postgres`` user
  (``runuser -u postgres --``); as any other user they run directly.
* The binaries are found through ``IST_ANALYSE_PG_BINDIR``, ``pg_config --bindir``,
  ``/usr/lib/postgresql/*/bin`` (newest first) or ``PATH``. Debian's ``postgresql`` package
  provides them (``scripts/install.sh --test``).
* With ``IST_ANALYSE_TEST_PG_URL`` set, that server is used instead and nothing is started.
  The role in that URL needs to create tables (and, for one test, roles) in that database;
  ``IST_ANALYSE_TEST_PG_SUPER_URL`` then names a superuser login for the refusal test.
* The throwaway cluster also has a superuser login ``ist_super`` (same password), so the test
  that the import refuses superusers is real.

Authentication: host connections need the password (scram-sha-256), so wrong-password tests
are real; the unix socket (directory mode 0700, owned by the server user) trusts its caller and
is used only to create the role and the database.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "IST_ANALYSE_TEST_PG_URL"
ENV_BINDIR = "IST_ANALYSE_PG_BINDIR"
ROLE = "ist_test"
#: a superuser with the same password, only in a throwaway cluster: the import must refuse it
SUPER_ROLE = "ist_super"
ENV_SUPER_URL = "IST_ANALYSE_TEST_PG_SUPER_URL"
DATABASE = "ist_test"
SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries (or no way to run them) on this machine."""


@dataclass
class _Cluster:
    bindir: Path
    base: Path
    port: int
    run_as: list[str]

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def sockets(self) -> Path:
        return self.base / "sock"

    @property
    def logfile(self) -> Path:
        return self.base / "server.log"


def find_bindir() -> Path:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``; raises PostgresUnavailable."""
    candidates: list[Path] = []
    env = os.environ.get(ENV_BINDIR)
    if env:
        candidates.append(Path(env))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            if out:
                candidates.append(Path(out))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version,
                         reverse=True):
        candidates.append(Path(initdb).parent)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresUnavailable(
        "no PostgreSQL server binaries found (initdb, pg_ctl, postgres); install Debian's "
        f"'postgresql' package (bash scripts/install.sh --test) or set {ENV_BINDIR} or {ENV_URL}")


#: where runuser and su live on Debian; root's PATH in a plain shell or CI may lack the sbin
#: directories (PATH=/usr/local/bin:/usr/bin:/bin), so they are looked up by absolute path too.
_SYSTEM_DIRS = "/usr/sbin:/sbin:/usr/bin:/bin"


def _run_as_server_user() -> list[str]:
    """Command prefix that runs a program as the ``postgres`` user (root only), or []."""
    runuser = shutil.which("runuser") or shutil.which("runuser", path=_SYSTEM_DIRS)
    if runuser:
        return [runuser, "-u", SERVER_USER, "--"]
    su = shutil.which("su") or shutil.which("su", path=_SYSTEM_DIRS)
    if su:
        # su -s: the postgres user's login shell may be /usr/sbin/nologin on hardened systems
        return [su, "-s", "/bin/sh", "-c", '"$0" "$@"', "--", SERVER_USER]
    return []


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cluster: _Cluster, tool: str, *args: str, timeout: float = 120) -> None:
    cmd = [*cluster.run_as, str(cluster.bindir / tool), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=cluster.base, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        log = ""
        if cluster.logfile.exists():
            with contextlib.suppress(OSError):
                log = cluster.logfile.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stdout}{proc.stderr}{log}")


def _start_cluster() -> _Cluster:
    bindir = find_bindir()
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            owner = None
        run_as = _run_as_server_user()
        if not run_as or owner is None:
            raise PostgresUnavailable(
                "running as root, but there is no 'postgres' user or neither runuser nor su "
                "to start PostgreSQL with (it refuses to run as root)")
    # As root, a directory the postgres user can reach (TMPDIR may point into /root).
    parent = "/tmp" if owner is not None else None
    base = Path(tempfile.mkdtemp(prefix="ist-analyse-pg-", dir=parent))
    cluster = _Cluster(bindir=bindir, base=base, port=0, run_as=run_as)
    try:
        cluster.sockets.mkdir(mode=0o700)
        if owner is not None:
            for path in (base, cluster.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _run(cluster, "initdb", "-D", str(cluster.data), "--username", SERVER_USER,
             "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
             "--no-locale", "--no-sync", "--no-instructions")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{cluster.sockets}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "30",
            "logging_collector": "off",
            "password_encryption": "'scram-sha-256'",
        }
        last_error: Exception | None = None
        for _attempt in range(3):
            cluster.port = _free_port()
            conf = dict(settings, port=str(cluster.port))
            with open(cluster.data / "postgresql.auto.conf", "a", encoding="utf-8") as f:
                f.writelines(f"{key} = {value}\n" for key, value in conf.items())
            try:
                _run(cluster, "pg_ctl", "-D", str(cluster.data), "-l", str(cluster.logfile),
                     "-w", "-t", "60", "start")
                break
            except RuntimeError as exc:  # most likely the port was taken meanwhile
                last_error = exc
        else:
            raise RuntimeError(f"PostgreSQL did not start: {last_error}")
        return cluster
    except BaseException:
        _remove(cluster)
        raise


def _stop_cluster(cluster: _Cluster) -> None:
    try:
        if (cluster.data / "postmaster.pid").exists():
            _run(cluster, "pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "-t", "60",
                 "stop")
    finally:
        _remove(cluster)


def _remove(cluster: _Cluster) -> None:
    for _attempt in range(5):
        shutil.rmtree(cluster.base, ignore_errors=True)
        if not cluster.base.exists():
            return
        time.sleep(0.2)


def _create_role_and_db(cluster: _Cluster, password: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=str(cluster.sockets), port=cluster.port, user=SERVER_USER,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
            sql.Identifier(ROLE), sql.Literal(password)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
            sql.Identifier(SUPER_ROLE), sql.Literal(password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(DATABASE), sql.Identifier(ROLE)))
    # PostgreSQL 15 no longer lets every role create objects in "public"; the owner can.
    with psycopg.connect(host=str(cluster.sockets), port=cluster.port, user=SERVER_USER,
                         dbname=DATABASE, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(ROLE)))


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a PostgreSQL database the tests may fill; clean up afterwards.

    Raises PostgresUnavailable (before yielding) when no server can be started here.
    """
    external = os.environ.get(ENV_URL)
    if external:
        yield external
        return
    cluster = _start_cluster()
    try:
        password = secrets.token_urlsafe(18)
        _create_role_and_db(cluster, password)
        yield f"postgresql://{ROLE}:{password}@127.0.0.1:{cluster.port}/{DATABASE}"
    finally:
        _stop_cluster(cluster)


if __name__ == "__main__":  # manual check: python tests/pg_server.py
    with postgres_server() as url:
        print("started:", url.split("@", 1)[-1])
        import psycopg

        with psycopg.connect(url) as conn:
            print(conn.execute("SELECT version()").fetchone())
    print("stopped and removed")
