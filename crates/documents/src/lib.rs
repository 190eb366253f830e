//! jousei's printable documents: Typst templates rendered to PDF/A-2b with
//! the BIZ UD fonts embedded (subset), so a document prints and archives the
//! same everywhere and nothing is fetched at run time.
//!
//! Templates receive their content as data (`sys.inputs`), never as markup:
//! a patient's name or a consent text prints exactly as stored. Every word
//! on the page, labels included, is chosen by the caller (the server
//! translates them), so the templates hold layout only.
//!
//! The document date is the record's own time (a signing time, say), which
//! PDF/A requires and which makes the output reproducible: the same record
//! renders to the same bytes with the same jousei build.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use typst::foundations::{Array, Bytes, Dict, IntoValue, Value};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

const CONSENT: &str = "consent.typ";
const CONTRACT: &str = "contract.typ";

/// The fonts jousei prints with (SIL OFL 1.1; see `assets/fonts`). The web
/// UI serves the same files, so screen and paper match.
pub const FONTS: &[(&str, &[u8])] = &[
    (
        "BIZUDPGothic-Regular.ttf",
        include_bytes!("../../../assets/fonts/BIZUDPGothic-Regular.ttf"),
    ),
    (
        "BIZUDPGothic-Bold.ttf",
        include_bytes!("../../../assets/fonts/BIZUDPGothic-Bold.ttf"),
    ),
    (
        "BIZUDGothic-Regular.ttf",
        include_bytes!("../../../assets/fonts/BIZUDGothic-Regular.ttf"),
    ),
];

/// A font file by name, for serving to browsers.
pub fn font(name: &str) -> Option<&'static [u8]> {
    FONTS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Why a document could not be made. Only a broken build can cause these
/// (a template that does not compile); input data cannot.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("document template failed: {0}")]
    Template(String),
    #[error("PDF export failed: {0}")]
    Pdf(String),
}

/// A rendered PDF and its SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl Pdf {
    fn new(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Pdf { bytes, sha256 }
    }
}

/// A drawn signature as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureImage {
    /// SVG path data (`d`) drawn on a `width` × `height` canvas.
    SvgPath {
        d: String,
        width: u32,
        height: u32,
    },
    Png(Vec<u8>),
    None,
}

/// A signed consent, ready to print: the exact text the patient was shown
/// and everything recorded at signing, with the labels in the document's
/// language.
#[derive(Debug, Clone)]
pub struct ConsentDocument {
    /// `ja` or `en` (hyphenation and line breaking follow it).
    pub lang: String,
    pub title: String,
    pub clinic: String,
    /// A short kind line printed top right, e.g. "同意書（署名済み）".
    pub kind: String,
    /// The exact text the patient was shown, first line its title, item
    /// headings on lines opening with ■.
    pub text: String,
    pub text_sha256: String,
    pub template_sha256: String,
    /// Heading of the signature box.
    pub sign_heading: String,
    /// Label/value rows of the signature box (patient, signed at, …).
    pub rows: Vec<(String, String)>,
    pub signature_label: String,
    pub signature: SignatureImage,
    pub hash_label: String,
    pub template_label: String,
    /// Printed at the foot of every page.
    pub footer: String,
    /// The record's time, in UTC: the PDF's document date.
    pub date: jiff::Timestamp,
}

fn engine() -> &'static TypstEngine<TypstTemplateCollection> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateCollection>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .fonts(FONTS.iter().map(|(_, b)| *b))
            .with_static_source_file_resolver([
                (CONSENT, include_str!("../templates/consent.typ")),
                (CONTRACT, include_str!("../templates/contract.typ")),
            ])
            .build()
    })
}

fn s(v: &str) -> Value {
    v.into_value()
}

fn date_value(t: jiff::Timestamp) -> Value {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let parts: Vec<Value> = [
        i64::from(dt.year()),
        i64::from(dt.month()),
        i64::from(dt.day()),
        i64::from(dt.hour()),
        i64::from(dt.minute()),
        i64::from(dt.second()),
    ]
    .into_iter()
    .map(IntoValue::into_value)
    .collect();
    Value::Array(Array::from(parts.as_slice()))
}

/// Escapes text for an XML attribute.
fn xml_attr(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            _ => c.to_string(),
        })
        .collect()
}

fn signature_inputs(sig: &SignatureImage, dict: &mut Dict) {
    let (format, bytes) = match sig {
        SignatureImage::SvgPath { d, width, height } => {
            let svg = format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
                 width=\"{width}\" height=\"{height}\"><path d=\"{}\" fill=\"none\" \
                 stroke=\"#111\" stroke-width=\"3\" stroke-linecap=\"round\" \
                 stroke-linejoin=\"round\"/></svg>",
                xml_attr(d)
            );
            ("svg", svg.into_bytes())
        }
        SignatureImage::Png(b) => ("png", b.clone()),
        SignatureImage::None => ("none", Vec::new()),
    };
    dict.insert("signature_format".into(), s(format));
    dict.insert("signature".into(), Value::Bytes(Bytes::new(bytes)));
}

/// Renders a signed consent as PDF/A-2b.
pub fn consent_pdf(c: &ConsentDocument) -> Result<Pdf, DocumentError> {
    let mut d = Dict::new();
    d.insert("lang".into(), s(&c.lang));
    d.insert("title".into(), s(&c.title));
    d.insert("clinic".into(), s(&c.clinic));
    d.insert("kind".into(), s(&c.kind));
    d.insert("text".into(), s(&c.text));
    d.insert("text_sha256".into(), s(&c.text_sha256));
    d.insert("template_sha256".into(), s(&c.template_sha256));
    d.insert("sign_heading".into(), s(&c.sign_heading));
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|(k, v)| Value::Array(Array::from([s(k), s(v)].as_slice())))
        .collect();
    d.insert("rows".into(), Value::Array(Array::from(rows.as_slice())));
    d.insert("signature_label".into(), s(&c.signature_label));
    signature_inputs(&c.signature, &mut d);
    d.insert("hash_label".into(), s(&c.hash_label));
    d.insert("template_label".into(), s(&c.template_label));
    d.insert("footer".into(), s(&c.footer));
    d.insert("date".into(), date_value(c.date));
    render(CONSENT, d)
}

/// A document of a contract under the Specified Commercial Transactions
/// Act (概要書面 or 契約書面). The caller chooses every word (the items the
/// law requires, in the document's language); the template prints the
/// notice to read carefully and the cooling-off terms in red inside a red
/// frame, nothing under 8 pt.
#[derive(Debug, Clone)]
pub struct ContractDocument {
    pub lang: String,
    pub title: String,
    pub clinic: String,
    /// A short kind line printed top right (e.g. the contract number).
    pub kind: String,
    /// 「この書面の内容を十分にお読みください。」
    pub read_notice: String,
    /// Headed tables of label/value rows (the required items).
    pub sections: Vec<(String, Vec<(String, String)>)>,
    pub cooling_off_heading: String,
    /// Lines of the cooling-off terms.
    pub cooling_off_text: String,
    /// Headed paragraphs after the cooling-off box (cancellation, …).
    pub texts: Vec<(String, String)>,
    /// A small note at the end (e.g. the document's number and hash rule).
    pub note: String,
    pub footer: String,
    pub date: jiff::Timestamp,
}

/// Renders a contract document as PDF/A-2b.
pub fn contract_pdf(c: &ContractDocument) -> Result<Pdf, DocumentError> {
    let pair = |k: &str, v: &str| Value::Array(Array::from([s(k), s(v)].as_slice()));
    let mut d = Dict::new();
    d.insert("lang".into(), s(&c.lang));
    d.insert("title".into(), s(&c.title));
    d.insert("clinic".into(), s(&c.clinic));
    d.insert("kind".into(), s(&c.kind));
    d.insert("read_notice".into(), s(&c.read_notice));
    let sections: Vec<Value> = c
        .sections
        .iter()
        .map(|(h, rows)| {
            let rows: Vec<Value> = rows.iter().map(|(k, v)| pair(k, v)).collect();
            Value::Array(Array::from(
                [s(h), Value::Array(Array::from(rows.as_slice()))].as_slice(),
            ))
        })
        .collect();
    d.insert(
        "sections".into(),
        Value::Array(Array::from(sections.as_slice())),
    );
    d.insert("cooling_off_heading".into(), s(&c.cooling_off_heading));
    d.insert("cooling_off_text".into(), s(&c.cooling_off_text));
    let texts: Vec<Value> = c.texts.iter().map(|(h, t)| pair(h, t)).collect();
    d.insert("texts".into(), Value::Array(Array::from(texts.as_slice())));
    d.insert("note".into(), s(&c.note));
    d.insert("footer".into(), s(&c.footer));
    d.insert("date".into(), date_value(c.date));
    render(CONTRACT, d)
}

fn render(template: &str, inputs: Dict) -> Result<Pdf, DocumentError> {
    let doc: PagedDocument = engine()
        .compile_with_input(template, inputs)
        .output
        .map_err(|e| DocumentError::Template(e.to_string()))?;
    let standards = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| DocumentError::Pdf(e.message().to_string()))?;
    let options = PdfOptions {
        standards,
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&doc, &options).map_err(|errs| {
        DocumentError::Pdf(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok(Pdf::new(bytes))
}
