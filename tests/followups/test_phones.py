"""Phone normalisation: what HIS exports carry, and what is stored."""
import pytest

from portal.followups.phones import (
    REASON_INVALID,
    REASON_NO_AREA,
    REASON_TOO_MANY,
    normalise_one,
    parse_phones,
)


@pytest.mark.parametrize("raw, stored", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 176-9384-9373", "17693849373"),
    ("+8617693849373", "17693849373"),
    ("008617693849373", "17693849373"),
    ("86 17693849373", "17693849373"),
    ("１４８９２６９３７１９", "14892693719"),
    ("＋８６ １３９-１２３４-５６７８", "13912345678"),
    (" 19912345678 ", "19912345678"),
    ("013812345678", "13812345678"),
    ("0371-65237437", "0371-65237437"),
    ("0371 65237437", "0371-65237437"),
    ("037165237437", "0371-65237437"),
    ("(0371)65237437", "0371-65237437"),
    ("（0371）6523743", "0371-6523743"),
    ("010-12345678", None),   # local numbers never start with 1
    ("010-62345678", "010-62345678"),
    ("01062345678", "010-62345678"),
    ("021-5555 1234", "021-55551234"),
    ("+86 371 6523 7437", "0371-65237437"),
    ("0086-10-62345678", "010-62345678"),
    ("０３７１－６５２３７４３７", "0371-65237437"),
])
def test_one_number_normalised(raw, stored):
    number, reason = normalise_one(raw)
    assert number == stored
    if stored is None:
        assert reason


@pytest.mark.parametrize("raw, reason", [
    ("12812345678", REASON_INVALID),      # 12x is not a mobile prefix
    ("1381234567", REASON_INVALID),       # 10 digits
    ("138123456789", REASON_INVALID),     # 12 digits
    ("abc", REASON_INVALID),
    ("138-1234-567x", REASON_INVALID),
    ("65237437", REASON_NO_AREA),
    ("6523743", REASON_NO_AREA),
    ("+1 415 555 0100", REASON_INVALID),  # not a Chinese number
    ("0371-123", REASON_INVALID),
])
def test_invalid_numbers_have_a_reason(raw, reason):
    assert normalise_one(raw) == (None, reason)


@pytest.mark.parametrize("cell, phone, phone2", [
    ("13966407353/0371-70388636", "13966407353", "0371-70388636"),
    ("13966407353 / 0371-70388636", "13966407353", "0371-70388636"),
    ("13966407353,13812345678", "13966407353", "13812345678"),
    ("13966407353，13812345678", "13966407353", "13812345678"),
    ("13966407353;13812345678", "13966407353", "13812345678"),
    ("13966407353；13812345678", "13966407353", "13812345678"),
    ("13966407353、13812345678", "13966407353", "13812345678"),
    ("13966407353 13812345678", "13966407353", "13812345678"),
    ("13966407353  0371-70388636", "13966407353", "0371-70388636"),
    ("13966407353/13966407353", "13966407353", None),   # the same number twice
    ("138 1234 5678", "13812345678", None),             # spaces inside one number
    ("0371 65237437", "0371-65237437", None),
    (13812345678, "13812345678", None),                 # a number cell from Excel
    (13812345678.0, "13812345678", None),
])
def test_cell_with_one_or_two_numbers(cell, phone, phone2):
    result = parse_phones(cell)
    assert (result.phone, result.phone2, result.error) == (phone, phone2, None)


@pytest.mark.parametrize("cell", [None, "", "   ", "-", "无", "/"])
def test_empty_cell_is_empty_not_an_error(cell):
    result = parse_phones(cell)
    assert result.empty and result.phone is None and result.error is None


def test_three_numbers_are_refused():
    assert parse_phones("13812345678/13912345678/13712345678").error == REASON_TOO_MANY


def test_one_bad_number_of_two_refuses_the_cell():
    assert parse_phones("13812345678/12345").error == REASON_INVALID
