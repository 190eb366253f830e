//! The consent PDF: PDF/A with the Japanese fonts embedded, the exact text
//! extractable, reproducible bytes, and data that is never read as markup.
//! Text extraction uses poppler's `pdftotext`/`pdffonts` (Debian
//! poppler-utils, installed by scripts/test.sh); without them those checks
//! report themselves skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::Command;

use jousei_documents::{ConsentDocument, SignatureImage, consent_pdf};

fn consent(text: &str, sig: SignatureImage) -> ConsentDocument {
    ConsentDocument {
        lang: "ja".into(),
        title: "幹細胞培養上清液 点滴療法 同意書".into(),
        clinic: "銀座リジェネクリニック".into(),
        kind: "同意書（署名済み）".into(),
        text: text.into(),
        text_sha256: "a".repeat(64),
        template_sha256: "b".repeat(64),
        sign_heading: "署名".into(),
        rows: vec![
            ("患者".into(), "山田 花子（P-000123）".into()),
            ("生年月日".into(), "1978年5月14日".into()),
            ("説明医師".into(), "田中 一郎".into()),
            ("署名日時".into(), "2026年12月1日 10:15".into()),
        ],
        signature_label: "患者署名".into(),
        signature: sig,
        hash_label: "本文SHA-256".into(),
        template_label: "様式SHA-256".into(),
        footer: "jousei · 同意記録 0193".into(),
        date: "2026-12-01T01:15:00Z".parse().unwrap(),
    }
}

const TEXT: &str = "幹細胞培養上清液 点滴療法 同意書\n(CM-IV v2)\n\n■ 治療の内容\n\
ヒト脂肪由来間葉系幹細胞の培養上清液を点滴で投与します。効果には個人差があり、\
効果を保証するものではありません。\n\n■ 費用\n1回 110,000円（税込）。#set text(red) $x^2$ *太字ではない* _斜体ではない_ <label> @ref";

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

fn run(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut f = tempfile();
    f.1.write_all(pdf).unwrap();
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&f.0);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{tool} failed");
    String::from_utf8(out.stdout).unwrap()
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    let path = std::env::temp_dir().join(format!(
        "jousei-doc-{}-{}.pdf",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let f = std::fs::File::create(&path).unwrap();
    (path, f)
}

#[test]
fn a_consent_renders_as_reproducible_pdf_a() {
    let c = consent(
        TEXT,
        SignatureImage::SvgPath {
            d: "M10 150 C 60 20, 120 20, 160 120 S 260 180, 300 60".into(),
            width: 600,
            height: 200,
        },
    );
    let a = consent_pdf(&c).unwrap();
    // JOUSEI_DOC_OUT=DIR keeps the sample for a look (docs screenshots).
    if let Ok(dir) = std::env::var("JOUSEI_DOC_OUT") {
        std::fs::write(
            std::path::Path::new(&dir).join("consent-sample.pdf"),
            &a.bytes,
        )
        .unwrap();
    }
    assert!(a.bytes.starts_with(b"%PDF-"));
    assert_eq!(a.sha256.len(), 64);
    // PDF/A-2b identification is in the XMP metadata.
    let raw = String::from_utf8_lossy(&a.bytes);
    assert!(raw.contains("pdfaid:part"), "no PDF/A identification");
    // The same record renders to the same bytes.
    let b = consent_pdf(&c).unwrap();
    assert_eq!(a, b);
    // A different signature changes the document.
    let other = consent_pdf(&consent(TEXT, SignatureImage::None)).unwrap();
    assert_ne!(a.sha256, other.sha256);
}

#[test]
fn the_text_is_extractable_and_markup_is_printed_literally() {
    if !tool("pdftotext") || !tool("pdffonts") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext and pdffonts (poppler-utils) are required in CI"
        );
        eprintln!("SKIPPED (pdf text checks): pdftotext/pdffonts (poppler-utils) not installed");
        return;
    }
    let pdf = consent_pdf(&consent(TEXT, SignatureImage::None)).unwrap();
    let text = run("pdftotext", &["-layout"], &pdf.bytes);
    let flat: String = text.split_whitespace().collect();
    for needle in [
        "幹細胞培養上清液点滴療法同意書",
        "■治療の内容",
        "効果には個人差があり",
        "1回110,000円（税込）。",
        "#settext(red)$x^2$*太字ではない*_斜体ではない_<label>@ref",
        "山田花子（P-000123）",
        "銀座リジェネクリニック",
        &"a".repeat(64),
    ] {
        assert!(flat.contains(needle), "{needle} missing from:\n{text}");
    }
    let fonts = run("pdffonts", &[], &pdf.bytes);
    assert!(fonts.contains("BIZUDPGothic"), "{fonts}");
    for line in fonts.lines().filter(|l| l.contains("BIZUD")) {
        // name type encoding emb sub uni
        assert!(line.contains(" yes yes yes"), "not embedded+subset: {line}");
    }
}

#[test]
fn a_hostile_signature_path_stays_a_path() {
    // Stored signatures are checked on the way in; this is the second wall.
    let pdf = consent_pdf(&consent(
        "t\n■ x\ny",
        SignatureImage::SvgPath {
            d: "M0 0 L10 10\"/><image href=\"http://example.invalid/x.png".into(),
            width: 600,
            height: 200,
        },
    ));
    // Either it renders (the quote was escaped) or it fails cleanly; it
    // never fetches or panics.
    if let Ok(pdf) = pdf {
        assert!(pdf.bytes.starts_with(b"%PDF-"));
    }
}

#[test]
fn a_png_signature_is_embedded() {
    // A 2×2 grey-scale PNG.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x57,
        0xdd, 0x52, 0xf8, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0xf8, 0x0f, 0x84, 0x00, 0x06, 0x00, 0x01, 0xff, 0x93, 0xd1, 0xe4, 0x89, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let pdf = consent_pdf(&consent(TEXT, SignatureImage::Png(png))).unwrap();
    assert!(pdf.bytes.starts_with(b"%PDF-"));
}

fn contract_doc(title: &str) -> jousei_documents::ContractDocument {
    jousei_documents::ContractDocument {
        lang: "ja".into(),
        title: title.into(),
        clinic: "銀座リジェネクリニック".into(),
        kind: "契約番号 C-000001".into(),
        read_notice: "この書面の内容を十分にお読みください。".into(),
        sections: vec![(
            "役務の内容".into(),
            vec![
                ("施術".into(), "幹細胞培養上清液 肌注射 5回コース".into()),
                ("回数の総計".into(), "5回".into()),
                ("対価（税込）".into(), "110,000円".into()),
            ],
        )],
        cooling_off_heading: "クーリング・オフについて".into(),
        cooling_off_text: "契約書面を受け取った日を含めて8日以内は、書面または電磁的記録により無条件で契約を解除できます。\n#set text(red) は文字のまま印刷されます。".into(),
        texts: vec![(
            "中途解約について".into(),
            "クーリング・オフ期間の経過後も、将来に向かって契約を解除できます。".into(),
        )],
        note: "この書面は jousei が作成しました。".into(),
        footer: "銀座リジェネクリニック 東京都中央区銀座1-2-3".into(),
        date: "2026-12-01T03:00:00Z".parse().unwrap(),
    }
}

#[test]
fn a_contract_document_renders_with_every_part_extractable() {
    let a = jousei_documents::contract_pdf(&contract_doc("契約書面")).unwrap();
    if let Ok(dir) = std::env::var("JOUSEI_DOC_OUT") {
        std::fs::write(
            std::path::Path::new(&dir).join("contract-sample.pdf"),
            &a.bytes,
        )
        .unwrap();
    }
    assert!(a.bytes.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&a.bytes).contains("pdfaid:part"));
    assert_eq!(
        a,
        jousei_documents::contract_pdf(&contract_doc("契約書面")).unwrap()
    );
    let summary = jousei_documents::contract_pdf(&contract_doc("概要書面")).unwrap();
    assert_ne!(a.sha256, summary.sha256);
    if !tool("pdftotext") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext (poppler-utils) is required in CI"
        );
        eprintln!("SKIPPED (contract pdf text): pdftotext not installed");
        return;
    }
    let text = run("pdftotext", &["-layout"], &a.bytes);
    let flat: String = text.split_whitespace().collect();
    for needle in [
        "契約書面",
        "この書面の内容を十分にお読みください。",
        "クーリング・オフについて",
        "契約書面を受け取った日を含めて8日以内",
        "#settext(red)は文字のまま印刷されます。",
        "回数の総計5回",
        "110,000円",
        "中途解約について",
        "C-000001",
    ] {
        assert!(flat.contains(needle), "{needle} missing from:\n{text}");
    }
}
