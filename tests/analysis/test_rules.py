"""Rule checks (issue #6) on hand-made logs whose violations are known, and on the sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ist_analyse.analysis.rules import Rule, check_rules, load_rules
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode
from tests.analysis.conftest import make_log

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "models" / "abh_rules.toml"
SAMPLE = ROOT / "sample_logs" / "abh_checklist_2024.parquet"

DEADLINE = Rule("frist", "deadline", from_=("A",), to=("B", "C"), max_days=14)


def one(results, name: str | None = None) -> dict:
    rules = results.to_dict()["rules"]
    return rules[0] if name is None else next(r for r in rules if r["name"] == name)


@pytest.fixture
def deadline_log() -> pd.DataFrame:
    """Clock A -> first B/C after the first A; limit 14 days; log ends 2025-04-10."""
    rows = [
        ("d01", "A", "2025-03-03 08:00"), ("d01", "B", "2025-03-10 08:00"),  # 7 d: ok
        ("d02", "A", "2025-03-03 08:00"), ("d02", "B", "2025-03-20 08:00"),  # 17 d: late
        # repeated from: the first A counts (17 d, late), not the second (5 d)
        ("d03", "A", "2025-03-03 08:00"), ("d03", "A", "2025-03-15 08:00"),
        ("d03", "B", "2025-03-20 08:00"),
        # a B before the first A does not stop the clock; C (list `to`) does: 7 d, ok
        ("d04", "B", "2025-03-01 08:00"), ("d04", "A", "2025-03-03 08:00"),
        ("d04", "C", "2025-03-10 08:00"),
        # repeated to: the first B after A counts (7 d, ok)
        ("d05", "A", "2025-03-03 08:00"), ("d05", "B", "2025-03-10 08:00"),
        ("d05", "B", "2025-03-30 08:00"),
        ("d06", "A", "2025-03-20 08:00"),  # open, 21 d by the log end: overdue
        ("d07", "A", "2025-04-01 08:00"), ("d07", "Z", "2025-04-10 08:00"),  # open, 9 d
        ("d08", "X", "2025-03-03 08:00"),  # no A: not checked
        ("d09", "A", "2025-03-03 08:00"), ("d09", "Ende", "2025-03-05 08:00"),  # closed, no to
        ("d10", "A", "2025-03-03 08:00"), ("d10", "B", "2025-03-17 08:00"),  # exactly 14 d: ok
    ]
    return make_log(rows)


# ---- deadlines ----------------------------------------------------------------------------------

def test_deadline_counts(deadline_log):
    r = one(check_rules(deadline_log, [DEADLINE], k_min=1, end_activities=["Ende"]))
    assert (r["checked"], r["violations"], r["overdue_open"], r["pending"],
            r["closed_without_to"]) == (9, 2, 1, 1, 1)
    assert r["share"] == pytest.approx(3 / 9, abs=1e-4)
    assert r["median_days"] == 10.5  # 7, 7, 7, 14, 17, 17
    assert r["max_days_limit"] == 14
    assert sorted(r["examples"]) == ["d02", "d03", "d06"]
    assert r["suppressed"] is False and r["kind"] == "deadline"


def test_deadline_without_end_activities_counts_unfinished_as_open(deadline_log):
    r = one(check_rules(deadline_log, [DEADLINE], k_min=1))
    assert (r["checked"], r["violations"], r["overdue_open"], r["pending"],
            r["closed_without_to"]) == (9, 2, 2, 1, 0)


def test_deadline_as_of(deadline_log):
    # events after the end of 25.03.2025 are ignored: d06 waits 5 d, d07 has not started
    res = check_rules(deadline_log, [DEADLINE], k_min=1, end_activities=["Ende"],
                      as_of="2025-03-25")
    r = one(res)
    assert (r["checked"], r["violations"], r["overdue_open"], r["pending"],
            r["closed_without_to"]) == (8, 2, 0, 1, 1)
    assert res.as_of.startswith("2025-03-26T00:00")
    # a later reference date: both open cases are overdue
    r = one(check_rules(deadline_log, [DEADLINE], k_min=1, end_activities=["Ende"],
                        as_of="30.04.2025"))
    assert (r["overdue_open"], r["pending"]) == (2, 0)


def test_as_of_before_the_log(deadline_log):
    r = one(check_rules(deadline_log, [DEADLINE], k_min=1, as_of="2025-01-01"))
    assert (r["checked"], r["violations"], r["overdue_open"], r["median_days"]) == (0, 0, 0, None)


def test_rules_built_in_code_accept_plain_strings(deadline_log):
    rule = Rule("frist", "deadline", from_="A", to="B", max_days=14,
                where={})
    r = one(check_rules(deadline_log, [rule], k_min=1, end_activities=["Ende"]))
    assert (r["checked"], r["violations"]) == (9, 2)


def test_as_of_not_a_date(deadline_log):
    with pytest.raises(ConfigError):
        check_rules(deadline_log, [DEADLINE], as_of="gestern")


def test_deadline_single_to_ignores_other_activity(deadline_log):
    rule = Rule("nur B", "deadline", from_=("A",), to=("B",), max_days=14)
    r = one(check_rules(deadline_log, [rule], k_min=1, end_activities=["Ende"]))
    # d04 has no B after its A and is open: overdue by the log end (38 d)
    assert (r["checked"], r["violations"], r["overdue_open"]) == (9, 2, 2)


@pytest.fixture
def holiday_log() -> pd.DataFrame:
    """Thu 12.06.2025 10:00 -> Mon 23.06.2025 10:00 local: 11 calendar days; Fronleichnam
    (Thu 19.06.) is a holiday in Hessen, not in Berlin: 6.0 office days in HE, 7.0 in BE."""
    return make_log([("w1", "A", "2025-06-12 10:00"), ("w1", "B", "2025-06-23 10:00")],
                    tz="Europe/Berlin")


def test_working_days_skip_weekend_and_hessian_holiday(holiday_log):
    office = Rule("Bürotage", "deadline", from_=("A",), to=("B",), max_days=6.5,
                  working_days=True)
    calendar = Rule("Kalendertage", "deadline", from_=("A",), to=("B",), max_days=6.5)
    res = check_rules(holiday_log, [office, calendar], k_min=1, land="HE")
    assert one(res, "Bürotage")["median_days"] == pytest.approx(6.0)
    assert one(res, "Bürotage")["violations"] == 0
    assert one(res, "Bürotage")["working_days"] is True
    assert one(res, "Kalendertage")["median_days"] == pytest.approx(11.0)
    assert one(res, "Kalendertage")["violations"] == 1
    be = check_rules(holiday_log, [office], k_min=1, land="BE")
    assert one(be)["median_days"] == pytest.approx(7.0)
    assert one(be)["violations"] == 1


def test_working_days_overdue_open():
    # A on Fri 18.04.2025 (Karfreitag) 09:00; log end Tue 22.04. 09:00 (Ostermontag between):
    # 4 calendar days, 0.375 office days
    log = make_log([("o", "A", "2025-04-18 09:00"), ("x", "Z", "2025-04-22 09:00")],
                   tz="Europe/Berlin")
    office = Rule("Bürotage", "deadline", from_=("A",), to=("B",), max_days=1,
                  working_days=True)
    calendar = Rule("Kalendertage", "deadline", from_=("A",), to=("B",), max_days=1)
    res = check_rules(log, [office, calendar], k_min=1)
    assert (one(res, "Bürotage")["overdue_open"], one(res, "Bürotage")["pending"]) == (0, 1)
    assert (one(res, "Kalendertage")["overdue_open"],
            one(res, "Kalendertage")["pending"]) == (1, 0)


# ---- where ---------------------------------------------------------------------------------------

@pytest.fixture
def where_log() -> pd.DataFrame:
    rows = [
        ("n1", "X", "2025-03-03 08:00", "NE"), ("n1", "Y", "2025-03-04 08:00", "NE"),
        ("n2", "Y", "2025-03-03 08:00", "NE"),
        ("a1", "X", "2025-03-03 08:00", "AE-Verlängerung"),
        ("s1", "X", "2025-03-03 08:00", "§81a"),
        ("m1", "X", "2025-03-03 08:00", None),
    ]
    return make_log(rows, columns=("case_verfahren",))


def test_where_conditions(where_log):
    rules = [Rule("NE", "absent", where={"verfahren": ("NE",)}, activity=("X",)),
             Rule("NE oder 81a", "absent", where={"verfahren": ("NE", "§81a")},
                  activity=("X",)),
             Rule("alle", "absent", activity=("X",))]
    res = check_rules(where_log, rules, k_min=1)
    assert (one(res, "NE")["checked"], one(res, "NE")["violations"]) == (2, 1)
    assert (one(res, "NE oder 81a")["checked"], one(res, "NE oder 81a")["violations"]) == (3, 2)
    assert (one(res, "alle")["checked"], one(res, "alle")["violations"]) == (5, 4)
    assert one(res, "NE")["examples"] == ["n1"]
    assert one(res, "NE")["overdue_open"] is None


def test_where_unknown_attribute(where_log):
    rule = Rule("r", "absent", where={"zweck": ("Studium",)}, activity=("X",))
    with pytest.raises(ConfigError) as err:
        check_rules(where_log, [rule])
    assert "case_zweck" in err.value.message and "verfahren" in (err.value.hint or "")


# ---- order ---------------------------------------------------------------------------------------

def test_order():
    t = "2025-03-0{} 08:00"
    rows = [
        ("o1", "S", t.format(1)), ("o1", "E", t.format(2)),  # ok
        ("o2", "E", t.format(1)),  # no before: violation
        ("o3", "E", t.format(1)), ("o3", "S", t.format(2)),  # before only after: violation
        ("o4", "S", t.format(1)),  # no after: not checked
        ("o5", "E", t.format(1)), ("o5", "S", t.format(2)), ("o5", "E", t.format(3)),  # viol.
        ("o6", "S", t.format(1)), ("o6", "E", t.format(2)), ("o6", "E", t.format(3)),  # ok
        ("o7", "S", t.format(1)), ("o7", "E", t.format(1)),  # same time, S first in source
        ("o8", "S2", t.format(1)), ("o8", "E", t.format(2)),  # ok with list before
    ]
    log = make_log(rows)
    single = Rule("S vor E", "order", before=("S",), after=("E",))
    listed = Rule("S oder S2 vor E", "order", before=("S", "S2"), after=("E",))
    res = check_rules(log, [single, listed], k_min=1)
    r = one(res, "S vor E")
    assert (r["checked"], r["violations"]) == (7, 4)
    assert sorted(r["examples"]) == ["o2", "o3", "o5", "o8"]
    assert r["share"] == pytest.approx(4 / 7, abs=1e-4)
    assert (one(res, "S oder S2 vor E")["checked"],
            one(res, "S oder S2 vor E")["violations"]) == (7, 3)


# ---- exists / absent -----------------------------------------------------------------------------

def test_exists_checks_closed_cases_only():
    rows = [
        ("e1", "V", "2025-03-01 08:00"), ("e1", "Ende", "2025-03-02 08:00"),  # ok
        ("e2", "W", "2025-03-01 08:00"), ("e2", "Ende", "2025-03-02 08:00"),  # violation
        ("e3", "W", "2025-03-01 08:00"),  # open, no V yet: not checked
        ("e4", "V", "2025-03-01 08:00"),  # open
    ]
    log = make_log(rows)
    rules = [Rule("V muss", "exists", activity=("V",)),
             Rule("W verboten", "absent", activity=("W",))]
    res = check_rules(log, rules, k_min=1, end_activities=["Ende"])
    assert (one(res, "V muss")["checked"], one(res, "V muss")["violations"]) == (2, 1)
    assert one(res, "V muss")["examples"] == ["e2"]
    # absent looks at open cases too
    assert (one(res, "W verboten")["checked"], one(res, "W verboten")["violations"]) == (4, 2)
    assert res.notes == []
    # without end activities every case is checked, and a note says so
    res = check_rules(log, rules, k_min=1)
    assert (one(res, "V muss")["checked"], one(res, "V muss")["violations"]) == (4, 2)
    assert res.notes


# ---- privacy -------------------------------------------------------------------------------------

def test_small_groups_suppressed(deadline_log):
    r = one(check_rules(deadline_log, [DEADLINE], k_min=5, end_activities=["Ende"]))
    assert r["checked"] == 9
    assert r["violations"] is None and r["overdue_open"] is None and r["pending"] is None
    assert r["share"] is None and r["examples"] == []
    assert r["median_days"] == 10.5  # six completed pairs
    assert r["suppressed"] is True
    r = one(check_rules(deadline_log, [DEADLINE], k_min=10, end_activities=["Ende"]))
    assert r["checked"] is None and r["violations"] is None and r["median_days"] is None
    assert r["suppressed"] is True


def test_zero_is_published():
    log = make_log([(f"c{i}", "S", "2025-03-01 08:00") for i in range(5)]
                   + [(f"c{i}", "E", "2025-03-02 08:00") for i in range(5)])
    r = one(check_rules(log, [Rule("S vor E", "order", before=("S",), after=("E",))]))
    assert (r["checked"], r["violations"], r["share"], r["suppressed"]) == (5, 0, 0.0, False)


def test_durations_suppressed_below_k_min():
    rows = [(f"c{i}", "A", "2025-03-03 08:00") for i in range(5)]
    rows += [(f"c{i}", "B", "2025-03-05 08:00") for i in range(3)]  # 3 completed, 2 pending
    log = make_log([*rows, ("z", "Z", "2025-03-06 08:00")])
    rule = Rule("r", "deadline", from_=("A",), to=("B",), max_days=30)
    r = one(check_rules(log, [rule], k_min=3))
    assert r["median_days"] == 2.0 and r["pending"] is None and r["suppressed"] is True
    r = one(check_rules(log, [rule], k_min=4))
    assert r["median_days"] is None and r["p90_days"] is None and r["checked"] == 5


# ---- the rule file -------------------------------------------------------------------------------

def test_shipped_rules_load():
    rules = load_rules(RULES)
    kinds = [r.kind for r in rules]
    assert (kinds.count("deadline"), kinds.count("order"), kinds.count("exists"),
            kinds.count("absent")) == (7, 9, 2, 2)
    ba = next(r for r in rules if r.name == "BA-Zustimmungsfiktion im beschleunigten "
              "Fachkräfteverfahren")
    assert ba.from_ == ("BA-Zustimmung angefragt",) and len(ba.to) == 3
    assert ba.max_days == 7 and dict(ba.where) == {"verfahren": ("§81a",)}
    first = next(r for r in rules if r.name == "Erste Reaktion auf einen schriftlichen Antrag")
    assert first.working_days is True


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '''# comment
[[order]]
name = "o"
before = "S"
after = "E"

[[deadline]]
name = "Frist"
from = "A"
to = "B"
max_days = 14
'''


@pytest.mark.parametrize(("replace", "by", "key"), [
    ("max_days = 14", "max_days = 14\nmax_day = 3", "max_day"),
    ('to = "B"\n', "", "to"),
    ("max_days = 14", 'max_days = "14"', "max_days"),
    ("max_days = 14", "max_days = 0", "max_days"),
    ("max_days = 14", "max_days = 14\nworking_days = \"ja\"", "working_days"),
    ("max_days = 14", "max_days = 14\nwhere = { verfahren = 3 }", "where.verfahren"),
    ("max_days = 14", "max_days = 14\nwhere = \"NE\"", "where"),
    ('to = "B"', "to = []", "to"),
    ('to = "B"', "to = [1]", "to"),
])
def test_rule_errors_name_file_rule_and_key(tmp_path, replace, by, key):
    path = _write(tmp_path, GOOD.replace(replace, by))
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    e = err.value
    assert e.code == ErrorCode.CONFIG
    assert e.file == str(path)
    assert e.row == 7  # the line of [[deadline]]
    assert "[[deadline]] #1 'Frist'" in e.message
    assert e.column == key


def test_unknown_key_names_key(tmp_path):
    path = _write(tmp_path, GOOD.replace("max_days = 14", "max_days = 14\nmax_day = 3"))
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert err.value.column == "max_day" and "max_days" in err.value.hint


def test_missing_key_names_key(tmp_path):
    path = _write(tmp_path, GOOD.replace('to = "B"\n', ""))
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert err.value.column == "to"


@pytest.mark.parametrize(("text", "row"), [
    (GOOD + "\n[[deadlines]]\nname = \"x\"\n", 13),  # unknown rule kind
    (GOOD + "\nname = \"x\"\n", None),  # a key after a table belongs to it: unknown key
    (GOOD.replace("max_days = 14", "max_days = = 14"), 11),  # TOML syntax
    ("", None),  # no rules
    (GOOD + '\n[[absent]]\nname = "o"\nactivity = "X"\n', 13),  # name used twice
    ("deadline = 3\n", 1),
])
def test_file_errors(tmp_path, text, row):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert err.value.file == str(path)
    if row is not None:
        assert err.value.row == row


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError):
        load_rules(tmp_path / "nope.toml")


def test_where_with_list_and_prefix(tmp_path):
    path = _write(tmp_path, GOOD.replace(
        "max_days = 14", 'max_days = 14\nworking_days = true\n'
        'where = { verfahren = ["NE", "§81a"], case_kanal = "online" }'))
    rule = next(r for r in load_rules(path) if r.kind == "deadline")
    assert dict(rule.where) == {"verfahren": ("NE", "§81a"), "kanal": ("online",)}
    assert rule.working_days is True and rule.max_days == 14.0


# ---- the shipped rules on the sample -------------------------------------------------------------

def test_shipped_rules_on_sample():
    log = pd.read_parquet(SAMPLE)
    res = check_rules(log, RULES, end_activities=["Vorgang abgeschlossen"])
    d = res.to_dict()
    assert len(d["rules"]) == 20 and d["as_of"].startswith("2024-12-31")
    by = {r["name"]: r for r in d["rules"]}
    assert by["BA-Zustimmungsfiktion"]["checked"] > 0
    assert by["BA-Zustimmungsfiktion"]["median_days"] <= 14
    idle = by["Untätigkeit (§ 75 VwGO)"]
    assert idle["violations"] > 0 and idle["overdue_open"] > 0
    assert 0 < idle["share"] < 0.5 and 0 < len(idle["examples"]) <= 5
    assert by["Gebühr vor eAT-Bestellung"]["violations"] > 0
    assert by["Keine BA-Beteiligung bei Niederlassungserlaubnis"]["checked"] > 0
    for r in d["rules"]:
        assert r["checked"] is None or r["checked"] > 0, r["name"]
        assert set(r) >= {"name", "kind", "checked", "violations", "overdue_open", "share",
                          "median_days", "p90_days", "max_days_limit", "examples",
                          "suppressed"}


def test_examples_are_pseudonyms_when_imported(tmp_path, monkeypatch):
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(tmp_path / "key"))
    res = check_rules(SAMPLE.with_suffix(".csv"), RULES, options=ImportOptions(
        mapping_file=ROOT / "sample_logs" / "abh_mapping.toml"))
    idle = one(res, "Untätigkeit (§ 75 VwGO)")
    assert idle["examples"] and all(e.startswith("V-") for e in idle["examples"])
    assert res.end_activities == ["Vorgang abgeschlossen"]


@pytest.mark.parametrize("depth", [300, 5000])
def test_rule_file_nested_deeply(tmp_path, depth):
    """Issue 14: a rule file nested thousands deep ended in RecursionError (exit 1)."""
    nested = "{a=" * depth + "1" + "}" * depth
    path = _write(tmp_path, GOOD.replace("max_days = 14", f"max_days = 14\nwhere = {nested}"))
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert err.value.file == str(path)
