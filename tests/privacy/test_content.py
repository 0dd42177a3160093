"""Person columns recognised by their values; rare labels pooled into one counted group."""

import pandas as pd
import pytest

from ist_analyse.privacy.content import document_number, iban_valid, person_content, phone_number
from ist_analyse.privacy.suppress import group_rare_labels


@pytest.mark.parametrize("value", ["+49 611 123456", "0049 (0)611 12345", "0611/123456",
                                   "0611 123456", "(069) 123 45", "0171 2345678",
                                   "01712345678", "+33 1 23 45 67 89"])
def test_phone_numbers(value):
    assert phone_number(value)


@pytest.mark.parametrize("value", ["01.02.2020", "00123", "0012345678", "ABH-2024-0001",
                                   "12345", "2024-03-01", "0,5", "08:30"])
def test_not_phone_numbers(value):
    assert not phone_number(value)


def test_iban_checksum():
    assert iban_valid("DE89 3704 0044 0532 0130 00") and iban_valid("de89370400440532013000")
    assert not iban_valid("DE89370400440532013001")  # one digit off: checksum fails
    assert not iban_valid("ABH-2024-0001")


def test_document_numbers():
    # the specimen passport serial of the Bundesdruckerei, with and without check digit
    assert document_number("C01X00T47") and document_number("C01X00T478")
    assert not document_number("C01X00T479")  # wrong ICAO 9303 check digit
    assert not document_number("ABCDEFGHI") and not document_number("A01X00T47")  # vowel A


def col(values):
    return pd.Series(values, dtype="string")


def test_content_reasons():
    emails = col([f"p{i}@example.org" for i in range(9)] + ["unbekannt"])
    assert "e-mail" in person_content(emails, reference_year=2025)
    assert person_content(col(["Studium", "Arbeit", "a@b.de"]), reference_year=2025) is None
    births = col(["01.02.1970", "1985-12-31", "03.04.1999", "05.06.2015"])
    assert "birth" in person_content(births, reference_year=2025)  # 3 of 4 before 2011
    applied = col(["01.02.2025", "03.04.2024", "05.06.2025"])
    assert person_content(applied, reference_year=2025) is None
    as_dates = pd.Series(pd.to_datetime(["1970-02-01", "1985-12-31"]))
    assert "birth" in person_content(as_dates, reference_year=2025)
    assert person_content(pd.Series([1.5, 2.0]), reference_year=2025) is None


def test_rare_labels_counted_by_cases_not_rows():
    df = pd.DataFrame({"case_id": ["a"] * 6 + ["b", "c", "d", "e", "f"],
                       "activity": ["Telefonat Frau X"] * 6 + ["Antrag"] * 5,
                       "zweck": ["Studium"] * 6 + ["Studium", "Studium", "Studium", "Studium",
                                                   "Sonderfall"]})
    grouped = group_rare_labels(df, ["activity", "zweck"], case_col="case_id", k_min=5)
    assert grouped == {"activity": 1, "zweck": 1}
    assert df["activity"].tolist() == ["(seltene Bezeichnungen: 1)"] * 6 + ["Antrag"] * 5
    assert df["zweck"].value_counts().to_dict() == {"Studium": 10,
                                                    "(seltene Bezeichnungen: 1)": 1}
    # again with a larger k: the old group is merged into the new one and counted
    assert group_rare_labels(df, ["activity"], case_col="case_id", k_min=6) == {"activity": 2}
    assert set(df["activity"]) == {"(seltene Bezeichnungen: 2)"}
    # a label the user named (an end activity) is kept
    df2 = pd.DataFrame({"case_id": ["a", "b"], "activity": ["Bescheid", "Rückruf"]})
    assert group_rare_labels(df2, ["activity"], case_col="case_id", k_min=5,
                             keep=["Bescheid"]) == {"activity": 1}
    assert df2["activity"].tolist() == ["Bescheid", "(seltene Bezeichnungen: 1)"]
    # k_min = 1 switches it off
    df3 = pd.DataFrame({"case_id": ["a"], "activity": ["x"]})
    assert group_rare_labels(df3, ["activity"], case_col="case_id", k_min=1) == {}
