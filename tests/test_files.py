"""Outputs: atomic, never over an input, and every environment failure an OutputError that
names the file, with no temporary file left behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, OutputError
from ist_analyse.files import atomic_path, check_output, input_files, write_text_atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_replaces_the_target_only_when_complete(tmp_path):
    target = tmp_path / "x.txt"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old" and leftovers(tmp_path) == []
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and leftovers(tmp_path) == []


def test_a_missing_output_folder_is_created(tmp_path):
    target = tmp_path / "a" / "b" / "x.txt"
    write_text_atomic(target, "x")
    assert target.read_text() == "x"


@pytest.mark.parametrize(("code", "name"), [
    (errno.ENOSPC, "disk full"), (errno.EDQUOT, "quota"), (errno.EFBIG, "file size limit"),
    (errno.EROFS, "read-only file system"), (errno.EACCES, "no permission"),
    (errno.EPERM, "not permitted"), (errno.EIO, "I/O error")])
def test_environment_errors_while_writing_are_output_errors(tmp_path, code, name):
    """Any OSError of a writer (here raised as the system would) names the target."""
    target = tmp_path / "x.parquet"
    with pytest.raises(OutputError) as err, atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError(code, os.strerror(code), str(tmp))
    assert err.value.code == ErrorCode.OUTPUT and err.value.file == str(target)
    assert os.strerror(code) in err.value.message
    assert not target.exists() and leftovers(tmp_path) == []


def test_folder_removed_while_writing(tmp_path):
    folder = tmp_path / "out"
    target = folder / "x.txt"
    with pytest.raises(OutputError) as err, atomic_path(target) as tmp:
        tmp.write_text("x")
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
    assert err.value.file == str(target) and "removed" in err.value.hint
    assert not folder.exists()


@pytest.mark.parametrize("where", ["file/x.txt", "file/sub/x.txt"])
def test_a_file_where_the_folder_should_be(tmp_path, where):
    (tmp_path / "file").write_text("keep")
    with pytest.raises(OutputError) as err:
        write_text_atomic(tmp_path / where, "x")
    assert err.value.code == ErrorCode.OUTPUT and err.value.file == str(tmp_path / where)
    assert (tmp_path / "file").read_text() == "keep"


def test_file_size_limit_in_a_real_process(tmp_path):
    """RLIMIT_FSIZE makes write() fail with EFBIG (Python ignores SIGXFSZ): exit code 2, the
    message names the file, no temporary file stays."""
    target = tmp_path / "big.txt"
    code = ("import resource, sys; "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000)); "
            "from ist_analyse.files import write_text_atomic; from ist_analyse.errors import "
            "OutputError\ntry:\n write_text_atomic(sys.argv[1], 'x' * 100000)\n"
            "except OutputError as e:\n print(e.to_dict()); sys.exit(2)")
    res = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True)
    assert res.returncode == 2, res.stderr
    assert str(target) in res.stdout and "ulimit" in res.stdout
    assert not target.exists() and leftovers(tmp_path) == []


def test_import_into_the_file_size_limit_exits_2(tmp_path):
    """The same through the command line and pyarrow's Parquet writer."""
    log = Path(__file__).parent.parent / "sample_logs" / "abh_checklist_2024.csv"
    code = ("import resource, sys; from ist_analyse.cli import main; "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); main(sys.argv[1:])")
    out = tmp_path / "log.parquet"
    res = subprocess.run([sys.executable, "-c", code, "import", str(log), "-o", str(out),
                          "--mapping", str(log.parent / "abh_mapping.toml")],
                         capture_output=True, text=True)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith(f"ist-analyse: {out}: cannot write")
    assert "Traceback" not in res.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_check_output_refuses_inputs_also_through_links(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("x")
    (tmp_path / "link.csv").symlink_to(log)
    os.link(log, tmp_path / "hard.csv")
    for name in ("log.csv", "link.csv", "hard.csv", "./sub/../log.csv"):
        with pytest.raises(OutputError) as err:
            check_output(tmp_path / name, [log])
        assert err.value.code == ErrorCode.OUTPUT
    with pytest.raises(OutputError):
        check_output(tmp_path, [log])  # a folder
    assert check_output(tmp_path / "other.csv", [log]) == tmp_path / "other.csv"


def test_input_files_lists_mapping_and_key_files(tmp_path, monkeypatch):
    default_key = tmp_path / "default.key"
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(default_key))
    mapping = tmp_path / "m.toml"
    mapping.write_text(f'[privacy]\nkey_file = "{tmp_path / "named.key"}"\n')
    assert input_files("log.csv", None, "postgresql://u@h/db") == [Path("log.csv")]
    assert input_files("log.csv", options=ImportOptions()) == [Path("log.csv"), default_key]
    assert input_files(options=ImportOptions(pseudonymize=False)) == []
    assert input_files("a.csv", "b.bpmn", options=ImportOptions(mapping_file=mapping)) == [
        Path("a.csv"), Path("b.bpmn"), mapping, tmp_path / "named.key"]
    assert input_files(options=ImportOptions(key_file=tmp_path / "k")) == [tmp_path / "k"]
