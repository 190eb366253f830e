//! The Ginza demo clinic's commercial side: its business profile, a price
//! list (tax included, with the usual course and main risks), and contracts
//! for patients already in treatment: a covered IV package bound to a plan
//! with doses, paid in two instalments; a covered package within its
//! cooling-off; a covered package cancelled after the cooling-off (the quote
//! and the refund, the receipt reversed and the amount kept receipted); a
//! knee course for a medical purpose, not covered; six months of the
//! monthly IV plan, covered as a six-month commitment.
//!
//! Price items, contracts (coverage decided), the contract documents (PDF
//! rendered from the contract record) and the receipt reversal go through
//! the server's use cases (`commerce_ops`), as a signed-in administrator or
//! coordinator would. What the use cases stamp with the real clock (a
//! payment's time, the cancellation's notice checked against today, a
//! handover's day) is written through the store with the demo's dates,
//! computed the same way (`cancellation::quote`, `tax::receipt_tax`).
//!
//! The contracts and their documents are recorded (`made_at`) when the demo
//! is seeded; the handover days, payments and notice are dated in the
//! story's past. All names and numbers are fictitious.

use anyhow::{Context, bail};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use jousei_core::commerce::Yen;
use jousei_core::commerce::cancellation::{self, CancellationFacts};
use jousei_core::commerce::tax;
use jousei_service::ServiceError;
use jousei_service::auth::{Principal, Via};
use jousei_service::commerce::{
    self as commerce_ops, ContractIn, ContractView, DocumentIn, LineIn, PriceItemIn, PriceItemView,
    ProfileIn,
};
use jousei_service::{Service, Settings};
use jousei_store::commerce::{Contract, NewPayment, NewReceipt, ReceiptLine};
use jousei_store::patient::PatientSearch;
use jousei_store::{Actor, DynStore, Ts};
use uuid::Uuid;

use crate::demo_patients::DemoPatients;
use crate::demo_patients_treated as treated;

/// The clinic's registration number (fictitious: `T` and 13 digits).
pub const REGISTRATION_NUMBER: &str = "T5010405012345";

/// (code, ja, en, kind, route, sessions, period months, price, usual
/// course, main risks).
type Item = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    Option<u32>,
    &'static str,
    &'static str,
    &'static str,
);

const IV_RISKS: &str = "穿刺部の痛み・内出血、血管迷走神経反射（気分不良・血圧低下）、一過性の発熱・倦怠感、まれにアレルギー反応（発疹・呼吸苦）。公的医療保険の対象外の自由診療です。感じ方には個人差があります。";

/// The price list of the Ginza clinic (tax included, 10%).
pub const PRICE_ITEMS: &[Item] = &[
    (
        "CM-IV-1",
        "幹細胞培養上清液 点滴（1回）",
        "Conditioned medium IV drip (single session)",
        "single",
        "iv_drip",
        1,
        None,
        "55000",
        "1回（約60分）。継続する場合は2〜4週間ごとに5回程度が一般的ですが、回数と間隔は診察のうえ医師と相談して決めます。",
        IV_RISKS,
    ),
    (
        "CM-IV-5",
        "幹細胞培養上清液 点滴 5回コース（6か月）",
        "Conditioned medium IV drip, 5-session package (6 months)",
        "package",
        "iv_drip",
        5,
        Some(6),
        "220000",
        "2〜4週間ごとに5回、6か月以内に受けていただくコースです。回数と間隔は毎回の診察で医師が判断します。",
        IV_RISKS,
    ),
    (
        "CM-SKIN-5",
        "幹細胞培養上清液 肌注射 5回コース（6か月）",
        "Conditioned medium skin injection, 5-session package (6 months)",
        "package",
        "skin_injection",
        5,
        Some(6),
        "110000",
        "4週間ごとに5回、6か月以内に受けていただくコースです。注射部位と量は毎回の診察で医師が決めます。",
        "注射部位の痛み・赤み・腫れ・内出血（数日〜2週間程度）、表面麻酔によるかぶれ、まれに感染やしこり、ごくまれにアレルギー反応。感じ方には個人差があります。",
    ),
    (
        "CM-IV-M",
        "幹細胞培養上清液 点滴 月額プラン",
        "Conditioned medium IV drip, monthly plan",
        "monthly",
        "iv_drip",
        1,
        Some(1),
        "44000",
        "毎月1回の点滴（約60分）。期間の定めはなく、継続するかどうかは診察のうえ医師と相談して決めます。",
        IV_RISKS,
    ),
    (
        "CM-KNEE-3",
        "幹細胞培養上清液 膝関節注射 3回コース",
        "Conditioned medium knee joint injection, 3-session course",
        "package",
        "knee_joint_injection",
        3,
        Some(3),
        "165000",
        "2週間ごとに3回、3か月以内に受けていただくコースです。毎回、診察と超音波で膝の状態を確認してから注射します。",
        "注射部位の痛み・内出血・腫れ、関節内の一時的な腫れや熱感、まれに関節内感染、ごくまれにアレルギー反応。当日の入浴は控えてください。感じ方には個人差があります。",
    ),
];

fn api(what: &'static str) -> impl FnOnce(ServiceError) -> anyhow::Error {
    move |e| {
        let subs: Vec<&str> = e.errors.iter().map(|s| s.code).collect();
        anyhow::anyhow!("demo commerce, {what}: {} {:?} {subs:?}", e.code, e.field)
    }
}

fn add_days(d: Date, n: i64) -> anyhow::Result<Date> {
    Ok(d.checked_add(Span::new().try_days(n)?)?)
}

/// A principal for the demo user `user` in the clinic, as if signed in.
async fn principal(
    store: &DynStore,
    clinic_code: &str,
    user: Uuid,
    role: jousei_core::role::Role,
) -> anyhow::Result<Principal> {
    let user = store.user_by_id(user).await?.context("demo user missing")?;
    let clinic = store
        .clinic_by_code(clinic_code)
        .await?
        .context("demo clinic missing")?;
    let grants = store.grants_of_user(user.id).await?;
    Ok(Principal {
        user,
        clinic,
        role,
        grants,
        via: Via::Token { id: Uuid::nil() },
    })
}

struct Seeder<'a> {
    store: &'a DynStore,
    state: Service,
    admin: Principal,
    coordinator: Principal,
    clinic: Uuid,
    tz: TimeZone,
    today: Date,
}

impl Seeder<'_> {
    fn at(&self, d: Date, hour: i8) -> anyhow::Result<Ts> {
        let t: Timestamp = d
            .to_datetime(Time::constant(hour, 0, 0, 0))
            .to_zoned(self.tz.clone())?
            .timestamp();
        Ok(Ts::from(t))
    }

    fn actor(&self) -> Actor {
        self.coordinator.actor()
    }

    /// The patient with this phone number and their one plan.
    async fn patient_plan(&self, phone: &str) -> anyhow::Result<(Uuid, Uuid, Date)> {
        let found = self
            .store
            .search_patients(
                self.clinic,
                &PatientSearch {
                    phone: Some(phone.replace('-', "")),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await?;
        let [patient] = found.as_slice() else {
            bail!("demo commerce: one patient with phone {phone} expected");
        };
        self.plan_of(patient.id).await
    }

    async fn plan_of(&self, patient: Uuid) -> anyhow::Result<(Uuid, Uuid, Date)> {
        let plans = self.store.plans_of_patient(self.clinic, patient).await?;
        let [plan] = plans.as_slice() else {
            bail!("demo commerce: one plan expected for patient {patient}");
        };
        Ok((patient, plan.id, plan.facts.start_date))
    }

    async fn contract(
        &self,
        (patient, plan, starts_on): (Uuid, Uuid, Date),
        (item, quantity): (&PriceItemView, u32),
        payment_plan: &str,
        purpose: &str,
    ) -> anyhow::Result<ContractView> {
        commerce_ops::create_contract(
            &self.state,
            &self.coordinator,
            &ContractIn {
                patient_id: patient.to_string(),
                plan_id: Some(plan.to_string()),
                lines: vec![LineIn {
                    price_item_id: item.item.id.to_string(),
                    quantity,
                }],
                starts_on: starts_on.to_string(),
                payment_plan: payment_plan.into(),
                purpose: purpose.into(),
                method: "drug".into(),
                terms: None,
            },
        )
        .await
        .map_err(api("contract"))
    }

    /// The summary and the contract document, rendered from the contract
    /// and kept, both handed over on paper on `received_on`.
    async fn documents(&self, contract: Uuid, received_on: Date) -> anyhow::Result<()> {
        for kind in ["summary", "contract"] {
            let doc = commerce_ops::make_document(
                &self.state,
                &self.coordinator,
                contract,
                &DocumentIn { kind: kind.into() },
            )
            .await
            .map_err(api("document"))?;
            self.store
                .hand_over_document(
                    &self.actor(),
                    self.clinic,
                    doc.id,
                    "paper",
                    received_on,
                    self.coordinator.user.id,
                )
                .await?;
        }
        Ok(())
    }

    /// A payment on `day` and its receipt (one line: the contract has one
    /// tax rate), as `commerce_ops::pay` issues it.
    async fn pay(
        &self,
        c: &Contract,
        amount: Yen,
        method: &str,
        note: Option<&str>,
        day: Date,
    ) -> anyhow::Result<()> {
        if c.paid + amount > c.total {
            bail!("demo commerce: payment above the balance of {}", c.number);
        }
        let line = c.lines.first().context("demo contract without lines")?;
        let line = ReceiptLine {
            description: format!("{}（契約 {}）", line.name_ja, c.number),
            amount,
            tax_rate: line.tax_rate,
        };
        self.store
            .record_payment_with_receipt(
                &self.actor(),
                self.clinic,
                c.id,
                &NewPayment {
                    amount,
                    method: method.into(),
                    note: note.map(str::to_string),
                    at: self.at(day, 11)?,
                },
                &new_receipt(c, line)?,
            )
            .await?;
        Ok(())
    }

    /// A receipt for `c` without a payment (what a cancellation keeps).
    async fn receipt(&self, c: &Contract, line: ReceiptLine) -> anyhow::Result<()> {
        self.store
            .issue_receipt(&self.actor(), self.clinic, &new_receipt(c, line)?)
            .await?;
        Ok(())
    }

    async fn reload(&self, id: Uuid) -> anyhow::Result<Contract> {
        self.store
            .contract(self.clinic, id)
            .await?
            .context("demo contract missing")
    }
}

/// A receipt of one line for `c`, its tax computed once.
fn new_receipt(c: &Contract, line: ReceiptLine) -> anyhow::Result<NewReceipt> {
    let t = tax::receipt_tax([(line.tax_rate, line.amount)])
        .map_err(|e| anyhow::anyhow!("demo receipt: {}", e.code))?;
    Ok(NewReceipt {
        contract_id: Some(c.id),
        payment_id: None,
        lines: vec![line],
        tax: serde_json::to_value(&t)?,
        total: t.total,
        reissue_of: None,
        reverses: None,
    })
}

/// Seeds the commercial data of the Ginza clinic (`clinic`, zone
/// `time_zone`) as of `now`. `logins` maps demo logins to user ids.
pub async fn seed(
    store: &DynStore,
    clinic: Uuid,
    time_zone: &str,
    logins: &std::collections::HashMap<&str, Uuid>,
    patients: &DemoPatients,
    now: Timestamp,
) -> anyhow::Result<()> {
    use jousei_core::role::Role;
    let (Some(admin), Some(coordinator)) = (logins.get("admin"), logins.get("co.yamamoto")) else {
        bail!("demo users missing");
    };
    let tz = TimeZone::get(time_zone)?;
    let s = Seeder {
        store,
        state: Service::new(
            store.clone(),
            Settings::default(),
            std::sync::Arc::new(jousei_server::i18n::I18n::load()?),
        ),
        admin: principal(store, "ginza", *admin, Role::Admin).await?,
        coordinator: principal(store, "ginza", *coordinator, Role::Coordinator).await?,
        clinic,
        today: now.to_zoned(tz.clone()).date(),
        tz,
    };
    if s.admin.clinic.id != clinic {
        bail!("demo commerce: the admin's clinic is not Ginza");
    }

    // The business profile (what documents and receipts print).
    commerce_ops::set_profile(
        &s.state,
        &s.admin,
        &ProfileIn {
            legal_name: "医療法人社団 銀座再生会".into(),
            address: "東京都中央区銀座一丁目2番3号 銀座リジェネビル5階".into(),
            phone: "03-1234-5678".into(),
            representative: "理事長 佐藤 直子".into(),
            registration_number: Some(REGISTRATION_NUMBER.into()),
            advance_payment_protection:
                "講じていません（前受金は契約ごとに管理し、解約時は速やかに返金します）".into(),
        },
    )
    .await
    .map_err(api("profile"))?;

    // The price list.
    let mut items = Vec::new();
    for (code, ja, en, kind, route, sessions, period, price, course, risks) in PRICE_ITEMS {
        let item = commerce_ops::create_price_item(
            &s.state,
            &s.admin,
            &PriceItemIn {
                code: (*code).into(),
                name_ja: (*ja).into(),
                name_en: (*en).into(),
                kind: (*kind).into(),
                product_id: None,
                route: Some((*route).into()),
                sessions: *sessions,
                period_months: *period,
                price: (*price).into(),
                tax_rate: "standard".into(),
                usual_course: (*course).into(),
                main_risks: (*risks).into(),
            },
        )
        .await
        .map_err(api("price item"))?;
        items.push(item);
    }
    let item = |code: &str| {
        items
            .iter()
            .find(|i| i.item.facts.code == code)
            .with_context(|| format!("demo price item {code} missing"))
    };
    let iv5 = item("CM-IV-5")?;
    let knee3 = item("CM-KNEE-3")?;

    // 松本 大輔: the 5-session IV package bound to his plan (its sessions
    // used are his doses under the plan), concluded at the consultation a
    // week before the first session, paid in two instalments.
    let plan = s.patient_plan(treated::MATSUMOTO.phone).await?;
    let c = s.contract(plan, (iv5, 1), "instalments", "unclear").await?;
    let signed = add_days(plan.2, -7)?;
    s.documents(c.contract.id, signed).await?;
    let c = s.reload(c.contract.id).await?;
    s.pay(&c, 110_000, "card", Some("分割1回目（契約時）"), signed)
        .await?;
    let c = s.reload(c.id).await?;
    let second = add_days(plan.2, 30)?.min(s.today);
    s.pay(&c, 110_000, "transfer", Some("分割2回目"), second)
        .await?;

    // 井上 美穂: the knee course, for a recorded medical indication: not
    // covered (no documents or cooling-off required); paid in full in cash
    // on the first session's day.
    let plan = s.patient_plan(treated::INOUE.phone).await?;
    let c = s.contract(plan, (knee3, 1), "lump_sum", "medical").await?;
    s.pay(&c.contract, 165_000, "cash", None, plan.2.min(s.today))
        .await?;

    // 木村 真理子: the IV package, concluded a week before her first
    // session and paid by card; after the transient fever she cancelled it
    // (after the cooling-off, one session given).
    let plan = s.patient_plan(treated::KIMURA.phone).await?;
    let c = s.contract(plan, (iv5, 1), "lump_sum", "unclear").await?;
    let signed = add_days(plan.2, -7)?;
    s.documents(c.contract.id, signed).await?;
    let kimura = s.reload(c.contract.id).await?;
    s.pay(&kimura, 220_000, "card", None, signed).await?;

    // 山田 花子: the IV package for her plan starting in about ten days,
    // the contract document handed over on paper three days ago: within
    // the cooling-off. Paid by card on that day.
    let plan = s.plan_of(patients.id("山田 花子")?).await?;
    let c = s.contract(plan, (iv5, 1), "lump_sum", "unclear").await?;
    let received = add_days(s.today, -3)?;
    s.documents(c.contract.id, received).await?;
    s.pay(&c.contract, 220_000, "card", None, received).await?;

    // 清水 隆: six months of the monthly IV plan (¥44,000 × 6 =
    // ¥264,000 over six months: covered, issue 16), concluded a week before
    // it started two months ago, the documents handed over on paper that
    // day, the first two months paid by card.
    let monthly = item("CM-IV-M")?;
    let (patient, plan, _) = s.patient_plan(treated::SHIMIZU.phone).await?;
    let starts_on = add_days(s.today, -60)?;
    let c = s
        .contract(
            (patient, plan, starts_on),
            (monthly, 6),
            "monthly",
            "unclear",
        )
        .await?;
    let signed = add_days(starts_on, -7)?;
    s.documents(c.contract.id, signed).await?;
    for (n, day) in [(1, starts_on), (2, add_days(starts_on, 30)?)] {
        let c = s.reload(c.contract.id).await?;
        let note = format!("月額プラン {n}か月目");
        s.pay(&c, 44_000, "card", Some(&note), day).await?;
    }

    // Kimura goes on with her course session by session: before the
    // package is cancelled she takes a single-session contract on the same
    // plan, so cancelling the package leaves her booked sessions standing
    // (a cancellation cancels the contract's future appointments unless
    // another active contract covers the plan: issue 16, error 5).
    let single = item("CM-IV-1")?;
    let (patient, plan, _) = s.patient_plan(treated::KIMURA.phone).await?;
    s.contract((patient, plan, s.today), (single, 1), "lump_sum", "unclear")
        .await?;

    // Kimura's cancellation, noticed today: the quote as the server
    // computes it, the refund, her card receipt reversed, and a receipt
    // for what the clinic keeps.
    let c = s.reload(kimura.id).await?;
    let notice = s.today;
    let received = c
        .documents
        .iter()
        .find(|d| d.kind == "contract")
        .and_then(|d| d.received_on);
    let q = cancellation::quote(&CancellationFacts {
        covered: c.covered,
        total: c.total,
        sessions: c.sessions.max(1),
        used: c.sessions_used.min(c.sessions),
        contracted_on: None,
        document_received: received.filter(|r| *r <= notice),
        notice,
        paid: Some(c.paid.max(0)),
        terms: None,
    })
    .map_err(|e| anyhow::anyhow!("demo cancellation quote: {e:?}"))?;
    let refund = q.refund.unwrap_or(0);
    let c = s
        .store
        .cancel_contract(
            &s.actor(),
            clinic,
            c.id,
            notice,
            &serde_json::to_value(&q)?,
            refund,
            "card",
        )
        .await?;
    let receipts = store.receipts_of_contract(clinic, c.id).await?;
    let [paid] = receipts.as_slice() else {
        bail!("demo commerce: one receipt expected for {}", c.number);
    };
    commerce_ops::reissue_or_reverse(&s.state, &s.coordinator, paid.id, true)
        .await
        .map_err(api("reversal"))?;
    if c.paid > 0 {
        let line = c.lines.first().context("demo contract without lines")?;
        s.receipt(
            &c,
            ReceiptLine {
                description: format!("{}（契約 {}・中途解約の精算）", line.name_ja, c.number),
                amount: c.paid,
                tax_rate: line.tax_rate,
            },
        )
        .await?;
    }
    Ok(())
}
