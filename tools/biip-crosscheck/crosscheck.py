#!/usr/bin/env python3
"""Cross-check jousei's barcode parser against the independent biip parser (PyPI biip==5.2.0).

Runs a few hundred generated and hand-written inputs through both
`jousei barcode parse --json --today DATE DATA` and `biip.parse`, and exits non-zero on any
disagreement in validity, GTIN, lot, expiry or serial.

Both parsers use the same "today" for the GS1 century window: jousei gets `--today`, and biip's
century function (which reads the system clock) is replaced by one computing the same GS1
window for that date.

Where the two parsers legitimately differ (jousei follows the GS1 Syntax Dictionary / Syntax
Engine more strictly), the case carries an expected difference; the script then checks that
exactly that difference occurs (jousei rejects, biip accepts) and counts it separately. The
categories are documented in docs/barcodes.md and in KNOWN_DIFFERENCES below.

Usage: crosscheck.py [JOUSEI_BIN] [--today YYYY-MM-DD] [--seed N] [--count N] [--verbose]
       (JOUSEI_BIN may also be given in the environment variable JOUSEI_BIN)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field

import biip
import biip.gs1_element_strings as biip_element_strings
from biip import ParseConfig, ParseError
from biip.gs1_messages import GS1Message

GS = "\x1d"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GS1_PREFIXES = ["]d2", "]C1", "]Q3", "]e0", ""]
# The GS stand-ins both parsers are told about (jousei accepts these by default).
SEPARATORS = (GS, "|", "^", "~")

# name -> (which parser rejects, explanation). Each is checked to occur exactly as stated.
KNOWN_DIFFERENCES = {
    "dl_short_gtin": (
        "jousei",
        "A Digital Link path GTIN with 8/12/13 digits: jousei rejects it by default (GS1 Syntax "
        "Engine; --dl-zero-suppressed-gtin accepts it), biip pads it to 14 digits.",
    ),
    "fixed_without_fnc1": (
        "jousei",
        "A fixed-length AI that is not in the pre-defined-length table, e.g. (7003), followed by "
        "more data without a separator: jousei rejects the over-long field, biip reads the fixed "
        "length and goes on.",
    ),
    "exclusive_ais": (
        "jousei",
        "AIs the dictionary forbids together (ex=), e.g. (01) with (02): jousei rejects, biip does "
        "not check pairings.",
    ),
    "date_time_day_zero": (
        "jousei",
        "Day 00 in a date that must be a real day (yymmdd linter, e.g. (7003)): jousei rejects, "
        "biip reads it as the last day of the month.",
    ),
    "hri_space": (
        "jousei",
        "Bracketed text with a space inside a value: jousei rejects it (no GS1 character set has "
        "a space), biip silently drops the space.",
    ),
    "dl_upper_case_scheme": (
        "biip",
        "A Digital Link URI with an all-upper-case scheme (HTTPS://): the GS1 Syntax Engine and "
        "jousei accept it, biip only recognises a lower-case scheme.",
    ),
}


@dataclass
class Case:
    data: str
    kind: str  # es | dl | hri | ean
    note: str = ""
    differs: str | None = None


@dataclass
class Result:
    valid: bool
    fields: dict = field(default_factory=dict)
    error: str = ""


def gs1_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def patch_biip_century(today: dt.date) -> None:
    """Make biip resolve two-digit years relative to `today` (GS1 General Specifications 7.12)."""

    def century(two_digit_year: int) -> int:
        current_century = today.year - today.year % 100
        diff = two_digit_year - today.year % 100
        if 51 <= diff <= 99:
            return current_century - 100
        if -99 <= diff <= -50:
            return current_century + 100
        return current_century

    biip_element_strings._get_century = century


# ---------------------------------------------------------------------------------------------
# Running the two parsers


def run_jousei(binary: str, today: dt.date, data: str) -> Result:
    proc = subprocess.run(
        [binary, "barcode", "parse", "--json", "--today", today.isoformat(), data],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return Result(False, error=proc.stderr.strip() or f"exit {proc.returncode}")
    scan = json.loads(proc.stdout)
    return Result(
        True,
        {k: scan.get(k) for k in ("gtin", "lot", "expiry", "serial")},
    )


def fields_from_message(message: GS1Message) -> dict:
    out = {"gtin": None, "lot": None, "expiry": None, "serial": None}
    expiry_time = None
    for es in message.element_strings:
        ai = es.ai.ai
        if ai == "01":
            out["gtin"] = es.value
        elif ai == "10":
            out["lot"] = es.value
        elif ai == "21":
            out["serial"] = es.value
        elif ai == "17" and es.date is not None:
            out["expiry"] = es.date.isoformat()
        elif ai == "7003" and es.datetime is not None:
            expiry_time = es.datetime.strftime("%Y-%m-%dT%H:%M")
    if expiry_time is not None:
        out["expiry"] = expiry_time  # jousei prefers (7003) over (17)
    return out


def gtin_in_message_is_valid(message: GS1Message) -> bool:
    for es in message.element_strings:
        if es.ai.ai == "01" and es.gtin is None:
            return False
    return True


def run_biip(case: Case) -> Result:
    config = ParseConfig(separator_chars=SEPARATORS)
    try:
        if case.kind == "hri":
            message = GS1Message.parse_hri(case.data, config=config)
            if not gtin_in_message_is_valid(message):
                return Result(False, error="invalid GTIN")
            return Result(True, fields_from_message(message))
        result = biip.parse(case.data, config=config)
    except ParseError as exc:
        return Result(False, error=str(exc))
    if case.kind == "dl":
        if result.gs1_digital_link_uri is None or result.gtin_error:
            return Result(False, error=result.gs1_digital_link_uri_error or result.gtin_error or "")
        return Result(True, fields_from_message(result.gs1_digital_link_uri.as_gs1_message()))
    if case.kind == "ean":
        if result.gtin is None:
            return Result(False, error=result.gtin_error or "no GTIN")
        return Result(True, {"gtin": result.gtin.as_gtin_14(), "lot": None, "expiry": None, "serial": None})
    message = result.gs1_message
    if message is None or result.gs1_message_error:
        return Result(False, error=result.gs1_message_error or "no GS1 message")
    if not gtin_in_message_is_valid(message) or (
        any(es.ai.ai == "01" for es in message.element_strings) and result.gtin_error
    ):
        return Result(False, error=result.gtin_error or "invalid GTIN")
    return Result(True, fields_from_message(message))


# ---------------------------------------------------------------------------------------------
# Inputs


def hand_written(today: dt.date) -> list[Case]:
    """standards.md §2.8 vectors and the cases a clinic meets."""
    return [
        Case("]d2011231231231233310ABC123\x1d99TESTING", "es", "G1"),
        Case("]C1011231231231233310ABC123\x1d99TESTING", "es", "G2"),
        Case("]Q3011231231231233310ABC123\x1d99TESTING", "es", "G3"),
        Case("]e0011231231231233310ABC123\x1d1199122598TESTING\x1d97XYZ", "es", "G4"),
        Case("]E02112345678900", "ean", "G5"),
        Case("]E02112345678901", "ean", "G6 bad check digit"),
        Case("]E402345673", "ean", "G7"),
        Case("(01)12345678901231(10)12345", "hri", "G8"),
        Case("(10)12345(11)991225", "hri", "G9 (10) without (01): accepted, warning in jousei"),
        Case("0112345678901234", "es", "G10 bad check digit"),
        Case("010703206980498815210526100329", "es", "G11"),
        Case("0107032069804988100329\x1d15210526", "es", "G12"),
        Case("010703206980498810032915210526", "es", "G13 missing GS: lot swallows the date"),
        Case("]d2010703206980498817211200", "es", "G14 day 00"),
        Case("]d201070320698049881703020110X", "es", "G15"),
        Case("]d2010703206980498815990229", "es", "G16 invalid date"),
        Case("]d2010703206980498817220230", "es", "G16 invalid date"),
        Case("https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426", "dl", "G18"),
        Case("https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ", "dl", "G19"),
        Case("https://a/01/2112345678900", "dl", "G20", differs="dl_short_gtin"),
        Case("HtTp://a/b/00/006141411234567890", "dl", "G21 mixed-case scheme"),
        Case("HTTP://a/b/01/09520123456788", "dl", "upper-case scheme", differs="dl_upper_case_scheme"),
        Case("https://id.gs1.org/01/09520123456788/21/12345/10/ABC1", "dl", "G22 bad qualifier order"),
        Case("]Q3https://example.com/01/614141123452/10/ABC123?15=250330", "dl", "G24", differs="dl_short_gtin"),
        Case("]C10102824040005133", "es", "G25"),
        Case("]d20104912345678904172612311012345\x1d21V0001", "es", "vial label"),
        Case("]d20104912345678904172612311012345|21V0001", "es", "stand-in |"),
        Case("]d20104912345678904172612311012345^21V0001", "es", "stand-in ^"),
        Case("]d20104912345678904172612311012345~21V0001", "es", "stand-in ~"),
        Case("]e00114912345678901172712001012", "es", "JP 販売包装 with day 00"),
        Case("]C10124912345678908172712311012\x1d3024", "es", "JP 元梱 with count"),
        Case("]C1010491234567890470032612311530\x1d10RX-1", "es", "(7003) expiry date and time"),
        Case("]C101049123456789047003261231153010RX-1", "es", "(7003) without GS", differs="fixed_without_fnc1"),
        Case("]C1010491234567890470032612001530\x1d10RX-1", "es", "(7003) day 00", differs="date_time_day_zero"),
        Case("]d20104912345678904\x1d0204912345678904", "es", "(01) with (02)", differs="exclusive_ais"),
        Case("(01)04912345678904(10)A B", "hri", "space in value", differs="hri_space"),
        Case("]d201049123456789042391", "es", "unknown AI"),
        Case("]d2010491234567890417261301", "es", "month 13"),
        Case("]d20104912345678904100000000000000000000000", "es", "lot too long"),
        Case("]d2010491234567890410", "es", "empty lot at end"),
        Case("]d201049123456789", "es", "truncated GTIN"),
        Case("https://a/01/04912345678904/10/A%2FB%25?17=261231", "dl", "percent-encoded lot"),
        Case("4912345678904", "ean", "bare JAN"),
        Case("]E04912345678900", "ean", "bad JAN check digit"),
    ]


def random_field(rng: random.Random, max_len: int, alphabet: str = CSET82) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, max_len)))


def random_gtin(rng: random.Random, valid: bool = True) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(13))
    check = gs1_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return body + check


def random_date(rng: random.Random, today: dt.date) -> dt.date:
    start = dt.date(today.year - 49, 1, 1)
    end = dt.date(today.year + 50, 12, 31)
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def yymmdd(d: dt.date, day_zero: bool = False) -> str:
    return d.strftime("%y%m") + ("00" if day_zero else d.strftime("%d"))


def element_string(pairs: list[tuple[str, str]], separator: str = GS) -> str:
    fixed = {"01", "02", "11", "13", "15", "16", "17"}
    out = ""
    for i, (ai, value) in enumerate(pairs):
        out += ai + value
        if ai not in fixed and i + 1 < len(pairs):
            out += separator
    return out


def generated(rng: random.Random, today: dt.date, count: int) -> list[Case]:
    cases: list[Case] = []
    hri_alphabet = CSET82.replace("(", "").replace(")", "")
    while len(cases) < count:
        gtin = random_gtin(rng)
        expiry = random_date(rng, today)
        day_zero = rng.random() < 0.1
        lot = random_field(rng, 20)
        serial = random_field(rng, 20)
        pairs = [("01", gtin), ("17", yymmdd(expiry, day_zero)), ("10", lot), ("21", serial)]
        family = rng.choice(["es", "es", "es", "invalid", "missing_gs", "dl", "hri", "ean"])
        prefix = rng.choice(GS1_PREFIXES)
        if family == "es":
            rng.shuffle(pairs)
            sep = rng.choice(SEPARATORS)
            cases.append(Case(prefix + element_string(pairs, sep), "es", "generated"))
        elif family == "invalid":
            how = rng.choice(["check", "month", "feb30", "long_lot", "empty_lot", "truncate", "unknown_ai"])
            if how == "check":
                pairs[0] = ("01", random_gtin(rng, valid=False))
            elif how == "month":
                pairs[1] = ("17", f"{expiry:%y}13{expiry:%d}")
            elif how == "feb30":
                pairs[1] = ("17", f"{expiry:%y}0230")
            elif how == "long_lot":
                pairs[2] = ("10", random_field(rng, 10) + "X" * 20)
            elif how == "empty_lot":
                pairs[2] = ("10", "")
            elif how == "unknown_ai":
                pairs.insert(rng.randint(0, len(pairs)), ("23", "1"))
            data = element_string(pairs)
            if how == "truncate":
                data = element_string(pairs[:2])[: -rng.randint(1, 5)]
            cases.append(Case(prefix + data, "es", f"generated invalid ({how})"))
        elif family == "missing_gs":
            # The lot runs into the serial (or the date) because the GS was lost; both parsers
            # must read the same over-long lot, or both reject a field longer than 20.
            lot = random_field(rng, 8)
            tail = rng.choice([f"21{random_field(rng, 8)}", f"17{yymmdd(expiry)}"])
            data = element_string([("01", gtin), ("10", lot + tail)])
            cases.append(Case(prefix + data, "es", "generated missing GS"))
        elif family == "dl":
            host = rng.choice(["https://id.gs1.org", "https://example.jp/stem", "HTTPS://EXAMPLE.COM", "http://a"])
            quote = lambda v: urllib.parse.quote(v, safe="")  # noqa: E731
            uri = f"{host}/01/{gtin}"
            if rng.random() < 0.7:
                uri += f"/10/{quote(lot)}"
            if rng.random() < 0.7:
                uri += f"/21/{quote(serial)}"
            uri += f"?17={yymmdd(expiry, day_zero)}"
            upper = "dl_upper_case_scheme" if host.startswith("HTTP") else None
            cases.append(Case(uri, "dl", "generated Digital Link", differs=upper))
        elif family == "hri":
            lot = random_field(rng, 20, hri_alphabet)
            serial = random_field(rng, 20, hri_alphabet)
            pairs = [("01", gtin), ("17", yymmdd(expiry, day_zero)), ("10", lot), ("21", serial)]
            rng.shuffle(pairs)
            cases.append(Case("".join(f"({ai}){v}" for ai, v in pairs), "hri", "generated bracketed"))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 12])))
            check = gs1_check_digit(body)
            if rng.random() < 0.2:
                check = str((int(check) + 1) % 10)
            symbology = "]E4" if len(body) == 7 else "]E0"
            cases.append(Case(symbology + body + check, "ean", "generated EAN"))
    return cases


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.environ.get("JOUSEI_BIN"))
    parser.add_argument("--today", default="2026-11-22", help="date for the century window of both parsers")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--count", type=int, default=300, help="number of generated inputs")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.binary:
        parser.error("give the path to the jousei binary (argument or JOUSEI_BIN)")
    if biip.__version__ != "5.2.0":
        print(f"warning: biip {biip.__version__}, the cross-check is written for 5.2.0", file=sys.stderr)

    today = dt.date.fromisoformat(args.today)
    patch_biip_century(today)
    # Sanity: the patched window matches standards.md (2026: 76 -> 2076, 77 -> 1977).
    if today == dt.date(2026, 11, 22):
        probe = biip.parse("]C1010952012345678817761231", config=ParseConfig()).gs1_message
        assert probe is not None and probe.element_strings[1].date == dt.date(2076, 12, 31)

    cases = hand_written(today) + generated(random.Random(args.seed), today, args.count)
    agreed = expected = 0
    failures: list[str] = []
    for case in cases:
        ours = run_jousei(args.binary, today, case.data)
        theirs = run_biip(case)
        label = f"{case.note}: {case.data!r}"
        if case.differs:
            rejecter, _ = KNOWN_DIFFERENCES[case.differs]
            as_stated = (not ours.valid and theirs.valid) if rejecter == "jousei" else (ours.valid and not theirs.valid)
            if as_stated:
                expected += 1
                if args.verbose:
                    print(f"known difference [{case.differs}] {label}")
            else:
                failures.append(
                    f"{label}\n  expected difference [{case.differs}] did not occur: "
                    f"jousei valid={ours.valid} {ours.error}, biip valid={theirs.valid} {theirs.error}"
                )
            continue
        if ours.valid != theirs.valid:
            failures.append(
                f"{label}\n  validity differs: jousei={ours.valid} {ours.error}\n"
                f"                    biip={theirs.valid} {theirs.error}"
            )
            continue
        if ours.valid and ours.fields != theirs.fields:
            failures.append(f"{label}\n  jousei {ours.fields}\n  biip   {theirs.fields}")
            continue
        agreed += 1
        if args.verbose:
            print(f"ok ({'valid' if ours.valid else 'rejected'}) {label}")

    for f in failures:
        print(f"DISAGREEMENT {f}", file=sys.stderr)
    print(
        f"biip cross-check: {len(cases)} inputs, {agreed} agree, {expected} known differences, "
        f"{len(failures)} disagreements (today {today}, seed {args.seed})"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
