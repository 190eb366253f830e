//! ISBT 128 (ICCBBA ST-001): Donation Identification Number (001), blood groups (002),
//! product code (003), expiration date (004), expiration date and time (005), compound
//! message (023) and Single European Code (038), with the ISO/IEC 7064 MOD 37-2 check.

use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;

use super::error::{BarcodeError, ErrorKind};

/// ISO/IEC 7064 MOD 37-2 checksum (0–36) of `data` (characters `0-9`, `A-Z`, `*`), or `None`
/// for any other character (lower case included).
pub fn mod37_2_checksum(data: &str) -> Option<u32> {
    let mut s = 0u32;
    for c in data.chars() {
        let v = match c {
            '0'..='9' | 'A'..='Z' => c.to_digit(36)?,
            '*' => 36,
            _ => return None,
        };
        s = ((s + v) * 2) % 37;
    }
    Some((38 - s) % 37)
}

/// The keyboard-entry check character K for a 13-character DIN.
pub fn din_check_character(din: &str) -> Option<char> {
    mod37_2_checksum(din).and_then(|v| {
        if v == 36 {
            Some('*')
        } else {
            char::from_digit(v, 36).map(|c| c.to_ascii_uppercase())
        }
    })
}

/// Verify a DIN typed by hand with its printed check character (e.g. `G123417654321` + `A`).
pub fn verify_keyed_din(din: &str, check: char) -> Result<(), BarcodeError> {
    let expected = din_check_character(din).ok_or_else(|| {
        BarcodeError::new(ErrorKind::InvalidCharacter {
            character: '?',
            charset: "ISBT 128 DIN (0-9, A-Z)".into(),
        })
        .ai("001")
    })?;
    if expected != check.to_ascii_uppercase() {
        return Err(BarcodeError::new(ErrorKind::IsbtBadCheckCharacter {
            expected,
            found: check,
        })
        .ai("001"));
    }
    Ok(())
}

/// One data structure as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsbtStructure {
    /// Data structure number, e.g. `001`.
    pub number: &'static str,
    /// English name.
    pub name: &'static str,
    /// The data identifier characters (`=`, `=<`, `&>`, `&,4`…).
    pub data_identifier: String,
    /// The data content after the identifier (for 001, including its second identifier
    /// character, which is data).
    pub content: String,
}

/// Donation Identification Number (data structure 001).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Din {
    /// The 13-character DIN `αppppyynnnnnn` (globally unique; flags excluded).
    pub din: String,
    /// Facility Identification Number `αpppp`.
    pub fin: String,
    /// Nominal year of assignment (`yy`).
    pub year: String,
    /// Sequence number within that year.
    pub sequence: String,
    /// The two flag characters.
    pub flags: String,
    /// What the flags mean (ST-001 Table 3).
    pub flag_use: FlagUse,
    /// Keyboard-entry check character K (ISO/IEC 7064 MOD 37-2 over the 13 characters).
    pub check_character: char,
}

/// Meaning of DIN flag characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagUse {
    /// `00`: flags not used.
    NotUsed,
    /// `01`–`04`, `15`–`19`: container of a set.
    Container,
    /// `05`–`13`: second label, pilot tube, test tube, donor record, samples, partial or
    /// attached labels.
    LabelOrSample,
    /// `20`–`59`: local use.
    Local,
    /// `60`–`96`: Type 3, 60 + MOD 37-2 checksum (verified).
    CheckFlags,
    /// `97`–`99`: reserved.
    Reserved,
    /// Non-numeric flags (Type 2 / local alphanumeric use).
    Alphanumeric,
}

/// Product code (data structure 003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductCode {
    /// The 8-character content `αoooo` + `tds`.
    pub code: String,
    /// Product Description Code `αoooo`.
    pub pdc: String,
    /// Collection type `t` (for PDCs starting E, F, H, S, P, X, Y).
    pub collection_type: Option<char>,
    /// Division code (`ds`, or three digits for M, N, R, T, V, W).
    pub division: String,
}

/// A parsed ISBT 128 message (one structure or several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Isbt128 {
    /// Every structure, in order.
    pub structures: Vec<IsbtStructure>,
    /// Data structure 001.
    pub din: Option<Din>,
    /// Data structure 003.
    pub product_code: Option<ProductCode>,
    /// Blood groups (002) content, e.g. `6200`.
    pub blood_groups: Option<String>,
    /// Expiry date (004) or date and time (005).
    pub expiry_date: Option<Date>,
    /// Expiry date and time (005).
    pub expiry_datetime: Option<DateTime>,
    /// Single European Code (038), 40 characters.
    pub sec: Option<String>,
}

struct Spec {
    number: &'static str,
    name: &'static str,
    di: &'static str,
    len: usize,
}

const SPECS: &[Spec] = &[
    Spec {
        number: "002",
        name: "Blood Groups [ABO and RhD]",
        di: "=%",
        len: 4,
    },
    Spec {
        number: "003",
        name: "Product Code",
        di: "=<",
        len: 8,
    },
    Spec {
        number: "004",
        name: "Expiration Date",
        di: "=>",
        len: 6,
    },
    Spec {
        number: "005",
        name: "Expiration Date and Time",
        di: "&>",
        len: 10,
    },
    Spec {
        number: "023",
        name: "Compound Message",
        di: "=+",
        len: 5,
    },
    Spec {
        number: "038",
        name: "Single European Code (SEC)",
        di: "&,4",
        len: 40,
    },
];

const DIN_FIRST: &str = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789";
const ALNUM_NO_O: &str = "ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789";
const FLAG_CHARS: &str = "0123456789ABCDEFGHJKLMNPRSTUVWXY";

fn err(kind: ErrorKind, pos: usize, number: &str) -> BarcodeError {
    BarcodeError::new(kind).at(pos).ai(number)
}

fn check_set(
    content: &[char],
    pos: &[usize],
    number: &str,
    from: usize,
    to: usize,
    set: &str,
    name: &str,
) -> Result<(), BarcodeError> {
    for (i, &c) in content.iter().enumerate().take(to).skip(from) {
        if !set.contains(c) {
            return Err(err(
                ErrorKind::InvalidCharacter {
                    character: c,
                    charset: name.to_owned(),
                },
                pos.get(i).copied().unwrap_or(0),
                number,
            ));
        }
    }
    Ok(())
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `cyyjjj`: year 2000 + `cyy`, ordinal day `jjj`.
fn ordinal_date(s: &str) -> Option<Date> {
    let cyy = i16::try_from(digits(s.get(0..3)?)?).ok()?;
    let jjj = i16::try_from(digits(s.get(3..6)?)?).ok()?;
    let jan1 = Date::new(2000 + cyy, 1, 1).ok()?;
    if jjj < 1 || jjj > jan1.days_in_year() {
        return None;
    }
    jan1.with().day_of_year(jjj).build().ok()
}

fn parse_din(content: &[char], pos: &[usize]) -> Result<Din, BarcodeError> {
    let n = "001";
    check_set(
        content,
        pos,
        n,
        0,
        1,
        DIN_FIRST,
        "ISBT 128 DIN country/facility character",
    )?;
    check_set(content, pos, n, 1, 3, ALNUM_NO_O, "ISBT 128 facility code")?;
    check_set(content, pos, n, 3, 13, "0123456789", "numeric")?;
    check_set(
        content,
        pos,
        n,
        13,
        15,
        FLAG_CHARS,
        "ISBT 128 flag characters",
    )?;
    let din: String = content[..13].iter().collect();
    let flags: String = content[13..15].iter().collect();
    let checksum = mod37_2_checksum(&din).unwrap_or(0);
    let check_character = din_check_character(&din).unwrap_or('?');
    let flag_use = match digits(&flags) {
        None => FlagUse::Alphanumeric,
        Some(0) => FlagUse::NotUsed,
        Some(1..=4 | 15..=19) => FlagUse::Container,
        Some(5..=13) => FlagUse::LabelOrSample,
        Some(14 | 20..=59) => FlagUse::Local,
        Some(60..=96) => FlagUse::CheckFlags,
        Some(_) => FlagUse::Reserved,
    };
    if flag_use == FlagUse::CheckFlags && digits(&flags) != Some(60 + checksum) {
        return Err(err(
            ErrorKind::IsbtBadCheckFlags {
                expected: format!("{}", 60 + checksum),
                found: flags,
            },
            pos.get(13).copied().unwrap_or(0),
            n,
        ));
    }
    Ok(Din {
        fin: din[..5].to_owned(),
        year: din[5..7].to_owned(),
        sequence: din[7..13].to_owned(),
        din,
        flags,
        flag_use,
        check_character,
    })
}

fn parse_product_code(content: &[char], pos: &[usize]) -> Result<ProductCode, BarcodeError> {
    check_set(
        content,
        pos,
        "003",
        0,
        1,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "ISBT 128 product code letter",
    )?;
    check_set(
        content,
        pos,
        "003",
        1,
        8,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "ISBT 128 upper-case alphanumeric",
    )?;
    let code: String = content.iter().collect();
    let alpha = content[0];
    let (collection_type, division) = if matches!(alpha, 'M' | 'N' | 'R' | 'T' | 'V' | 'W') {
        check_set(content, pos, "003", 5, 8, "0123456789", "numeric")?;
        (None, code[5..].to_owned())
    } else {
        (Some(content[5]), code[6..].to_owned())
    };
    Ok(ProductCode {
        pdc: code[..5].to_owned(),
        code,
        collection_type,
        division,
    })
}

/// Parse ISBT 128 data (starting with `=` or `&`). `pos` gives raw offsets.
pub(crate) fn parse(chars: &[char], pos: &[usize], end: usize) -> Result<Isbt128, BarcodeError> {
    let raw = |i: usize| pos.get(i).copied().unwrap_or(end);
    let mut msg = Isbt128 {
        structures: Vec::new(),
        din: None,
        product_code: None,
        blood_groups: None,
        expiry_date: None,
        expiry_datetime: None,
        sec: None,
    };
    let mut compound: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let starts = |di: &str| rest.iter().take(di.chars().count()).copied().eq(di.chars());
        let is_din =
            rest.first() == Some(&'=') && rest.get(1).is_some_and(|c| DIN_FIRST.contains(*c));
        let (number, name, di_len, len) = if is_din {
            ("001", "Donation Identification Number", 1, 15)
        } else if let Some(s) = SPECS.iter().find(|s| starts(s.di)) {
            (s.number, s.name, s.di.len(), s.len)
        } else {
            let identifier: String = rest.iter().take(3).collect();
            return Err(err(
                ErrorKind::IsbtUnknownDataStructure { identifier },
                raw(i),
                "",
            ));
        };
        let cstart = i + di_len;
        let available = chars.len().saturating_sub(cstart);
        if available < len {
            return Err(err(
                ErrorKind::Truncated {
                    expected: len,
                    found: available,
                },
                raw(cstart),
                number,
            ));
        }
        let content = &chars[cstart..cstart + len];
        let cpos: Vec<usize> = (cstart..cstart + len).map(raw).collect();
        let text: String = content.iter().collect();
        match number {
            "001" => msg.din = Some(parse_din(content, &cpos)?),
            "002" => {
                check_set(
                    content,
                    &cpos,
                    number,
                    0,
                    4,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                    "ISBT 128 upper-case alphanumeric",
                )?;
                msg.blood_groups = Some(text.clone());
            }
            "003" => msg.product_code = Some(parse_product_code(content, &cpos)?),
            "004" => {
                check_set(content, &cpos, number, 0, 6, "0123456789", "numeric")?;
                let date = ordinal_date(&text).ok_or_else(|| {
                    err(
                        ErrorKind::InvalidDate {
                            value: text.clone(),
                            problem: "day".into(),
                        },
                        raw(cstart),
                        number,
                    )
                })?;
                msg.expiry_date.get_or_insert(date);
            }
            "005" => {
                check_set(content, &cpos, number, 0, 10, "0123456789", "numeric")?;
                let date = ordinal_date(&text[..6]).ok_or_else(|| {
                    err(
                        ErrorKind::InvalidDate {
                            value: text[..6].to_owned(),
                            problem: "day".into(),
                        },
                        raw(cstart),
                        number,
                    )
                })?;
                let time = text
                    .get(6..8)
                    .and_then(digits)
                    .zip(text.get(8..10).and_then(digits))
                    .and_then(|(h, m)| {
                        Time::new(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0).ok()
                    })
                    .ok_or_else(|| {
                        err(
                            ErrorKind::InvalidTime {
                                value: text[6..].to_owned(),
                            },
                            raw(cstart + 6),
                            number,
                        )
                    })?;
                msg.expiry_date = Some(date);
                msg.expiry_datetime = Some(date.to_datetime(time));
            }
            "023" => {
                if i != 0 {
                    return Err(err(
                        ErrorKind::IsbtUnknownDataStructure {
                            identifier: "=+".into(),
                        },
                        raw(i),
                        number,
                    ));
                }
                let count = text.get(0..2).and_then(digits).ok_or_else(|| {
                    err(
                        ErrorKind::InvalidCharacter {
                            character: content[0],
                            charset: "numeric".into(),
                        },
                        raw(cstart),
                        number,
                    )
                })?;
                check_set(content, &cpos, number, 2, 5, "0123456789", "numeric")?;
                compound = Some((usize::try_from(count).unwrap_or(usize::MAX), raw(i)));
            }
            _ => {
                check_set(
                    content,
                    &cpos,
                    number,
                    0,
                    40,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                    "ISBT 128 upper-case alphanumeric",
                )?;
                let expiry = &text[32..40];
                if expiry != "00000000" {
                    let date = super::linters::parse_yyyymmdd(expiry).map_err(|p| {
                        err(
                            ErrorKind::InvalidDate {
                                value: expiry.to_owned(),
                                problem: p.as_str().into(),
                            },
                            raw(cstart + 32),
                            number,
                        )
                    })?;
                    msg.expiry_date.get_or_insert(date);
                }
                msg.sec = Some(text.clone());
            }
        }
        let data_identifier: String = chars[i..cstart].iter().collect();
        msg.structures.push(IsbtStructure {
            number,
            name,
            data_identifier,
            content: text,
        });
        i = cstart + len;
    }
    if let Some((declared, at)) = compound {
        let found = msg.structures.len() - 1;
        if declared != found {
            return Err(err(
                ErrorKind::IsbtCompoundMismatch { declared, found },
                at,
                "023",
            ));
        }
    }
    Ok(msg)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn isbt(s: &str) -> Result<Isbt128, BarcodeError> {
        let chars: Vec<char> = s.chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        parse(&chars, &pos, chars.len())
    }

    #[test]
    fn check_characters_i1_to_i7() {
        assert_eq!(mod37_2_checksum("G123417654321"), Some(10));
        assert_eq!(din_check_character("G123417654321"), Some('A'));
        assert_eq!(mod37_2_checksum("G123498654321"), Some(17));
        assert_eq!(din_check_character("G123498654321"), Some('H'));
        assert_eq!(din_check_character("A999921123456"), Some('3'));
        assert_eq!(din_check_character("A999818123456"), Some('N'));
        assert_eq!(din_check_character("A999917123654"), Some('Y'));
        assert_eq!(mod37_2_checksum("W000022000687"), Some(28));
        assert_eq!(din_check_character("W000022000687"), Some('S'));
        assert_eq!(din_check_character("Z549917123456"), Some('P'));
        assert_eq!(din_check_character("g123417654321"), None);
    }

    #[test]
    fn din_with_type3_flags_i1_i2() {
        let m = isbt("=G12341765432170").unwrap();
        let din = m.din.unwrap();
        assert_eq!(
            (din.din.as_str(), din.flags.as_str(), din.check_character),
            ("G123417654321", "70", 'A')
        );
        assert_eq!(
            (din.fin.as_str(), din.year.as_str(), din.sequence.as_str()),
            ("G1234", "17", "654321")
        );
        assert_eq!(din.flag_use, FlagUse::CheckFlags);
        let din = isbt("=G12349865432177").unwrap().din.unwrap();
        assert_eq!(din.check_character, 'H');
        let e = isbt("=G12341765432171").unwrap_err();
        assert_eq!(
            (e.code(), e.position, e.ai.as_deref()),
            ("barcode_isbt_bad_check_flags", Some(14), Some("001"))
        );
        let din = isbt("=A99992112345601").unwrap().din.unwrap();
        assert_eq!(
            (din.check_character, din.flag_use),
            ('3', FlagUse::Container)
        );
    }

    #[test]
    fn din_rejections() {
        assert_eq!(
            isbt("=G1234176543217").unwrap_err().code(),
            "barcode_truncated"
        );
        assert_eq!(
            isbt("=G123417654321I0").unwrap_err().code(),
            "barcode_invalid_character"
        );
        assert_eq!(
            isbt("=GO2341765432100").unwrap_err().code(),
            "barcode_invalid_character"
        );
        assert_eq!(
            isbt("=G12A41765432100").unwrap_err().code(),
            "barcode_invalid_character"
        );
        assert_eq!(
            isbt("=G1234176543210000").unwrap_err().code(),
            "barcode_isbt_unknown_data_structure"
        );
        assert_eq!(
            isbt("=!123").unwrap_err().code(),
            "barcode_isbt_unknown_data_structure"
        );
        assert!(verify_keyed_din("G123417654321", 'A').is_ok());
        assert_eq!(
            verify_keyed_din("G123417654321", 'B').unwrap_err().code(),
            "barcode_isbt_bad_check_character"
        );
    }

    #[test]
    fn product_code_and_expiry() {
        let m = isbt("=<S12954A0").unwrap();
        let pc = m.product_code.unwrap();
        assert_eq!(
            (pc.pdc.as_str(), pc.collection_type, pc.division.as_str()),
            ("S1295", Some('4'), "A0")
        );
        let pc = isbt("=<T1295003").unwrap().product_code.unwrap();
        assert_eq!(
            (pc.pdc.as_str(), pc.collection_type, pc.division.as_str()),
            ("T1295", None, "003")
        );
        let m = isbt("&>0180292359").unwrap();
        assert_eq!(m.expiry_datetime, Some(date(2018, 1, 29).at(23, 59, 0, 0)));
        let m = isbt("&>0183652359").unwrap();
        assert_eq!(m.expiry_datetime, Some(date(2018, 12, 31).at(23, 59, 0, 0)));
        assert_eq!(
            isbt("=>020060").unwrap().expiry_date,
            Some(date(2020, 2, 29))
        );
        assert_eq!(
            isbt("&>0183662359").unwrap_err().code(),
            "barcode_invalid_date"
        );
        assert_eq!(
            isbt("&>0183652360").unwrap_err().code(),
            "barcode_invalid_time"
        );
    }

    #[test]
    fn compound_message_from_st012() {
        let m = isbt("=+05000=Z54991712345600=%T300=<T0416003&>0183652359&,4PL001499Z549917123456A00T041600320181231").unwrap();
        let numbers: Vec<&str> = m.structures.iter().map(|s| s.number).collect();
        assert_eq!(numbers, ["023", "001", "002", "003", "005", "038"]);
        let din = m.din.unwrap();
        assert_eq!(
            (din.din.as_str(), din.flags.as_str(), din.flag_use),
            ("Z549917123456", "00", FlagUse::NotUsed)
        );
        assert_eq!(din.check_character, 'P');
        assert_eq!(m.blood_groups.as_deref(), Some("T300"));
        let pc = m.product_code.unwrap();
        assert_eq!((pc.pdc.as_str(), pc.division.as_str()), ("T0416", "003"));
        assert_eq!(m.expiry_datetime, Some(date(2018, 12, 31).at(23, 59, 0, 0)));
        let sec = m.sec.unwrap();
        assert_eq!(&sec[..2], "PL");
        assert_eq!(&sec[2..8], "001499");
        assert_eq!(&sec[8..21], "Z549917123456");
        assert_eq!(&sec[21..22], "A");
        assert_eq!(&sec[22..29], "00T0416");
        assert_eq!(&sec[29..32], "003");
        assert_eq!(&sec[32..40], "20181231");
        let e = isbt("=+04000=Z54991712345600=%T300=<T0416003&>0183652359&,4PL001499Z549917123456A00T041600320181231").unwrap_err();
        assert_eq!(e.code(), "barcode_isbt_compound_mismatch");
    }
}
