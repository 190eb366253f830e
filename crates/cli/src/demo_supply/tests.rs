//! Tests of the parent module, kept beside it so the module reads as one idea.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jousei_core::barcode::parse_scan;
use jousei_core::role::Role;
use jousei_service::auth::{Principal, Via};
use jousei_service::supply::ReceiveIn;
use jousei_service::{Service, Settings};
use jousei_store::DynStore;
use uuid::Uuid;

/// The seeded demo (every area), its Ginza clinic, a quality principal and the state.
pub(crate) struct Demo {
    pub store: DynStore,
    pub clinic: Uuid,
    pub qa: Principal,
    pub state: Service,
    pub today: jiff::civil::Date,
    dir: std::path::PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) async fn demo() -> Demo {
    let dir = std::env::temp_dir().join(format!("jousei-demo-supply-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("jousei.db").display());
    let store = jousei_store::open(&url, true).await.unwrap();
    let now = jiff::Timestamp::now();
    assert!(crate::demo::seed_at(&store, now).await.unwrap());
    let clinic = store.clinic_by_code("ginza").await.unwrap().unwrap();
    let (user, _) = store
        .users_in_clinic(clinic.id)
        .await
        .unwrap()
        .into_iter()
        .find(|(u, _)| u.login == "qa.kobayashi")
        .unwrap();
    let grants = store.grants_of_user(user.id).await.unwrap();
    let today = now
        .to_zoned(jiff::tz::TimeZone::get(&clinic.time_zone).unwrap())
        .date();
    let qa = Principal {
        user,
        clinic: clinic.clone(),
        role: Role::Quality,
        grants,
        via: Via::Token { id: Uuid::nil() },
    };
    let state = Service::new(
        store.clone(),
        Settings::default(),
        std::sync::Arc::new(jousei_server::i18n::I18n::load().unwrap()),
    );
    Demo {
        store,
        clinic: clinic.id,
        qa,
        state,
        today,
        dir,
    }
}

/// Every demo product with a GTIN stores a valid GTIN-14; a label printed for it is
/// received as a new lot of that product, and every demo lot's stored scan reads back
/// to its own product and lot.
#[tokio::test]
async fn demo_gtins_print_receive_and_read_back() {
    let d = demo().await;
    let products = d.store.products(d.clinic).await.unwrap();
    let with_gtin: Vec<_> = products.iter().filter(|p| p.facts.gtin.is_some()).collect();
    assert_eq!(
        with_gtin.len(),
        4,
        "DP-CM-10, DDP-CM-5, AD-CM-5 and UC-EX-2"
    );
    let location = d.store.locations(d.clinic).await.unwrap()[0].id;
    for p in &with_gtin {
        let gtin = p.facts.gtin.as_ref().unwrap().to_string();
        assert_eq!(gtin.len(), 14, "{}: {gtin}", p.facts.code);
        let req: jousei_server::barcodes::LabelsIn = serde_json::from_value(serde_json::json!({
            "gtin": gtin, "product_name": p.facts.name, "lot": format!("T-{}", p.facts.code),
            "expiry": "2030-01-31", "first_serial": "V0001", "count": 1,
        }))
        .unwrap();
        let labels = jousei_server::barcodes::build_labels(&req, d.today).unwrap_or_else(|f| {
            panic!("{}: label refused: {} ({})", p.facts.code, f.code, f.field)
        });
        let scan = format!("]d2{}", labels[0].element_string());
        let lot = jousei_service::supply::receive_lot(
            &d.state,
            &d.qa,
            &ReceiveIn {
                scan: Some(scan),
                confirm_warnings: Some("1".into()),
                location_id: location.to_string(),
                vials: "2".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{}: receive refused: {} {:?}",
                p.facts.code, e.code, e.errors
            )
        });
        assert_eq!(lot.product_id, p.id);
        assert_eq!(lot.lot_number, format!("T-{}", p.facts.code));
    }
    let mut read_back = 0;
    for lot in d.store.lots(d.clinic).await.unwrap() {
        let Some(raw) = &lot.scan_raw else { continue };
        let scan = parse_scan(raw, d.today).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        let gtin = scan.gtin.as_deref().unwrap();
        let product = d.store.product_by_gtin(d.clinic, gtin).await.unwrap();
        assert_eq!(product.map(|p| p.id), Some(lot.product_id), "{raw}");
        assert_eq!(scan.lot.as_deref(), Some(lot.lot_number.as_str()));
        read_back += 1;
    }
    assert!(read_back >= 8, "stored scans read back: {read_back}");
}

/// The demo's expired lot still in stock (AD-2605) is listed for destruction on the
/// supply dashboard and is never shown as usable.
#[tokio::test]
async fn the_demo_expired_lot_is_listed_for_destruction() {
    let d = demo().await;
    let dash = jousei_service::supply::dashboard(&d.state, &d.qa, 30)
        .await
        .unwrap();
    let expired: Vec<&str> = dash
        .expired_stock
        .iter()
        .map(|e| e.lot.lot_number.as_str())
        .collect();
    assert!(expired.contains(&"AD-2605"), "{expired:?}");
    let lot = &dash
        .expired_stock
        .iter()
        .find(|e| e.lot.lot_number == "AD-2605")
        .unwrap()
        .lot;
    assert_eq!(
        jousei_core::supply::lot::shown_state(lot.state, lot.expiry, d.today),
        "expired"
    );
    assert!(dash.expiring.iter().all(|l| l.lot_number != "AD-2605"));
}
