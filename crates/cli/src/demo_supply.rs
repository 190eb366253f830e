//! Demo data for supply and quality: storage locations, a product for every
//! cell source (plus exosome preparations and an approved drug used
//! alongside), and lots in every state, with certificates, stock movements
//! and a freezer log whose excursion put a lot on hold. Makers and licence
//! numbers are fictional.

use jiff::civil::Date;
use jousei_core::supply::coldchain::{Limits, Reading, Side, analyse};
use jousei_core::supply::lot::{LotAction, LotFacts, LotState, transition};
use jousei_core::supply::product::*;
use jousei_core::supply::qc::{Outcome, QcResult, QcTest, Specification, certificate_gaps};
use jousei_core::supply::stock::MovementKind;
use jousei_core::supply::units::{DeciCelsius, Microlitres, Milli};
use jousei_store::supply::*;
use jousei_store::{Actor, DynStore, Ts};
use uuid::Uuid;

struct Spec {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    kind: ProductKind,
    sources: &'static [CellSource],
    factors: &'static [Factor],
    ml: i64,
    routes: &'static [Route],
    gtin_body: Option<&'static str>,
    regime: LegalRegime,
    cold: bool,
}

const PRODUCTS: &[Spec] = &[
    Spec {
        code: "DP-CM-10",
        name: "歯髄幹細胞培養上清液 10mL",
        name_en: "Dental pulp stem cell conditioned medium 10 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::DentalPulp],
        factors: &[
            Factor::Egf,
            Factor::Vegf,
            Factor::Hgf,
            Factor::Bdnf,
            Factor::Ngf,
            Factor::Gdnf,
            Factor::Il10,
        ],
        ml: 10_000,
        routes: &[Route::IvDrip, Route::Nasal, Route::Inhalation],
        gtin_body: Some("0491234500001"),
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "DDP-CM-5",
        name: "乳歯歯髄幹細胞培養上清液 5mL",
        name_en: "Deciduous dental pulp conditioned medium 5 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::DeciduousDentalPulp],
        factors: &[Factor::Egf, Factor::Igf1, Factor::TgfBeta, Factor::Bdnf],
        ml: 5_000,
        routes: &[Route::IvDrip, Route::SkinInjection, Route::Nasal],
        gtin_body: Some("0491234500002"),
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "AD-CM-5",
        name: "脂肪幹細胞培養上清液 5mL",
        name_en: "Adipose stem cell conditioned medium 5 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::Adipose],
        factors: &[Factor::Egf, Factor::Fgf, Factor::Vegf],
        ml: 5_000,
        routes: &[
            Route::SkinInjection,
            Route::KneeJointInjection,
            Route::TopicalDevice,
        ],
        gtin_body: Some("0491234500003"),
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "UC-CM-3",
        name: "臍帯幹細胞培養上清液 3mL",
        name_en: "Umbilical cord stem cell conditioned medium 3 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::UmbilicalCord],
        factors: &[Factor::Hgf, Factor::Vegf, Factor::Il10],
        ml: 3_000,
        routes: &[Route::IvDrip, Route::Inhalation],
        gtin_body: None,
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "CB-CM-3",
        name: "臍帯血幹細胞培養上清液 3mL",
        name_en: "Cord blood stem cell conditioned medium 3 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::CordBlood],
        factors: &[Factor::Egf, Factor::Pdgf],
        ml: 3_000,
        routes: &[Route::IvDrip],
        gtin_body: None,
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "BM-CM-3",
        name: "骨髄幹細胞培養上清液 3mL",
        name_en: "Bone marrow stem cell conditioned medium 3 mL",
        kind: ProductKind::ConditionedMedium,
        sources: &[CellSource::BoneMarrow],
        factors: &[Factor::Bdnf, Factor::Gdnf],
        ml: 3_000,
        routes: &[Route::IvDrip, Route::Nasal],
        gtin_body: None,
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "PL-EX-2",
        name: "胎盤由来エクソソーム 2mL",
        name_en: "Placenta-derived exosome preparation 2 mL",
        kind: ProductKind::ExosomePreparation,
        sources: &[CellSource::Placenta],
        factors: &[],
        ml: 2_000,
        routes: &[Route::SkinInjection, Route::TopicalDevice],
        gtin_body: None,
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "UC-EX-2",
        name: "臍帯由来エクソソーム精製品 2mL",
        name_en: "Umbilical cord exosome preparation 2 mL",
        kind: ProductKind::ExosomePreparation,
        sources: &[CellSource::UmbilicalCord, CellSource::DentalPulp],
        factors: &[],
        ml: 2_000,
        routes: &[Route::IvDrip, Route::Inhalation, Route::Nasal],
        gtin_body: Some("0491234500004"),
        regime: LegalRegime::Unapproved,
        cold: true,
    },
    Spec {
        code: "LIDO-1",
        name: "リドカイン塩酸塩注射液1%（局所麻酔）",
        name_en: "Lidocaine hydrochloride 1% injection (local anaesthetic)",
        kind: ProductKind::Other,
        sources: &[],
        factors: &[],
        ml: 5_000,
        routes: &[Route::SkinInjection],
        gtin_body: None,
        regime: LegalRegime::ApprovedDrug,
        cold: false,
    },
];

fn facts(s: &Spec) -> ProductFacts {
    // The 13-digit body (leading zero, company prefix and item reference) gets its check digit.
    let gtin = s
        .gtin_body
        .and_then(jousei_core::barcode::Gtin::with_check_digit);
    let unapproved = s.regime == LegalRegime::Unapproved;
    let exosome = s.kind == ProductKind::ExosomePreparation;
    let mut spec = if s.regime == LegalRegime::ApprovedDrug {
        Specification::default()
    } else {
        Specification::seed_default()
    };
    if exosome {
        spec.tests.push(jousei_core::supply::qc::Requirement {
            test: QcTest::ExosomeMarkers,
            criterion: jousei_core::supply::qc::Criterion::Positive,
        });
    }
    ProductFacts {
        code: s.code.into(),
        name: s.name.into(),
        name_en: Some(s.name_en.into()),
        kind: s.kind,
        sources: s.sources.to_vec(),
        manufacturer: if unapproved { "みらい細胞加工センター株式会社（架空）".into() } else { "サンプル製薬株式会社（架空）".into() },
        facility: unapproved.then(|| "東京第二細胞培養加工施設".into()),
        licence_no: Some(if unapproved { "FA3200123（架空）".into() } else { "承認番号 22000AMX00000（架空）".into() }),
        country: "JP".into(),
        donor_info: if unapproved { DonorInfo::DocumentedDomestic } else { DonorInfo::Undisclosed },
        factors: s.factors.to_vec(),
        vial_volume: Microlitres(s.ml),
        storage_min: DeciCelsius(if s.cold { -850 } else { 10 }),
        storage_max: DeciCelsius(if s.cold { -600 } else { 300 }),
        in_use_minutes: if s.cold { 120 } else { 24 * 60 },
        excursion_tolerance_minutes: if s.cold { 30 } else { 240 },
        routes: s.routes.to_vec(),
        gtin,
        isbt_product_code: None,
        regime: s.regime,
        how_obtained: unapproved.then(|| "国内の細胞培養加工施設（特定細胞加工物製造許可施設）から医師の責任において購入".into()),
        personal_import: false,
        approved_equivalent: unapproved.then_some(ApprovedEquivalent::None { note: Some("同一の成分・用途で国内承認された医薬品はない".into()) }),
        // Left unrecorded on purpose for one product: the disclosure shows it as missing.
        foreign_safety_info: (unapproved && s.code != "CB-CM-3").then(|| "製造元の2026年10月時点の資料では、海外規制当局による安全性に関する措置の報告は確認されていない。".into()),
        spec,
    }
}

fn passing_results(spec: &Specification, on: Date) -> Vec<QcResult> {
    spec.tests
        .iter()
        .map(|r| QcResult {
            test: r.test,
            method: match r.test {
                QcTest::SterilityBacteria | QcTest::SterilityFungi => "日局 無菌試験法".into(),
                QcTest::Endotoxin => "カイネティック比色法".into(),
                QcTest::Mycoplasma => "NAT（PCR）".into(),
                QcTest::ExosomeMarkers => "ウエスタンブロット（CD9/CD63/CD81）".into(),
                _ => "CLEIA / NAT".into(),
            },
            outcome: match r.test {
                QcTest::Endotoxin => Outcome::Value {
                    value: Milli(120),
                    unit: "EU/mL".into(),
                },
                QcTest::ExosomeMarkers => Outcome::Positive,
                _ => Outcome::Negative,
            },
            tested_on: on,
        })
        .collect()
}

/// A minimal one-page PDF standing in for a scanned certificate.
fn demo_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 14 Tf 50 780 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn days(today: Date, n: i64) -> Date {
    today
        .checked_add(jiff::Span::new().days(n))
        .unwrap_or(today)
}

async fn certify(
    store: &DynStore,
    actor: &Actor,
    clinic: Uuid,
    lot: &Lot,
    spec: &Specification,
    on: Date,
    partial: bool,
) -> anyhow::Result<()> {
    let pdf = demo_pdf(&format!("Certificate of Analysis - lot {}", lot.lot_number));
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    let cert = store
        .add_certificate(
            actor,
            clinic,
            lot.id,
            &NewCertificate {
                filename: format!("CoA_{}.pdf", lot.lot_number),
                content_type: "application/pdf".into(),
                sha256: sha,
                data: pdf,
            },
        )
        .await?;
    let mut results = passing_results(spec, on);
    if partial {
        results.retain(|r| r.test != QcTest::Mycoplasma);
        for r in results.iter_mut().filter(|r| r.test == QcTest::Endotoxin) {
            r.outcome = Outcome::Value {
                value: Milli(800),
                unit: "EU/mL".into(),
            };
        }
    }
    store
        .add_qc_results(actor, clinic, lot.id, &results, Some(cert.id))
        .await?;
    Ok(())
}

/// Receives a lot and files its certificate (complete, or incomplete and
/// out of specification when `partial`).
async fn receive_certified(
    by: &By<'_>,
    new: NewLot,
    spec: &Specification,
    tested_on: Date,
    partial: bool,
) -> anyhow::Result<Lot> {
    let lot = by.store.receive_lot(by.actor, by.clinic, &new).await?;
    certify(
        by.store, by.actor, by.clinic, &lot, spec, tested_on, partial,
    )
    .await?;
    Ok(lot)
}

/// Who acts in the demo, and where.
struct By<'a> {
    store: &'a DynStore,
    actor: &'a Actor,
    clinic: Uuid,
}

async fn act(
    by: &By<'_>,
    lot: &Lot,
    spec: &Specification,
    action: LotAction,
    reason: Option<&str>,
    today: Date,
) -> anyhow::Result<Lot> {
    let (store, actor, clinic) = (by.store, by.actor, by.clinic);
    let results: Vec<QcResult> = store
        .qc_results(clinic, lot.id)
        .await?
        .into_iter()
        .map(|r| r.result)
        .collect();
    let facts = LotFacts {
        state: lot.state,
        held_from: lot.held_from,
        expiry: lot.expiry,
        gaps: certificate_gaps(spec, &results),
        open_excursions: 0,
        today,
    };
    let t = transition(&facts, action, reason)
        .map_err(|r| anyhow::anyhow!("demo transition refused: {r:?}"))?;
    Ok(store
        .change_lot(
            actor,
            clinic,
            &LotChange {
                lot_id: lot.id,
                action,
                expected_state: lot.state,
                transition: t,
                reason: reason.map(str::to_string),
                evidence: serde_json::json!({"demo": true, "results": results.len()}),
            },
        )
        .await?)
}

/// Seeds the supply side of the demo clinic.
pub async fn seed(
    store: &DynStore,
    clinic: Uuid,
    qa: &Actor,
    witness: Uuid,
    today: Date,
) -> anyhow::Result<()> {
    let loc = |code: &str, name: &str, min: i32, max: i32| NewLocation {
        code: code.into(),
        name: name.into(),
        min_temp: DeciCelsius(min),
        max_temp: DeciCelsius(max),
    };
    let by = By {
        store,
        actor: qa,
        clinic,
    };
    let f1 = store
        .create_location(
            qa,
            clinic,
            &loc("F1", "超低温フリーザー1（処置室）", -850, -600),
        )
        .await?;
    let f2 = store
        .create_location(
            qa,
            clinic,
            &loc("F2", "超低温フリーザー2（倉庫）", -850, -600),
        )
        .await?;
    let r1 = store
        .create_location(qa, clinic, &loc("R1", "薬用冷蔵庫", 20, 80))
        .await?;
    let shelf = store
        .create_location(qa, clinic, &loc("S1", "常温薬品棚", 10, 300))
        .await?;
    let mut products = Vec::new();
    for s in PRODUCTS {
        products.push(store.create_product(qa, clinic, &facts(s)).await?);
    }
    // A correction after delivery: a second version of the first product.
    let mut revised = products[0].facts.clone();
    revised.in_use_minutes = 90;
    products[0] = store
        .revise_product(
            qa,
            clinic,
            products[0].id,
            &revised,
            "製造元の添付文書改訂（解凍後の使用期限を120分→90分）に合わせて更新",
        )
        .await?;

    let received = days(today, -20);
    let receive =
        |product: &Product, number: &str, expiry: Date, location: &Location, vials: i64| NewLot {
            product_id: product.id,
            lot_number: number.into(),
            expiry,
            expiry_time: None,
            location_id: location.id,
            vials,
            supplier_ref: Some(format!("納品書 {number}")),
            scan_raw: product
                .facts
                .gtin
                .as_ref()
                .map(|g| format!("(01){g}(17){}(10){number}", expiry.strftime("%y%m%d"))),
        };
    let spec_of = |p: &Product| p.facts.spec.clone();
    // Released lots of every source, in date.
    let mut released = Vec::new();
    for (i, p) in products.iter().enumerate() {
        let number = format!(
            "{}-{}",
            p.facts.code.split('-').next().unwrap_or("L"),
            2609 + i
        );
        let location = if p.facts.regime == LegalRegime::ApprovedDrug {
            &shelf
        } else {
            &f1
        };
        let lot = store
            .receive_lot(
                qa,
                clinic,
                &receive(p, &number, days(today, 120 + 10 * i as i64), location, 12),
            )
            .await?;
        if p.facts.regime != LegalRegime::ApprovedDrug || !p.facts.spec.tests.is_empty() {
            certify(store, qa, clinic, &lot, &spec_of(p), received, false).await?;
        }
        let lot = act(&by, &lot, &spec_of(p), LotAction::Release, None, today).await?;
        released.push(lot);
    }
    let dp = &products[0];
    // Received before the current lots, for the courses begun last year:
    // the sessions more than two months ago drew from them (demo_doses).
    for (product, number, expiry, vials) in [
        (&products[0], "DP-2604", 40, 20),
        (&products[3], "UC-2605", 50, 6),
    ] {
        let lot = receive_certified(
            &by,
            receive(product, number, days(today, expiry), &f1, vials),
            &spec_of(product),
            days(today, -330),
            false,
        )
        .await?;
        act(
            &by,
            &lot,
            &spec_of(product),
            LotAction::Release,
            None,
            days(today, -320),
        )
        .await?;
    }
    // Released, expiring within the dashboard's 30 days.
    let soon = receive_certified(
        &by,
        receive(dp, "DP-2608", days(today, 12), &f1, 4),
        &spec_of(dp),
        days(today, -60),
        false,
    )
    .await?;
    act(
        &by,
        &soon,
        &spec_of(dp),
        LotAction::Release,
        None,
        days(today, -55),
    )
    .await?;
    // Released earlier, now past its expiry: never available.
    let expired = receive_certified(
        &by,
        receive(&products[2], "AD-2605", days(today, -3), &r1, 2),
        &spec_of(&products[2]),
        days(today, -120),
        false,
    )
    .await?;
    act(
        &by,
        &expired,
        &spec_of(&products[2]),
        LotAction::Release,
        None,
        days(today, -100),
    )
    .await?;
    // Quarantined: just arrived, no certificate yet.
    store
        .receive_lot(
            qa,
            clinic,
            &receive(dp, "DP-2611", days(today, 180), &f1, 20),
        )
        .await?;
    // Quarantined: certificate incomplete and out of specification.
    receive_certified(
        &by,
        receive(&products[1], "DDP-2611", days(today, 170), &f1, 10),
        &spec_of(&products[1]),
        days(today, -2),
        true,
    )
    .await?;
    // Recalled.
    let recalled = receive_certified(
        &by,
        receive(&products[3], "UC-2607", days(today, 60), &f1, 6),
        &spec_of(&products[3]),
        days(today, -90),
        false,
    )
    .await?;
    let recalled = act(
        &by,
        &recalled,
        &spec_of(&products[3]),
        LotAction::Release,
        None,
        days(today, -80),
    )
    .await?;
    act(
        &by,
        &recalled,
        &spec_of(&products[3]),
        LotAction::Recall,
        Some("製造元からの自主回収連絡（無菌試験の再試験で陽性）"),
        today,
    )
    .await?;
    // Rejected at receipt: certificate shows a positive virus test.
    let rejected = receive_certified(
        &by,
        receive(&products[4], "CB-2610", days(today, 150), &f1, 5),
        &spec_of(&products[4]),
        days(today, -5),
        false,
    )
    .await?;
    store
        .add_qc_results(
            qa,
            clinic,
            rejected.id,
            &[QcResult {
                test: QcTest::ParvovirusB19,
                method: "NAT".into(),
                outcome: Outcome::Positive,
                tested_on: days(today, -4),
            }],
            None,
        )
        .await?;
    act(
        &by,
        &rejected,
        &spec_of(&products[4]),
        LotAction::Reject,
        Some("パルボウイルスB19陽性のため不合格"),
        today,
    )
    .await?;

    // Stock movements: a move to the treatment-room freezer, a destruction with a witness.
    let mv = |lot: &Lot,
              from: &Location,
              kind,
              qty,
              to: Option<Uuid>,
              reason: Option<&str>,
              w: Option<Uuid>| NewMovement {
        lot_id: lot.id,
        location_id: from.id,
        kind,
        quantity: qty,
        to_location_id: to,
        reason: reason.map(str::to_string),
        witness_id: w,
    };
    let on_f2 = receive_certified(
        &by,
        receive(&products[7], "UC-EX-2610", days(today, 200), &f2, 8),
        &spec_of(&products[7]),
        days(today, -15),
        false,
    )
    .await?;
    let on_f2 = act(
        &by,
        &on_f2,
        &spec_of(&products[7]),
        LotAction::Release,
        None,
        today,
    )
    .await?;
    store
        .record_movement(
            qa,
            clinic,
            &mv(
                &released[0],
                &f1,
                MovementKind::Move,
                2,
                Some(r1.id),
                Some("当日使用分を冷蔵解凍へ"),
                None,
            ),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .record_movement(
            qa,
            clinic,
            &mv(
                &released[0],
                &f1,
                MovementKind::Destroy,
                1,
                None,
                Some("バイアル破損（落下）"),
                Some(witness),
            ),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // A freezer log with a 50-minute excursion (door left open): F2's lot goes on hold.
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(26);
    let readings: Vec<Reading> = (0..144)
        .map(|i| {
            let at = start + jiff::SignedDuration::from_mins(i * 10);
            let t = match i {
                60..=64 => -520 + (i as i32 - 60) * 8,
                65 => -590,
                _ => -790 + ((i * 7) % 11) as i32,
            };
            Reading {
                at,
                temp: DeciCelsius(t),
            }
        })
        .collect();
    let analysis = analyse(&readings, &Limits::new(f2.min_temp, f2.max_temp, 30));
    let csv: String = std::iter::once("timestamp,temperature_c\n".to_string())
        .chain(readings.iter().map(|r| {
            format!(
                "{},{}\n",
                r.at,
                jousei_core::supply::units::fmt_fixed(i64::from(r.temp.0), 1)
            )
        }))
        .collect();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(csv.as_bytes()))
    };
    store
        .import_temperatures(
            qa,
            clinic,
            &NewTemperatureImport {
                location_id: f2.id,
                filename: "F2_TL-100_log.csv".into(),
                sha256: sha,
                device: Some("TL-100 #4411".into()),
                readings: readings.iter().map(|r| (Ts::from(r.at), r.temp)).collect(),
                excursions: analysis
                    .excursions
                    .iter()
                    .map(|e| NewExcursion {
                        start_at: Ts::from(e.start),
                        end_at: Ts::from(e.end),
                        minutes: e.duration_minutes,
                        extreme: e.extreme,
                        direction: match e.side {
                            Side::Above => "above",
                            Side::Below => "below",
                            Side::Both => "both",
                        },
                        lot_ids: vec![on_f2.id],
                    })
                    .collect(),
            },
        )
        .await?;
    debug_assert!(
        store
            .lot(clinic, on_f2.id)
            .await?
            .is_some_and(|l| l.state == LotState::OnHold)
    );
    Ok(())
}

#[cfg(test)]
mod tests;
