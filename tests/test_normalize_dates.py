"""dc:date and OAI-PMH datestamp spellings → ISO 8601."""

from __future__ import annotations

import pytest

from oerhub.normalize.dates import normalize_date, normalize_datestamp

DATE_TABLE = [
    # ISO 8601 at every precision
    ("2015", "2015"),
    ("2015-03", "2015-03"),
    ("2015-03-11", "2015-03-11"),
    ("2015-03-11T10:00:00Z", "2015-03-11T10:00:00Z"),
    ("2021-03-11T10:00:00.485Z", "2021-03-11T10:00:00Z"),
    ("2021-03-11T10:00:00", "2021-03-11T10:00:00Z"),
    ("2021-03-11T10:00:00+03:00", "2021-03-11T07:00:00Z"),
    ("2021-03-11T10:00:00+0300", "2021-03-11T07:00:00Z"),
    ("2021-01-01T01:00:00+03:00", "2020-12-31T22:00:00Z"),
    ("2021-03-11T10:00:00-05:00", "2021-03-11T15:00:00Z"),
    ("2021-03-11T10:00Z", "2021-03-11T10:00:00Z"),
    ("2011-03-26 19:16:19", "2011-03-26T19:16:19Z"),
    (" 2015-03-11 ", "2015-03-11"),
    # Compact and day-first spellings
    ("20210311", "2021-03-11"),
    ("11.03.2021", "2021-03-11"),
    ("1.3.2021", "2021-03-01"),
    ("03.2021", "2021-03"),
    ("11.03.2021 г.", "2021-03-11"),
    # Year first with dots or slashes
    ("2015.05.20", "2015-05-20"),
    ("2015/05/20", "2015-05-20"),
    ("2015.05", "2015-05"),
    ("20.05.2015", "2015-05-20"),
    ("2015.13.01", None),
    ("05/06/2015", None),  # day or month first: not guessed
    # Dates in words (data/vocab/months.toml)
    ("May 2015", "2015-05"),
    ("October 4, 2006", "2006-10-04"),
    ("Oct. 4, 2006", "2006-10-04"),
    ("October 4th, 2006", "2006-10-04"),
    ("4 October 2006", "2006-10-04"),
    ("4th of October 2006", "2006-10-04"),
    ("2015 May 20", "2015-05-20"),
    ("SEPTEMBER 2010", "2010-09"),
    ("20 мая 2015 г.", "2015-05-20"),
    ("20-го мая 2015 года", "2015-05-20"),
    ("Май 2015", "2015-05"),
    ("20 травня 2015 р.", "2015-05-20"),
    ("Листопад 2014", "2014-11"),
    ("5 лістапада 2014", "2014-11-05"),
    ("15 Mayıs 2015", "2015-05-15"),
    ("MAYIS 2015", "2015-05"),
    ("2015 m. gegužės 20 d.", "2015-05-20"),
    ("2015. gada 20. maijā", "2015-05-20"),
    ("20. mai 2015", "2015-05-20"),
    ("20 mai 2015", "2015-05-20"),
    ("15 қаңтар 2016 ж.", "2016-01-15"),
    ("2016 yil 15 yanvar", "2016-01-15"),
    ("15 avqust 2016", "2016-08-15"),
    ("2016 թ. մայիսի 20", "2016-05-20"),
    ("20 მაისი 2016", "2016-05-20"),
    ("Feb 29, 2016", "2016-02-29"),
    ("Feb 29, 2015", None),
    ("May 32, 2015", None),
    ("Spring 2015", None),
    ("May be 2015", None),
    ("March", None),
    ("May 2015 - June 2015", None),
    ("4 October 2006 12", None),
    # Year wrappers
    ("[2015]", "2015"),
    ("(2015)", "2015"),
    ("c2015", "2015"),
    ("©2015", "2015"),
    ("© 2015", "2015"),
    ("ca. 1850", "1850"),
    ("2015 г.", "2015"),
    ("2015 р.", "2015"),
    ("2015.", "2015"),
    # Ranges: the first year
    ("2015-2016", "2015"),
    ("2015–2016", "2015"),
    ("2015/2016", "2015"),
    ("2015-16", "2015"),
    ("2016-2015", None),
    # Invalid
    ("2015-02-30", None),
    ("2015-13", None),
    ("2015-03-11T25:00:00Z", None),
    ("31.02.2021", None),
    ("n.d.", None),
    ("без даты", None),
    ("", None),
    (None, None),
    ("abc2015", None),
    # Range of plausible years: 1000..2100
    ("1850", "1850"),
    ("9999", None),
    ("0000", None),
    ("0999", None),
    ("2100", "2100"),
    ("2101", None),
]


@pytest.mark.parametrize(("raw", "expected"), DATE_TABLE)
def test_normalize_date(raw: str | None, expected: str | None) -> None:
    assert normalize_date(raw) == expected


DATESTAMP_TABLE = [
    ("2021-03-11T10:00:00Z", "2021-03-11T10:00:00Z"),
    ("2021-03-11", "2021-03-11"),
    ("2021-03-11T10:00:00.485Z", "2021-03-11T10:00:00Z"),
    ("2021-03-11T10:00:00", "2021-03-11T10:00:00Z"),
    ("2021-03-11 10:00:00", "2021-03-11T10:00:00Z"),
    ("2021-03-11T10:00:00+03:00", "2021-03-11T07:00:00Z"),
    ("20210311", "2021-03-11"),
    (" 2021-03-11T10:00:00Z\n", "2021-03-11T10:00:00Z"),
    ("2021", None),
    ("2021-03", None),
    ("11.03.2021", None),
    ("2021-02-30", None),
    ("0000-00-00", None),
    ("garbage", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), DATESTAMP_TABLE)
def test_normalize_datestamp(raw: str | None, expected: str | None) -> None:
    assert normalize_datestamp(raw) == expected


def _month_rows() -> list[tuple[str, int]]:
    import tomllib

    from oerhub.normalize import vocab

    with vocab.vocab_path("months").open("rb") as fh:
        data = tomllib.load(fh)
    return [(name, month) for lists in data.values() for names in lists.values()
            for month, name in enumerate(names, start=1)]


@pytest.mark.parametrize(("name", "month"), _month_rows())
def test_every_month_name(name: str, month: int) -> None:
    assert normalize_date(f"{name} 2015") == f"2015-{month:02d}"
    assert normalize_date(f"12 {name.upper()} 2015") == f"2015-{month:02d}-12"


def test_a_month_name_under_two_months_is_a_clear_error(tmp_path, monkeypatch) -> None:
    from oerhub.normalize import dates, vocab

    months = ", ".join(f'"m{n}"' for n in range(1, 12))
    (tmp_path / "months.toml").write_text(f'[xx]\nnames = [{months}, "m1"]\n', encoding="utf-8")
    monkeypatch.setattr(vocab, "VOCAB_DIR", tmp_path)
    dates._months.cache_clear()
    try:
        with pytest.raises(vocab.VocabError, match="also month 1"):
            normalize_date("m1 2015")
    finally:
        monkeypatch.undo()
        dates._months.cache_clear()
