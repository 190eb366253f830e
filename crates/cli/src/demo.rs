//! The demo clinic: realistic Japanese data for every capability that
//! exists. Each later part of jousei adds its own seed here.

use jousei_core::role::Role;
use jousei_store::{Actor, DynStore, NewClinic, NewUser};

/// Every demo user signs in with this password (13+ characters, mixed).
pub const DEMO_PASSWORD: &str = "jousei-demo-2026!";

/// (login, display name, role, clinics)
pub const DEMO_USERS: &[(&str, &str, Role, &[&str])] = &[
    ("dr.tanaka", "田中 誠", Role::Physician, &["ginza"]),
    ("ns.suzuki", "鈴木 美咲", Role::Nurse, &["ginza"]),
    ("co.yamamoto", "山本 彩", Role::Coordinator, &["ginza"]),
    (
        "qa.kobayashi",
        "小林 健太",
        Role::Quality,
        &["ginza", "umeda"],
    ),
    ("admin", "佐藤 直子", Role::Admin, &["ginza", "umeda"]),
    ("audit.ito", "伊藤 洋平", Role::Auditor, &["ginza", "umeda"]),
    ("dr.nakamura", "中村 優子", Role::Physician, &["umeda"]),
];

/// Seeds the demo unless it is already there. Returns true when it seeded.
pub async fn seed(store: &DynStore) -> anyhow::Result<bool> {
    seed_at(store, jiff::Timestamp::now()).await
}

/// Seeds the demo as of `now` (the plans' dates are relative to the
/// clinic's today then) unless it is already there.
pub async fn seed_at(store: &DynStore, now: jiff::Timestamp) -> anyhow::Result<bool> {
    if store.clinic_by_code("ginza").await?.is_some() {
        return Ok(false);
    }
    let actor = Actor::system("demo");
    let ginza = store
        .create_clinic(
            &actor,
            &NewClinic {
                code: "ginza".into(),
                name: "銀座リジェネクリニック".into(),
                name_en: Some("Ginza Regene Clinic".into()),
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await?;
    let umeda = store
        .create_clinic(
            &actor,
            &NewClinic {
                code: "umeda".into(),
                name: "梅田リジェネクリニック".into(),
                name_en: Some("Umeda Regene Clinic".into()),
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await?;
    let hash = jousei_service::auth::hash_password(DEMO_PASSWORD)?;
    let mut logins = std::collections::HashMap::new();
    for (login, name, role, clinics) in DEMO_USERS {
        let first = if clinics.first() == Some(&"umeda") {
            umeda.id
        } else {
            ginza.id
        };
        let user = store
            .create_user(
                &actor,
                &NewUser {
                    login: (*login).into(),
                    display_name: (*name).into(),
                    password_hash: hash.clone(),
                    clinic_id: first,
                    role: *role,
                },
            )
            .await?;
        logins.insert(*login, user.id);
        for code in clinics.iter().skip(1) {
            let clinic = if *code == "umeda" { umeda.id } else { ginza.id };
            store.grant_clinic(&actor, user.id, clinic, *role).await?;
        }
    }
    let today = now
        .in_tz(&ginza.time_zone)
        .map(|z| z.date())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (Some(qa), Some(nurse)) = (logins.get("qa.kobayashi"), logins.get("ns.suzuki")) else {
        anyhow::bail!("demo users missing");
    };
    crate::demo_supply::seed(
        store,
        ginza.id,
        &Actor::user(*qa, "qa.kobayashi"),
        *nurse,
        today,
    )
    .await?;
    let patients = crate::demo_patients::seed(store, ginza.id, &logins).await?;
    crate::demo_plans::seed(store, ginza.id, &ginza.time_zone, &logins, &patients, now).await?;
    crate::demo_safety::seed(store, ginza.id, &ginza.time_zone, &logins, now).await?;
    crate::demo_commerce::seed(store, ginza.id, &ginza.time_zone, &logins, &patients, now).await?;
    Ok(true)
}
