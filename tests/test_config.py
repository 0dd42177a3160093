"""Mapping files and the layering of options."""

from pathlib import Path

import pytest

from ist_analyse.config import ImportOptions, load_mapping_file, normalize_date_format
from ist_analyse.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mapping.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_mapping_file_fills_unset_options_and_explicit_wins(tmp_path):
    p = write(tmp_path, """
[columns]
case_id = "Nr"
activity = "Schritt"
[csv]
sep = ";"
encoding = "cp1252"
date_format = "TT.MM.JJJJ HH:MM"
[import]
end_activities = ["Vorgang abgeschlossen"]
[staff]
"SB-07" = "Sachbearbeitung"
[privacy]
drop_columns = ["Hinweis"]
""")
    opts = ImportOptions(mapping_file=p, sep=",", columns={"activity": "Tätigkeit"})
    got = opts.with_mapping_file()
    assert got.sep == ","  # explicit wins
    assert got.encoding == "cp1252"
    assert got.columns == {"case_id": "Nr", "activity": "Tätigkeit"}
    assert got.end_activities == ("Vorgang abgeschlossen",)
    assert got.staff_roles == {"SB-07": "Sachbearbeitung"}
    assert got.drop_columns == ("Hinweis",)
    assert normalize_date_format(got.date_format) == "%d.%m.%Y %H:%M"


@pytest.mark.parametrize("text,needle", [
    ("[columns\ncase_id='x'", "not valid TOML"),
    ("[colums]\ncase_id='x'", "unknown section [colums]"),
    ("[columns]\nfall='x'", "unknown role 'fall'"),
    ("[csv]\nseparator=';'", "unknown key 'separator'"),
    ("[import]\nend_activities=3", "list of texts"),
])
def test_bad_mapping_files(tmp_path, text, needle):
    with pytest.raises(ConfigError) as err:
        load_mapping_file(write(tmp_path, text))
    assert needle in str(err.value)
    assert "mapping.toml" in str(err.value)


def test_toml_error_has_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_mapping_file(write(tmp_path, "[csv]\nsep = ;\n"))
    assert err.value.row == 2


def test_missing_mapping_file(tmp_path):
    with pytest.raises(ConfigError):
        load_mapping_file(tmp_path / "nope.toml")


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a=" * 5000 + "1" + "}" * 5000])
def test_mapping_file_nested_thousands_deep(tmp_path, nested):
    """Issue 14: tomllib recursed into RecursionError (exit 1)."""
    with pytest.raises(ConfigError) as err:
        load_mapping_file(write(tmp_path, f"[csv]\nsep = {nested}\n"))
    assert err.value.file == str(tmp_path / "mapping.toml")


def test_mapping_file_is_a_folder(tmp_path):
    (tmp_path / "m.toml").mkdir()
    with pytest.raises(ConfigError) as err:
        load_mapping_file(tmp_path / "m.toml")
    assert err.value.file == str(tmp_path / "m.toml")
