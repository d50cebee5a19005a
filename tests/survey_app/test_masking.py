"""Masking identifiers in free-text comments: examples, and properties over generated ones."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from survey_app.services.masking import is_nhs_number, mask_identifiers

WORDS = st.lists(
    st.sampled_from(["the", "ward", "was", "busy", "and", "kind", "thank", "you", "I",
                     "rang", "on", "at", "home", "Tuesday", "NHS", "GP", "medicines"]),
    max_size=6,
).map(" ".join)


def nhs_check_digit(nine: str) -> int:
    """The modulus-11 check digit of nine digits (10 means no valid number)."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else check


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    """A valid NHS number of England or Wales (first digit 4, 6 or 7), written run
    together, spaced 3-3-4 or with dashes."""
    nine = draw(st.sampled_from("467")) + draw(st.text("0123456789", min_size=8, max_size=8))
    check = nhs_check_digit(nine)
    assume(check != 10)
    digits = nine + str(check)
    gap = draw(st.sampled_from(["", " ", "-"]))
    return f"{digits[:3]}{gap}{digits[3:6]}{gap}{digits[6:]}"


@st.composite
def uk_phone_numbers(draw: st.DrawFn) -> str:
    """A UK mobile or landline number written as people write them."""
    digit = st.text("0123456789", min_size=1, max_size=1)
    rest = "".join(draw(digit) for _ in range(6))
    kind = draw(st.sampled_from(["mobile", "london", "area", "non-geographic"]))
    if kind == "mobile":
        national = "07" + draw(st.sampled_from("1234579")) + draw(digit) + draw(digit) + rest
        groups = (national[:5], national[5:])
    elif kind == "london":
        national = "020" + draw(st.sampled_from("378")) + draw(digit) + draw(digit) + draw(
            digit) + rest[:4]
        groups = (national[:3], national[3:7], national[7:])
    elif kind == "area":
        national = "01" + draw(st.sampled_from("23456789")) + draw(digit) + draw(digit) + rest
        groups = (national[:5], national[5:])
    else:
        national = "03" + draw(st.sampled_from("0347")) + draw(digit) + rest + draw(digit)
        groups = (national[:4], national[4:7], national[7:])
    style = draw(st.sampled_from(["spaced", "dashed", "plain", "international", "bracketed"]))
    if style == "dashed":
        return "-".join(groups)
    if style == "plain":
        return national
    if style == "international":
        return "+44 " + " ".join((groups[0][1:], *groups[1:]))
    if style == "bracketed":
        return f"({groups[0]}) " + " ".join(groups[1:])
    return " ".join(groups)


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


@given(before=WORDS, number=nhs_numbers(), after=WORDS)
@example(before="My NHS number is", number="943 476 5919", after="thanks")
def test_valid_nhs_numbers_never_survive(before: str, number: str, after: str) -> None:
    masked = mask_identifiers(f"{before} {number} {after}")
    assert "[NHS number]" in masked
    assert digits_of(number) not in digits_of(masked)


@given(before=WORDS, address=st.emails(), after=WORDS)
@example(before="email", address="j.doe+ward@example.nhs.uk", after="")
def test_email_addresses_never_survive(before: str, address: str, after: str) -> None:
    masked = mask_identifiers(f"{before} {address} {after}")
    assert "[email]" in masked
    assert address not in masked and "@" not in masked


@given(before=WORDS, number=uk_phone_numbers(), after=WORDS)
@example(before="ring me on", number="07700 900123", after="please")
@example(before="", number="+44 (0)161 496 0123", after="")
def test_uk_phone_numbers_never_survive(before: str, number: str, after: str) -> None:
    masked = mask_identifiers(f"{before} {number} {after}.")
    assert "[phone]" in masked
    assert digits_of(number)[-6:] not in digits_of(masked)


@given(text=WORDS)
def test_text_without_identifiers_is_unchanged(text: str) -> None:
    assert mask_identifiers(text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("Dr Patel was brilliant but Nurse Jane forgot my tablets.",
     "Dr [name] was brilliant but Nurse [name] forgot my tablets."),
    ("Mrs O'Neill at the care home, and Dr. A. McDonald-Smith.",
     "Mrs [name] at the care home, and Dr. [name]."),
    ("My son David rang, then my daughter, Sarah Jones, came.",
     "My son [name] rang, then my daughter, [name], came."),
    ("my mum's carer, Bob, came. My name is John Smith.",
     "my mum's carer, [name], came. My name is [name]."),
    ("A nurse called Priya was kind to my wife.", "A nurse called [name] was kind to my wife."),
    ("I live at 4 Mill Lane, NE1 4XY, near sw1a 1aa.",
     "I live at 4 Mill Lane, [postcode], near [postcode]."),
    ("Ring 020 7946 0018 or 0300-123-4567.", "Ring [phone] or [phone]."),
    ("NHS no. 9434765919", "NHS no. [NHS number]"),
])
def test_examples_are_masked(text: str, masked: str) -> None:
    assert mask_identifiers(text) == masked


@pytest.mark.parametrize("text", [
    "Reference 943 476 5918 is not an NHS number (wrong check digit).",
    "I was 85 in 2023, on ward 7, bed 12, and went home on 12/03/2024 at 10:30.",
    "The nurse said I could go. My wife I think was not told. Home on Monday.",
    "Sister was lovely and the doctor Thank you all.",
    "It took 4 hours and 1234567890 forms.",
])
def test_ordinary_words_and_numbers_are_left_alone(text: str) -> None:
    assert mask_identifiers(text) == text


def test_nhs_number_check_digit() -> None:
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert not is_nhs_number("943476591")
    assert not is_nhs_number("943476591x")
