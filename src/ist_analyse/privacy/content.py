"""Person columns recognised by their values, whatever the header says.

Exports carry person data under headers no list foresees (``Feld 7``, ``Kontakt``, ``Info 2``).
So every text column the import keeps besides the canonical ones is also judged by a sample
of its distinct values: when at least half of them look like e-mail addresses, phone numbers,
IBANs (with a valid checksum, ISO 13616), numbers of German identity documents (the 9-character
serial of the Personalausweis and Reisepass, PAuswV/PassV; with check digit, ICAO 9303) or
dates of birth, the column is dropped like a person column, with the reason in the import
report. Single values of that kind in an otherwise harmless column are caught by the rare
label rule instead (:func:`ist_analyse.privacy.suppress.group_rare_labels`): a value only a few
cases use is never printed.
"""

from __future__ import annotations

import re

import pandas as pd

#: distinct values judged per column (the first ones, so a run is reproducible)
SAMPLE = 1000
#: share of the sampled values that must look like person data
SHARE = 0.5
#: a date at least this many years before the log's events is taken for a birth date
MIN_AGE_YEARS = 14

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# +49 / 0049 / +<country>, or a German area code with a separator: 0611 12345, 0171/1234567,
# (069) 123 45; a bare digit string only as a mobile number (015x/016x/017x) - a bare
# 0-prefixed number is more often a file number.
_PHONE = re.compile(
    r"(?:(?:\+[1-9]|0049)[\d ()/-]{6,}"
    r"|0[1-9]\d{1,4}(?: ?/ ?| - |-| )\d[\d -]{2,}"
    r"|\(0[1-9]\d{1,4}\) ?\d[\d -]{2,}"
    r"|01[5-7]\d{8,9})")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
# German ID card and passport serials: letters without vowels and lookalikes (PAuswV Anl. 1)
_DOC_CHARS = "CFGHJKLMNPRTVWXYZ0123456789"
_DOCUMENT = re.compile(rf"[CFGHJKLMNPRTVWXYZ][{_DOC_CHARS}]{{8}}\d?")
_DATE = re.compile(r"(?:\d{1,2}\.\d{1,2}\.(\d{4})|(\d{4})-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?")


def iban_valid(text: str) -> bool:
    """ISO 13616 check: the country and check digits moved to the end, mod 97 must be 1."""
    value = re.sub(r"\s", "", text).upper()
    if not _IBAN.fullmatch(value):
        return False
    digits = "".join(str(int(c, 36)) for c in value[4:] + value[:4])
    return int(digits) % 97 == 1


def document_number(text: str) -> bool:
    """A German identity-document serial; with 10 characters the ICAO 9303 check digit holds."""
    value = text.strip().upper()
    if not _DOCUMENT.fullmatch(value) or sum(c.isdigit() for c in value[:9]) < 3:
        return False
    if len(value) == 9:
        return True
    weights = (7, 3, 1)
    check = sum(int(c, 36) * weights[i % 3] for i, c in enumerate(value[:9])) % 10
    return check == int(value[9])


def phone_number(text: str) -> bool:
    """A phone number as Germans write it (7 to 15 digits)."""
    value = text.strip()
    return bool(_PHONE.fullmatch(value)) and 7 <= sum(c.isdigit() for c in value) <= 15


def _birth_year(text: str, latest: int) -> bool:
    m = _DATE.fullmatch(text.strip())
    if not m:
        return False
    year = int(m.group(1) or m.group(2))
    return 1900 <= year <= latest


def person_content(values: pd.Series, *, reference_year: int) -> str | None:
    """Why a column's values look like person data, or ``None``.

    Args:
        values: the column as read (text, or dates for a birth-date column from Excel).
        reference_year: the year of the log's latest event; a date-only value at least
            :data:`MIN_AGE_YEARS` earlier (and from 1900 on) counts as a birth date.

    Returns:
        e.g. ``"values look like e-mail addresses (38 of 40 sampled)"``.
    """
    latest = reference_year - MIN_AGE_YEARS
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        present = present.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
    elif present.dtype != object and not pd.api.types.is_string_dtype(present.dtype):
        return None
    sample = [str(v).strip() for v in present.unique()[:SAMPLE]]
    sample = [v for v in sample if v]
    if not sample:
        return None
    tests = (("e-mail addresses", lambda v: bool(_EMAIL.fullmatch(v))),
             ("phone numbers", phone_number),
             ("IBANs", iban_valid),
             ("ID card or passport numbers", document_number),
             ("dates of birth", lambda v: _birth_year(v, latest)))
    for what, test in tests:
        hits = sum(1 for v in sample if test(v))
        if hits and hits >= SHARE * len(sample):
            return f"values look like {what} ({hits} of {len(sample)} sampled)"
    return None
