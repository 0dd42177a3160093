"""Notes of the analyses: English text everywhere a string goes, code and values besides."""

from __future__ import annotations

import copy
import json
import pickle

from ist_analyse.notes import Note, NoteCode


def test_a_note_is_its_english_text():
    note = Note(NoteCode.START_AFTER_END, "3 activity instances start after they end; their "
                "start time was ignored", count=3)
    text = "3 activity instances start after they end; their start time was ignored"
    assert note == text and hash(note) == hash(text) and f"note: {note}" == f"note: {text}"
    assert json.dumps({"notes": [note]}) == json.dumps({"notes": [text]})
    assert type(str(note)) is str
    # plain strings and notes of the same text count once
    assert list(dict.fromkeys([note, text])) == [text]


def test_a_note_survives_copy_and_pickle():
    note = Note(NoteCode.OPEN_CASES_NOT_COMPARED, "2 open cases ...", count=2, ends=["C"])
    for again in (copy.copy(note), copy.deepcopy(note), pickle.loads(pickle.dumps(note))):
        assert type(again) is Note and again == note
        assert again.code is NoteCode.OPEN_CASES_NOT_COMPARED
        assert again.values == {"count": 2, "ends": ["C"]}
