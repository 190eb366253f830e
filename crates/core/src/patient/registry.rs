//! The patient registry: identity, contact details, allergies, current
//! medications and history, parsed from what a person typed; and the rule
//! that warns about probable duplicates before a patient is created.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::code_enum;
use crate::error::FieldError;
use crate::text::required_name;

code_enum! {
    /// Sex as recorded in the medical record (診療録の性別).
    pub enum Sex {
        Female => "female",
        Male => "male",
        Other => "other",
    }
}

code_enum! {
    /// How severe a recorded allergic reaction was.
    pub enum AllergySeverity {
        Mild => "mild",
        Moderate => "moderate",
        /// Anaphylaxis or a reaction that needed emergency care.
        Severe => "severe",
        Unknown => "unknown",
    }
}

code_enum! {
    /// How the patient gave consent to the handling of their health data
    /// (要配慮個人情報, APPI art. 20(2)).
    pub enum DataConsentMethod {
        /// Signed on paper.
        Written => "written",
        /// Confirmed on the clinic's tablet.
        Tablet => "tablet",
        /// Told to staff, who record it.
        Verbal => "verbal",
    }
}

/// A name in kana, normalised to full-width katakana with single spaces
/// (`やまだ　はなこ` → `ヤマダ ハナコ`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KanaName(String);

/// Longest kana name accepted, in characters.
pub const KANA_MAX: usize = 64;

impl KanaName {
    /// Accepts full-width katakana and hiragana (hiragana becomes katakana),
    /// the long-vowel mark `ー`, the middle dot `・` and spaces (ASCII or
    /// ideographic, collapsed to one ASCII space). Half-width katakana,
    /// kanji and Latin letters are refused.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let mut out = String::new();
        let mut pending_space = false;
        for c in raw.trim_matches(|c: char| c.is_whitespace()).chars() {
            if c == ' ' || c == '\u{3000}' {
                pending_space = true;
                continue;
            }
            let k = to_katakana(c).ok_or_else(|| FieldError::new(field, "kana_invalid"))?;
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(k);
        }
        if out.is_empty() {
            return Err(FieldError::new(field, "field_required"));
        }
        if out.chars().count() > KANA_MAX {
            return Err(FieldError::new(field, "field_too_long"));
        }
        Ok(KanaName(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comparison key: the name without spaces (`ヤマダハナコ`), so
    /// `ヤマダ ハナコ` and `ヤマダハナコ` are the same person's name.
    pub fn key(&self) -> String {
        kana_key(&self.0)
    }
}

/// The comparison key of a kana name already normalised (spaces removed).
pub fn kana_key(normalised: &str) -> String {
    normalised.chars().filter(|c| *c != ' ').collect()
}

/// A full-width katakana for `c`, if `c` is kana.
fn to_katakana(c: char) -> Option<char> {
    let u = u32::from(c);
    match u {
        // ぁ..ゖ and ゝゞ map onto the katakana block.
        0x3041..=0x3096 | 0x309D..=0x309E => char::from_u32(u + 0x60),
        // ァ..ヺ, ・, ー, ヽ, ヾ
        0x30A1..=0x30FE => Some(c),
        _ => None,
    }
}

/// A name in Latin letters (optional on the record): letters, spaces,
/// hyphens, apostrophes and dots; spaces collapsed.
pub fn parse_romaji(raw: &str, field: &'static str) -> Result<Option<String>, FieldError> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.is_empty() {
        return Ok(None);
    }
    let s = words.join(" ");
    if s.chars().count() > 64 {
        return Err(FieldError::new(field, "field_too_long"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
    {
        return Err(FieldError::new(field, "romaji_invalid"));
    }
    Ok(Some(s))
}

/// A Japanese telephone number, stored as digits only (`09012345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Accepts ASCII or full-width digits separated by hyphens (any dash),
    /// spaces, dots or parentheses, and the `+81` country code (the leading
    /// zero of the national number comes back). A number has 10 digits
    /// (fixed lines, 0120), or 11 for mobile, IP and 0800 numbers
    /// (070/080/090/050/020/0800), and starts with 0.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let mut digits = String::new();
        let mut plus = false;
        for (i, c) in raw.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => {
                    let d = u32::from(c) - u32::from('０');
                    digits.push(char::from_digit(d, 10).unwrap_or('0'));
                }
                '+' | '＋' if i == 0 => plus = true,
                '-' | '‐' | '－' | 'ー' | '―' | '−' | ' ' | '\u{3000}' | '.' | '(' | ')' | '（'
                | '）' => {}
                _ => return Err(FieldError::new(field, "phone_invalid")),
            }
        }
        if digits.is_empty() {
            return Err(FieldError::new(field, "field_required"));
        }
        if plus {
            let Some(national) = digits.strip_prefix("81") else {
                return Err(FieldError::new(field, "phone_not_japanese"));
            };
            let national = national.strip_prefix('0').unwrap_or(national);
            digits = format!("0{national}");
        }
        if !digits.starts_with('0') || digits.starts_with("00") {
            return Err(FieldError::new(field, "phone_invalid"));
        }
        let expected = if ["070", "080", "090", "050", "020", "0800"]
            .iter()
            .any(|p| digits.starts_with(p))
        {
            11
        } else {
            10
        };
        if digits.len() != expected {
            return Err(FieldError::new(field, "phone_invalid"));
        }
        Ok(Phone(digits))
    }

    /// The stored digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hyphenated for display where the grouping is fixed (mobile, IP,
    /// toll-free: `090-1234-5678`, `0120-123-456`); fixed-line area codes
    /// vary in length, so those stay as digits.
    pub fn display(&self) -> String {
        let d = &self.0;
        let (a, b) = if d.len() == 11 && !d.starts_with("0800") {
            (3, 7)
        } else if d.starts_with("0120") || d.starts_with("0800") {
            (4, 7)
        } else {
            return d.clone();
        };
        match (d.get(..a), d.get(a..b), d.get(b..)) {
            (Some(x), Some(y), Some(z)) => format!("{x}-{y}-{z}"),
            _ => d.clone(),
        }
    }
}

/// An e-mail address: one `@`, a local part, a domain with a dot, no
/// spaces; the domain lower-cased.
pub fn parse_email(raw: &str, field: &'static str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let invalid = || FieldError::new(field, "email_invalid");
    if s.len() > 254
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(invalid());
    }
    let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(invalid());
    }
    Ok(Some(format!("{local}@{}", domain.to_ascii_lowercase())))
}

/// A Japanese postal code, normalised to `NNN-NNNN`. Accepts `〒`, full-width
/// digits and any dash, or seven digits without one.
pub fn parse_postal_code(raw: &str, field: &'static str) -> Result<Option<String>, FieldError> {
    let s = raw.trim().trim_start_matches('〒').trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut digits = String::new();
    let mut dash_at = None;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => {
                let d = u32::from(c) - u32::from('０');
                digits.push(char::from_digit(d, 10).unwrap_or('0'));
            }
            '-' | '‐' | '－' | 'ー' | '―' | '−' if dash_at.is_none() => {
                dash_at = Some(digits.len())
            }
            _ => return Err(FieldError::new(field, "postal_code_invalid")),
        }
    }
    if digits.len() != 7 || dash_at.is_some_and(|at| at != 3) {
        return Err(FieldError::new(field, "postal_code_invalid"));
    }
    Ok(Some(format!("{}-{}", &digits[..3], &digits[3..])))
}

/// A clinic's patient number (診察券番号): 1–20 ASCII letters, digits or `-`,
/// upper-cased. Unique within the clinic.
pub fn parse_patient_number(raw: &str, field: &'static str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 20 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(FieldError::new(field, "patient_number_invalid"));
    }
    Ok(Some(s.to_ascii_uppercase()))
}

/// The number given to a new patient when none is typed: the clinic's
/// count so far plus one, six digits (`000042`).
pub fn next_patient_number(existing: i64) -> String {
    format!("{:06}", existing.saturating_add(1).max(1))
}

/// A date of birth: not in the future, not before 1900.
pub fn parse_birth_date(raw: &str, field: &'static str, today: Date) -> Result<Date, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "field_required"));
    }
    let d: Date = s
        .replace('/', "-")
        .parse()
        .map_err(|_| FieldError::new(field, "date_invalid"))?;
    if d > today || d < jiff::civil::date(1900, 1, 1) {
        return Err(FieldError::new(field, "birth_date_out_of_range"));
    }
    Ok(d)
}

/// Age in whole years on `on`.
pub fn age_on(birth: Date, on: Date) -> i16 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// A recorded allergy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allergy {
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
}

/// A medication the patient takes now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Medication {
    pub name: String,
    /// Dose and frequency as told (e.g. `5mg 1日1回`).
    pub dose: Option<String>,
}

/// Everything recorded about one version of a patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientFacts {
    /// Name as written (usually kanji).
    pub name: String,
    pub kana: KanaName,
    pub romaji: Option<String>,
    pub birth_date: Date,
    pub sex: Sex,
    pub phone: Phone,
    pub email: Option<String>,
    pub postal_code: Option<String>,
    pub address: String,
    pub allergies: Vec<Allergy>,
    pub medications: Vec<Medication>,
    /// Relevant history as written by staff.
    pub history: Option<String>,
}

/// A patient as typed, before parsing (strings, as a form or JSON sends them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawPatient {
    pub name: String,
    pub kana: String,
    pub romaji: Option<String>,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub sex: String,
    pub phone: String,
    pub email: Option<String>,
    pub postal_code: Option<String>,
    pub address: String,
    pub allergies: Vec<RawAllergy>,
    pub medications: Vec<RawMedication>,
    pub history: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAllergy {
    pub substance: String,
    pub reaction: Option<String>,
    /// mild, moderate, severe, unknown
    pub severity: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawMedication {
    pub name: String,
    pub dose: Option<String>,
}

impl RawPatient {
    /// Parses every field; returns every problem at once.
    pub fn parse(&self, today: Date) -> Result<PatientFacts, Vec<FieldError>> {
        let mut errs = Vec::new();
        let name = take(&mut errs, required_name(&self.name, "name", 64));
        let kana = take(&mut errs, KanaName::parse(&self.kana, "kana"));
        let romaji = take(
            &mut errs,
            parse_romaji(self.romaji.as_deref().unwrap_or(""), "romaji"),
        );
        let birth_date = take(
            &mut errs,
            parse_birth_date(&self.birth_date, "birth_date", today),
        );
        let sex = take(
            &mut errs,
            Sex::parse(&self.sex).ok_or_else(|| {
                FieldError::new(
                    "sex",
                    if self.sex.trim().is_empty() {
                        "field_required"
                    } else {
                        "code_unknown"
                    },
                )
            }),
        );
        let phone = take(&mut errs, Phone::parse(&self.phone, "phone"));
        let email = take(
            &mut errs,
            parse_email(self.email.as_deref().unwrap_or(""), "email"),
        );
        let postal_code = take(
            &mut errs,
            parse_postal_code(self.postal_code.as_deref().unwrap_or(""), "postal_code"),
        );
        let address = take(&mut errs, required_name(&self.address, "address", 200));
        let history = take(
            &mut errs,
            super::optional_text(self.history.as_deref(), "history", 4000),
        );
        let mut allergies = Vec::new();
        for a in &self.allergies {
            let substance = take(&mut errs, required_name(&a.substance, "allergies", 100));
            let reaction = take(
                &mut errs,
                super::optional_text(a.reaction.as_deref(), "allergies", 200),
            );
            let severity = if a.severity.trim().is_empty() {
                Some(AllergySeverity::Unknown)
            } else {
                take(
                    &mut errs,
                    AllergySeverity::parse(&a.severity)
                        .ok_or_else(|| FieldError::new("allergies", "code_unknown")),
                )
            };
            if let (Some(substance), Some(reaction), Some(severity)) =
                (substance, reaction, severity)
            {
                allergies.push(Allergy {
                    substance,
                    reaction,
                    severity,
                });
            }
        }
        let mut medications = Vec::new();
        for m in &self.medications {
            let name = take(&mut errs, required_name(&m.name, "medications", 100));
            let dose = take(
                &mut errs,
                super::optional_text(m.dose.as_deref(), "medications", 100),
            );
            if let (Some(name), Some(dose)) = (name, dose) {
                medications.push(Medication { name, dose });
            }
        }
        let (
            Some(name),
            Some(kana),
            Some(romaji),
            Some(birth_date),
            Some(sex),
            Some(phone),
            Some(email),
            Some(postal_code),
            Some(address),
            Some(history),
            true,
        ) = (
            name,
            kana,
            romaji,
            birth_date,
            sex,
            phone,
            email,
            postal_code,
            address,
            history,
            errs.is_empty(),
        )
        else {
            return Err(errs);
        };
        Ok(PatientFacts {
            name,
            kana,
            romaji,
            birth_date,
            sex,
            phone,
            email,
            postal_code,
            address,
            allergies,
            medications,
            history,
        })
    }
}

/// Keeps the value, or records the error and gives `None`.
pub(crate) fn take<T>(errs: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errs.push(e)).ok()
}

/// What the duplicate rule compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// [`KanaName::key`].
    pub kana_key: String,
    pub birth_date: Date,
    /// [`Phone::as_str`].
    pub phone: String,
}

impl From<&PatientFacts> for DuplicateKey {
    fn from(f: &PatientFacts) -> Self {
        DuplicateKey {
            kana_key: f.kana.key(),
            birth_date: f.birth_date,
            phone: f.phone.as_str().to_string(),
        }
    }
}

code_enum! {
    /// Why an existing patient is probably the same person.
    pub enum DuplicateReason {
        SameKanaAndBirthDate => "same_kana_and_birth_date",
        SamePhone => "same_phone",
    }
}

/// The reasons `existing` is probably the same person as `candidate`
/// (empty when it is not): the same kana and date of birth, or the same
/// normalised phone number.
pub fn duplicate_reasons(
    candidate: &DuplicateKey,
    existing: &DuplicateKey,
) -> Vec<DuplicateReason> {
    let mut r = Vec::new();
    if candidate.kana_key == existing.kana_key && candidate.birth_date == existing.birth_date {
        r.push(DuplicateReason::SameKanaAndBirthDate);
    }
    if candidate.phone == existing.phone {
        r.push(DuplicateReason::SamePhone);
    }
    r
}

/// The probable duplicates of `candidate` among `existing`, with reasons,
/// in the order given.
pub fn probable_duplicates<T: Clone>(
    candidate: &DuplicateKey,
    existing: &[(T, DuplicateKey)],
) -> Vec<(T, Vec<DuplicateReason>)> {
    existing
        .iter()
        .filter_map(|(id, k)| {
            let r = duplicate_reasons(candidate, k);
            (!r.is_empty()).then(|| (id.clone(), r))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn codes<T>(r: Result<T, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn kana_is_normalised_to_katakana() {
        let k = |s| KanaName::parse(s, "kana").map(|k| k.0);
        assert_eq!(k("やまだ　はなこ"), Ok("ヤマダ ハナコ".into()));
        assert_eq!(k("  ヤマダ   ハナコ "), Ok("ヤマダ ハナコ".into()));
        assert_eq!(k("サトウ・エミリー"), Ok("サトウ・エミリー".into()));
        assert_eq!(k("すずき ゆうこ"), Ok("スズキ ユウコ".into()));
        assert_eq!(k("ゔぁ"), Ok("ヴァ".into()));
        assert_eq!(k("ｱｲｳ").map_err(|e| e.code), Err("kana_invalid"));
        assert_eq!(k("山田").map_err(|e| e.code), Err("kana_invalid"));
        assert_eq!(k("Yamada").map_err(|e| e.code), Err("kana_invalid"));
        assert_eq!(k(" 　").map_err(|e| e.code), Err("field_required"));
        assert_eq!(
            KanaName::parse("ヤマダ ハナコ", "kana").map(|k| k.key()),
            Ok("ヤマダハナコ".into())
        );
    }

    #[test]
    fn phones_are_normalised() {
        let p = |s| Phone::parse(s, "phone").map(|p| p.0);
        assert_eq!(p("090-1234-5678"), Ok("09012345678".into()));
        assert_eq!(p("０９０ー１２３４ー５６７８"), Ok("09012345678".into()));
        assert_eq!(p("+81 90 1234 5678"), Ok("09012345678".into()));
        assert_eq!(p("+81 (0)3-1234-5678"), Ok("0312345678".into()));
        assert_eq!(p("03(1234)5678"), Ok("0312345678".into()));
        assert_eq!(p("0120-123-456"), Ok("0120123456".into()));
        assert_eq!(p("0800-123-4567"), Ok("08001234567".into()));
        assert_eq!(p("090-1234-567").map_err(|e| e.code), Err("phone_invalid"));
        assert_eq!(p("03-1234-56789").map_err(|e| e.code), Err("phone_invalid"));
        assert_eq!(
            p("+1 212 555 0100").map_err(|e| e.code),
            Err("phone_not_japanese")
        );
        assert_eq!(
            p("tel 0312345678").map_err(|e| e.code),
            Err("phone_invalid")
        );
        assert_eq!(p("").map_err(|e| e.code), Err("field_required"));
        assert_eq!(
            Phone::parse("09012345678", "phone").map(|p| p.display()),
            Ok("090-1234-5678".into())
        );
        assert_eq!(
            Phone::parse("0120123456", "phone").map(|p| p.display()),
            Ok("0120-123-456".into())
        );
        assert_eq!(
            Phone::parse("0312345678", "phone").map(|p| p.display()),
            Ok("0312345678".into())
        );
    }

    #[test]
    fn postal_codes_emails_numbers_and_romaji() {
        let z = |s| parse_postal_code(s, "postal_code");
        assert_eq!(z("1040061"), Ok(Some("104-0061".into())));
        assert_eq!(z("〒１０４－００６１"), Ok(Some("104-0061".into())));
        assert_eq!(z(""), Ok(None));
        assert_eq!(
            z("1040-061").map_err(|e| e.code),
            Err("postal_code_invalid")
        );
        assert_eq!(z("104-006").map_err(|e| e.code), Err("postal_code_invalid"));
        let e = |s| parse_email(s, "email");
        assert_eq!(e("Hanako@Example.JP"), Ok(Some("Hanako@example.jp".into())));
        assert_eq!(e("a@b").map_err(|e| e.code), Err("email_invalid"));
        assert_eq!(e("a b@c.jp").map_err(|e| e.code), Err("email_invalid"));
        assert_eq!(e("@c.jp").map_err(|e| e.code), Err("email_invalid"));
        assert_eq!(
            parse_patient_number(" p-12 ", "number"),
            Ok(Some("P-12".into()))
        );
        assert!(parse_patient_number("番号", "number").is_err());
        assert_eq!(next_patient_number(41), "000042");
        assert_eq!(
            parse_romaji(" Yamada  Hanako ", "romaji"),
            Ok(Some("Yamada Hanako".into()))
        );
        assert_eq!(
            parse_romaji("山田", "romaji").map_err(|e| e.code),
            Err("romaji_invalid")
        );
    }

    #[test]
    fn birth_dates_and_ages() {
        let today = date(2026, 11, 22);
        assert_eq!(
            parse_birth_date("1980/04/01", "birth_date", today),
            Ok(date(1980, 4, 1))
        );
        assert_eq!(
            parse_birth_date("2026-11-23", "birth_date", today).map_err(|e| e.code),
            Err("birth_date_out_of_range")
        );
        assert_eq!(
            parse_birth_date("1980-02-30", "birth_date", today).map_err(|e| e.code),
            Err("date_invalid")
        );
        assert_eq!(age_on(date(1980, 11, 23), today), 45);
        assert_eq!(age_on(date(1980, 11, 22), today), 46);
    }

    fn raw() -> RawPatient {
        RawPatient {
            name: "山田 花子".into(),
            kana: "やまだ はなこ".into(),
            romaji: Some("Yamada Hanako".into()),
            birth_date: "1978-05-14".into(),
            sex: "female".into(),
            phone: "090-1234-5678".into(),
            email: Some("hanako@example.jp".into()),
            postal_code: Some("1040061".into()),
            address: "東京都中央区銀座1-2-3".into(),
            allergies: vec![RawAllergy {
                substance: "ペニシリン".into(),
                reaction: Some("蕁麻疹".into()),
                severity: "moderate".into(),
            }],
            medications: vec![RawMedication {
                name: "アムロジピン".into(),
                dose: Some("5mg 1日1回".into()),
            }],
            history: Some("高血圧（治療中）".into()),
        }
    }

    #[test]
    fn a_patient_parses_and_every_bad_field_is_named() {
        let f = raw().parse(date(2026, 11, 22)).unwrap();
        assert_eq!(f.kana.as_str(), "ヤマダ ハナコ");
        assert_eq!(f.postal_code.as_deref(), Some("104-0061"));
        assert_eq!(f.allergies[0].severity, AllergySeverity::Moderate);
        let mut bad = raw();
        bad.name = " ".into();
        bad.kana = "Yamada".into();
        bad.birth_date = "x".into();
        bad.sex = "f".into();
        bad.phone = "123".into();
        bad.email = Some("nope".into());
        bad.postal_code = Some("12".into());
        bad.address = String::new();
        bad.allergies[0].severity = "deadly".into();
        assert_eq!(
            codes(bad.parse(date(2026, 11, 22))),
            vec![
                ("name", "field_required"),
                ("kana", "kana_invalid"),
                ("birth_date", "date_invalid"),
                ("sex", "code_unknown"),
                ("phone", "phone_invalid"),
                ("email", "email_invalid"),
                ("postal_code", "postal_code_invalid"),
                ("address", "field_required"),
                ("allergies", "code_unknown"),
            ]
        );
    }

    #[test]
    fn duplicates_are_same_kana_and_birth_date_or_same_phone() {
        let a = DuplicateKey::from(&raw().parse(date(2026, 11, 22)).unwrap());
        let same_person = DuplicateKey {
            phone: "0312345678".into(),
            ..a.clone()
        };
        let same_phone = DuplicateKey {
            kana_key: "スズキイチロウ".into(),
            birth_date: date(1950, 1, 1),
            ..a.clone()
        };
        let other_birthday = DuplicateKey {
            birth_date: date(1978, 5, 15),
            phone: "0312345678".into(),
            ..a.clone()
        };
        let found = probable_duplicates(
            &a,
            &[
                (1, same_person),
                (2, same_phone),
                (3, other_birthday),
                (4, a.clone()),
            ],
        );
        assert_eq!(
            found,
            vec![
                (1, vec![DuplicateReason::SameKanaAndBirthDate]),
                (2, vec![DuplicateReason::SamePhone]),
                (
                    4,
                    vec![
                        DuplicateReason::SameKanaAndBirthDate,
                        DuplicateReason::SamePhone
                    ]
                ),
            ]
        );
    }

    proptest! {
        /// Any mix of hiragana, katakana and spaces parses; the result is
        /// katakana with single inner spaces, and parsing it again changes
        /// nothing.
        #[test]
        fn kana_parse_is_idempotent(s in "[ぁ-ゖァ-ヺー 　]{0,30}") {
            if let Ok(k) = KanaName::parse(&s, "kana") {
                prop_assert!(!k.0.starts_with(' ') && !k.0.ends_with(' ') && !k.0.contains("  "));
                prop_assert!(k.0.chars().all(|c| c == ' ' || ('ァ'..='ヾ').contains(&c)));
                prop_assert_eq!(KanaName::parse(&k.0, "kana"), Ok(k.clone()));
            } else {
                prop_assert!(s.trim_matches(|c: char| c.is_whitespace()).is_empty());
            }
        }

        /// Any separator layout of a valid mobile number gives the same digits.
        #[test]
        fn phone_separators_do_not_matter(prefix in "0[789]0", rest in "[0-9]{8}", seps in prop::collection::vec(prop::sample::select(vec!["", "-", " ", "ー", "."]), 11)) {
            let digits = format!("{prefix}{rest}");
            let typed: String = digits.chars().zip(seps.iter()).map(|(c, s)| format!("{c}{s}")).collect();
            prop_assert_eq!(Phone::parse(&typed, "phone").map(|p| p.0), Ok(digits.clone()));
            prop_assert_eq!(Phone::parse(&format!("+81{}", &digits[1..]), "phone").map(|p| p.0), Ok(digits));
        }

        /// Postal codes: seven digits with or without the dash give NNN-NNNN;
        /// any other count of digits is refused.
        #[test]
        fn postal_codes(d in "[0-9]{1,9}", dash in any::<bool>()) {
            let typed = if dash && d.len() > 3 { format!("{}-{}", &d[..3], &d[3..]) } else { d.clone() };
            let r = parse_postal_code(&typed, "postal_code");
            if d.len() == 7 {
                prop_assert_eq!(r, Ok(Some(format!("{}-{}", &d[..3], &d[3..]))));
            } else {
                prop_assert!(r.is_err());
            }
        }

        /// The duplicate rule is symmetric.
        #[test]
        fn duplicate_rule_is_symmetric(k1 in "[ア-ン]{1,3}", k2 in "[ア-ン]{1,3}", d1 in 1u8..3, d2 in 1u8..3, p1 in "0[89]0[0-9]{1}", p2 in "0[89]0[0-9]{1}") {
            let a = DuplicateKey { kana_key: k1, birth_date: date(1980, 1, i8::try_from(d1).unwrap_or(1)), phone: p1 };
            let b = DuplicateKey { kana_key: k2, birth_date: date(1980, 1, i8::try_from(d2).unwrap_or(1)), phone: p2 };
            prop_assert_eq!(duplicate_reasons(&a, &b), duplicate_reasons(&b, &a));
            prop_assert_eq!(duplicate_reasons(&a, &a).len(), 2);
        }
    }
}
