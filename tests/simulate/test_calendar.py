"""Office calendar: Hessian holidays, office and public hours, work across closing time."""

from __future__ import annotations

import datetime as dt

from ist_analyse.simulate.calendar import DAY, OfficeCalendar


def cal_2024() -> OfficeCalendar:
    return OfficeCalendar(dt.date(2024, 1, 1), 400)


def day(cal: OfficeCalendar, date: dt.date) -> int:
    return (date - cal.origin).days


def test_hessian_public_holidays_and_office_closures_are_closed():
    cal = cal_2024()
    closed = ["2024-01-01", "2024-03-29", "2024-04-01", "2024-05-01", "2024-05-09",
              "2024-05-20", "2024-05-30",  # Fronleichnam: a holiday in Hessen
              "2024-10-03", "2024-12-24", "2024-12-25", "2024-12-26", "2024-12-31"]
    for text in closed:
        assert not cal.is_open(day(cal, dt.date.fromisoformat(text))), text
    # Reformation Day is a holiday in other Länder, not in Hessen
    assert cal.is_open(day(cal, dt.date(2024, 10, 31)))
    assert not cal.is_open(day(cal, dt.date(2024, 1, 6)))  # a Saturday


def test_wednesday_is_for_back_office_work_only():
    cal = cal_2024()
    wed = day(cal, dt.date(2024, 1, 10))
    assert cal.is_open(wed) and cal.public[wed] == ()
    start, end = cal.next_public(wed * DAY + 9 * 60)
    assert cal.to_datetime(start) == dt.datetime(2024, 1, 11, 8, 0)
    assert cal.to_datetime(end) == dt.datetime(2024, 1, 11, 12, 0)


def test_work_that_does_not_fit_continues_the_next_working_day():
    cal = cal_2024()
    thu = cal.minute_of(dt.datetime(2024, 3, 28, 15, 30))  # before Good Friday and Easter
    done = cal.add_work(thu, 60)
    assert cal.to_datetime(done) == dt.datetime(2024, 4, 2, 8, 0)
    fri = cal.minute_of(dt.datetime(2024, 1, 12, 13, 0))  # Friday: closes 13:30
    assert cal.to_datetime(cal.add_work(fri, 45)) == dt.datetime(2024, 1, 15, 7, 45)
    night = cal.minute_of(dt.datetime(2024, 1, 15, 22, 0))
    assert cal.to_datetime(cal.next_work(night)) == dt.datetime(2024, 1, 16, 7, 30)


def test_add_working_days_skips_weekends_and_holidays():
    cal = cal_2024()
    t = cal.minute_of(dt.datetime(2024, 12, 23, 10, 0))  # Monday before Christmas
    assert cal.date_of(cal.add_working_days(t, 1)) == dt.date(2024, 12, 27)
    assert cal.date_of(cal.add_working_days(t, 2)) == dt.date(2024, 12, 30)
