"""Opening an input file (io.formats.opening): one short error for a missing file or a folder,
whether the pipeline looks at its first bytes or the CSV reader reads it whole."""

from __future__ import annotations

import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import InputError
from ist_analyse.io import csv as C
from ist_analyse.io.pipeline import read_raw


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "nope.csv", "file not found"),
    (lambda p: p, "is a folder, not a file"),
])
def test_missing_file_and_folder_are_input_errors_naming_the_file(tmp_path, make, words):
    path = make(tmp_path)
    for read in (C._read_bytes, lambda p: read_raw(p, ImportOptions())):
        with pytest.raises(InputError) as err:
            read(path)
        assert words in str(err.value) and str(path) in str(err.value)
