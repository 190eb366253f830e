//! The implementation of [`crate::patient::PatientStore`], written once and
//! expanded for each backend (see `imp.rs` for the approach).

use jousei_core::locale::Locale;
use jousei_core::patient::consent::ConsentState;
use jousei_core::patient::registry::DataConsentMethod;
use jousei_core::patient::screening::{Decision, DecisionFacts};
use uuid::Uuid;

use crate::patient::{
    AnswerSource, Consent, ConsentTemplate, DataConsent, Patient, QuestionnaireResponse,
    RecordedDecision, Screening,
};
use crate::{StoreError, Ts};

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The top-level fields whose values differ (for the audit entry of a
/// correction: which parts changed, not the sensitive values themselves).
pub(crate) fn changed_fields<T: serde::Serialize>(old: &T, new: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    b.iter()
        .filter(|(k, v)| a.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

pub(crate) const PATIENT_SELECT: &str = "SELECT p.id, p.clinic_id, p.number, p.current_version, v.facts, p.data_consent_method, p.data_consent_at, p.data_consent_by, p.created_at FROM patients p JOIN patient_versions v ON v.patient_id = p.id AND v.version = p.current_version";

#[derive(sqlx::FromRow)]
pub(crate) struct PatientRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub number: String,
    pub current_version: i64,
    pub facts: String,
    pub data_consent_method: String,
    pub data_consent_at: Ts,
    pub data_consent_by: Option<Uuid>,
    pub created_at: Ts,
}

impl TryFrom<PatientRow> for Patient {
    type Error = StoreError;
    fn try_from(r: PatientRow) -> Result<Self, StoreError> {
        Ok(Patient {
            id: r.id,
            clinic_id: r.clinic_id,
            number: r.number,
            version: r.current_version,
            facts: json(&r.facts)?,
            data_consent: DataConsent {
                method: DataConsentMethod::parse(&r.data_consent_method).ok_or_else(|| {
                    StoreError::Corrupt(format!("data consent {}", r.data_consent_method))
                })?,
                at: r.data_consent_at,
                recorded_by: r.data_consent_by,
            },
            created_at: r.created_at,
        })
    }
}

pub(crate) const RESPONSE_SELECT: &str = "SELECT r.id, r.patient_id, r.questionnaire_version, r.answers, r.fingerprint, r.source, r.entered_by, r.created_at, v.reviewed_by, u.login AS reviewed_by_login, v.reviewed_at, v.note AS review_note FROM questionnaire_responses r LEFT JOIN questionnaire_reviews v ON v.response_id = r.id LEFT JOIN users u ON u.id = v.reviewed_by";

#[derive(sqlx::FromRow)]
pub(crate) struct ResponseRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub questionnaire_version: i64,
    pub answers: String,
    pub fingerprint: String,
    pub source: String,
    pub entered_by: Option<Uuid>,
    pub created_at: Ts,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_by_login: Option<String>,
    pub reviewed_at: Option<Ts>,
    pub review_note: Option<String>,
}

impl TryFrom<ResponseRow> for QuestionnaireResponse {
    type Error = StoreError;
    fn try_from(r: ResponseRow) -> Result<Self, StoreError> {
        Ok(QuestionnaireResponse {
            id: r.id,
            patient_id: r.patient_id,
            questionnaire_version: u32::try_from(r.questionnaire_version)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            answers: json(&r.answers)?,
            fingerprint: r.fingerprint,
            source: AnswerSource::parse(&r.source)
                .ok_or_else(|| StoreError::Corrupt(format!("answer source {}", r.source)))?,
            entered_by: r.entered_by,
            created_at: r.created_at,
            review: match (r.reviewed_by, r.reviewed_at) {
                (Some(by), Some(at)) => Some(crate::patient::AnswersReview {
                    reviewed_by: by,
                    reviewed_by_login: r.reviewed_by_login.unwrap_or_default(),
                    reviewed_at: at,
                    note: r.review_note,
                }),
                _ => None,
            },
        })
    }
}

pub(crate) const SCREENING_SELECT: &str = "SELECT s.id, s.patient_id, s.response_id, s.answers_fingerprint, s.findings, s.created_by, s.created_at, s.decision, s.decision_reason, s.conditions, s.valid_days, s.decided_by, u.login AS decided_by_login, s.decided_at FROM screenings s LEFT JOIN users u ON u.id = s.decided_by";

#[derive(sqlx::FromRow)]
pub(crate) struct ScreeningRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub response_id: Uuid,
    pub answers_fingerprint: String,
    pub findings: String,
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub conditions: Option<String>,
    pub valid_days: Option<i64>,
    pub decided_by: Option<Uuid>,
    pub decided_by_login: Option<String>,
    pub decided_at: Option<Ts>,
}

impl TryFrom<ScreeningRow> for Screening {
    type Error = StoreError;
    fn try_from(r: ScreeningRow) -> Result<Self, StoreError> {
        let decision = match (r.decision, r.decision_reason, r.valid_days, r.decided_at) {
            (Some(d), Some(reason), Some(days), Some(at)) => Some(RecordedDecision {
                facts: DecisionFacts {
                    decision: Decision::parse(&d)
                        .ok_or_else(|| StoreError::Corrupt(format!("decision {d}")))?,
                    reason,
                    conditions: r.conditions,
                    valid_days: u32::try_from(days)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                },
                decided_by: r.decided_by,
                decided_by_login: r.decided_by_login,
                decided_at: at,
            }),
            (None, None, None, None) => None,
            _ => return Err(StoreError::Corrupt("partial screening decision".into())),
        };
        Ok(Screening {
            id: r.id,
            patient_id: r.patient_id,
            response_id: r.response_id,
            answers_fingerprint: r.answers_fingerprint,
            findings: json(&r.findings)?,
            created_by: r.created_by,
            created_at: r.created_at,
            decision,
        })
    }
}

pub(crate) const TEMPLATE_SELECT: &str = "SELECT t.id, t.clinic_id, t.code, v.version, t.current_version, v.body, v.sha256 FROM consent_templates t JOIN consent_template_versions v ON v.template_id = t.id";

#[derive(sqlx::FromRow)]
pub(crate) struct TemplateRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub version: i64,
    pub current_version: i64,
    pub body: String,
    pub sha256: String,
}

impl TryFrom<TemplateRow> for ConsentTemplate {
    type Error = StoreError;
    fn try_from(r: TemplateRow) -> Result<Self, StoreError> {
        Ok(ConsentTemplate {
            id: r.id,
            clinic_id: r.clinic_id,
            code: r.code,
            version: r.version,
            current_version: r.current_version,
            body: json(&r.body)?,
            sha256: r.sha256,
        })
    }
}

pub(crate) const CONSENT_SELECT: &str = "SELECT c.id, c.clinic_id, c.patient_id, c.template_id, t.code AS template_code, c.template_version, c.template_sha256, c.locale, c.product_ids, c.text_sha256, c.signature_kind, c.explained_by, u.login AS explained_by_login, c.witness_name, c.explained_at, c.first_explained_at, c.signed_at, c.recorded_by, c.same_day_reason, c.same_day_reason_by, c.same_day_reason_at, c.withdrawn_at, c.withdrawn_reason, c.withdrawn_by, cp.sha256 AS pdf_sha256 FROM consents c JOIN consent_templates t ON t.id = c.template_id JOIN users u ON u.id = c.explained_by LEFT JOIN consent_pdfs cp ON cp.consent_id = c.id";

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub template_id: Uuid,
    pub template_code: String,
    pub template_version: i64,
    pub template_sha256: String,
    pub locale: String,
    pub product_ids: String,
    pub text_sha256: String,
    pub signature_kind: String,
    pub explained_by: Uuid,
    pub explained_by_login: String,
    pub witness_name: Option<String>,
    pub explained_at: Ts,
    pub first_explained_at: Ts,
    pub signed_at: Ts,
    pub recorded_by: Option<Uuid>,
    pub same_day_reason: Option<String>,
    pub same_day_reason_by: Option<Uuid>,
    pub same_day_reason_at: Option<Ts>,
    pub withdrawn_at: Option<Ts>,
    pub withdrawn_reason: Option<String>,
    pub withdrawn_by: Option<Uuid>,
    pub pdf_sha256: Option<String>,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(r: ConsentRow) -> Result<Self, StoreError> {
        Ok(Consent {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            template_id: r.template_id,
            template_code: r.template_code,
            template_version: r.template_version,
            template_sha256: r.template_sha256,
            locale: Locale::parse(&r.locale)
                .ok_or_else(|| StoreError::Corrupt(format!("locale {}", r.locale)))?,
            product_ids: json(&r.product_ids)?,
            text_sha256: r.text_sha256,
            signature_kind: r.signature_kind,
            explained_by: r.explained_by,
            explained_by_login: r.explained_by_login,
            witness_name: r.witness_name,
            explained_at: r.explained_at,
            first_explained_at: r.first_explained_at,
            signed_at: r.signed_at,
            recorded_by: r.recorded_by,
            same_day_reason: r.same_day_reason,
            same_day_reason_by: r.same_day_reason_by,
            same_day_reason_at: r.same_day_reason_at,
            state: if r.withdrawn_at.is_some() {
                ConsentState::Withdrawn
            } else {
                ConsentState::Signed
            },
            withdrawn_at: r.withdrawn_at,
            withdrawn_reason: r.withdrawn_reason,
            withdrawn_by: r.withdrawn_by,
            pdf_sha256: r.pdf_sha256,
        })
    }
}

macro_rules! patient_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One row of `select` (which ends in `WHERE` conditions on
            /// `$1` = clinic and `$2` = id), converted; `None` when absent.
            async fn one_row<'e, E, R, T>(
                exec: E,
                select: String,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<T>>
            where
                E: sqlx::Executor<'e, Database = $db>,
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                T: TryFrom<R, Error = $crate::StoreError>,
            {
                let row: Option<R> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_optional(exec)
                    .await?;
                row.map(T::try_from).transpose()
            }

            async fn patient_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::patient::Patient> {
                use $crate::patient_imp::*;
                Self::one_row::<_, PatientRow, _>(&mut **tx, format!("{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"), clinic_id, id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn screening_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::patient::Screening> {
                use $crate::patient_imp::*;
                Self::one_row::<_, ScreeningRow, _>(&mut **tx, format!("{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.id = $2"), clinic_id, id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn consent_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::patient::Consent> {
                use $crate::patient_imp::*;
                Self::one_row::<_, ConsentRow, _>(&mut **tx, format!("{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.id = $2"), clinic_id, id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn template_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::patient::ConsentTemplate> {
                use $crate::patient_imp::*;
                Self::one_row::<_, TemplateRow, _>(&mut **tx, format!("{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND t.id = $2 AND v.version = t.current_version"), clinic_id, id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn insert_template_version(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                template_id: uuid::Uuid,
                version: i64,
                body: &jousei_core::patient::consent::TemplateBody,
                reason: Option<&str>,
            ) -> $crate::Result<String> {
                let sha = body.sha256();
                sqlx::query("INSERT INTO consent_template_versions (template_id, version, body, sha256, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(template_id)
                    .bind(version)
                    .bind($crate::patient_imp::to_json(body)?)
                    .bind(&sha)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut **tx)
                    .await?;
                Ok(sha)
            }
        }

        #[async_trait::async_trait]
        impl $crate::patient::PatientStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_patient(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::patient::NewPatient,
            ) -> $crate::Result<$crate::patient::Patient> {
                use $crate::patient_imp::*;
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let number = match &new.number {
                    Some(n) => n.clone(),
                    None => {
                        let (mut count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
                            .bind(clinic_id)
                            .fetch_one(&mut *tx)
                            .await?;
                        loop {
                            let candidate = jousei_core::patient::registry::next_patient_number(count);
                            let taken: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM patients WHERE clinic_id = $1 AND number = $2")
                                .bind(clinic_id)
                                .bind(&candidate)
                                .fetch_optional(&mut *tx)
                                .await?;
                            if taken.is_none() {
                                break candidate;
                            }
                            count += 1;
                        }
                    }
                };
                let res = sqlx::query("INSERT INTO patients (id, clinic_id, number, current_version, kana_key, birth_date, phone, data_consent_method, data_consent_at, data_consent_by, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $8)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(&number)
                    .bind(new.facts.kana.key())
                    .bind(jiff_sqlx::Date::from(new.facts.birth_date))
                    .bind(new.facts.phone.as_str())
                    .bind(new.data_consent_method.as_str())
                    .bind(now)
                    .bind(actor.user_id)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "patient_number_taken")?;
                sqlx::query("INSERT INTO patient_versions (patient_id, version, facts, reason, author_id, created_at) VALUES ($1, 1, $2, NULL, $3, $4)")
                    .bind(id)
                    .bind(to_json(&new.facts)?)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "patient_created", "patient", Some(id.to_string()),
                    serde_json::json!({"number": number, "version": 1, "data_consent_method": new.data_consent_method})).await?;
                tx.commit().await?;
                Ok($crate::patient::Patient {
                    id,
                    clinic_id,
                    number,
                    version: 1,
                    facts: new.facts.clone(),
                    data_consent: $crate::patient::DataConsent { method: new.data_consent_method, at: now, recorded_by: actor.user_id },
                    created_at: now,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_patient(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                facts: &jousei_core::patient::registry::PatientFacts,
                reason: &str,
            ) -> $crate::Result<$crate::patient::Patient> {
                use $crate::patient_imp::*;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let mut p = Self::patient_in(&mut tx, clinic_id, id).await?;
                let next = p.version + 1;
                sqlx::query("INSERT INTO patient_versions (patient_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(next)
                    .bind(to_json(facts)?)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE patients SET current_version = $2, kana_key = $3, birth_date = $4, phone = $5 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .bind(facts.kana.key())
                    .bind(jiff_sqlx::Date::from(facts.birth_date))
                    .bind(facts.phone.as_str())
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "patient_revised", "patient", Some(id.to_string()),
                    serde_json::json!({"version": next, "reason": reason, "changed": changed_fields(&p.facts, facts)})).await?;
                tx.commit().await?;
                p.version = next;
                p.facts = facts.clone();
                Ok(p)
            }

            #[tracing::instrument(skip_all)]
            async fn patient(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::patient::Patient>> {
                use $crate::patient_imp::*;
                Self::one_row::<_, PatientRow, _>(&self.pool, format!("{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"), clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn patients_by_ids(&self, clinic_id: uuid::Uuid, ids: &[uuid::Uuid]) -> $crate::Result<Vec<$crate::patient::Patient>> {
                use $crate::patient_imp::*;
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                    let sql = format!("{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id IN ({})", marks.join(", "));
                    let mut q = sqlx::query_as::<_, PatientRow>(sqlx::AssertSqlSafe(sql)).bind(clinic_id);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for row in q.fetch_all(&self.pool).await? {
                        out.push($crate::patient::Patient::try_from(row)?);
                    }
                }
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn patient_versions(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::PatientVersion>> {
                use $crate::patient_imp::*;
                let rows: Vec<(i64, String, Option<String>, Option<uuid::Uuid>, $crate::Ts)> = sqlx::query_as(
                    "SELECT v.version, v.facts, v.reason, v.author_id, v.created_at FROM patient_versions v JOIN patients p ON p.id = v.patient_id WHERE p.clinic_id = $1 AND p.id = $2 ORDER BY v.version DESC",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(version, facts, reason, author_id, created_at)| {
                        Ok($crate::patient::PatientVersion { version, facts: json(&facts)?, reason, author_id, created_at })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn search_patients(&self, clinic_id: uuid::Uuid, q: &$crate::patient::PatientSearch) -> $crate::Result<Vec<$crate::patient::Patient>> {
                use $crate::patient_imp::*;
                let kana = q.kana_prefix.as_ref().map(|k| format!("{}%", k.replace(['%', '_', '\\'], "")));
                let rows: Vec<PatientRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PATIENT_SELECT} WHERE p.clinic_id = $1 AND ($2 IS NULL OR p.kana_key LIKE $2) AND ($3 IS NULL OR p.number = $3) AND ($4 IS NULL OR p.phone = $4) AND ($5 IS NULL OR p.birth_date = $5) ORDER BY p.kana_key, p.number LIMIT $6"
                )))
                .bind(clinic_id)
                .bind(kana)
                .bind(q.number.as_deref())
                .bind(q.phone.as_deref())
                .bind(q.birth_date.map(jiff_sqlx::Date::from))
                .bind(q.limit.clamp(1, 500))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn duplicate_candidates(
                &self,
                clinic_id: uuid::Uuid,
                kana_key: &str,
                birth_date: jiff::civil::Date,
                phone: &str,
            ) -> $crate::Result<Vec<$crate::patient::Patient>> {
                use $crate::patient_imp::*;
                let rows: Vec<PatientRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PATIENT_SELECT} WHERE p.clinic_id = $1 AND ((p.kana_key = $2 AND p.birth_date = $3) OR p.phone = $4) ORDER BY p.number"
                )))
                .bind(clinic_id)
                .bind(kana_key)
                .bind(jiff_sqlx::Date::from(birth_date))
                .bind(phone)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn record_answers(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                patient_id: uuid::Uuid,
                new: &$crate::patient::NewAnswers,
            ) -> $crate::Result<($crate::patient::QuestionnaireResponse, $crate::patient::Screening)> {
                use $crate::patient_imp::*;
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::patient_in(&mut tx, clinic_id, patient_id).await?;
                let response_id = uuid::Uuid::now_v7();
                sqlx::query("INSERT INTO questionnaire_responses (id, clinic_id, patient_id, questionnaire_version, answers, fingerprint, source, entered_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(response_id)
                    .bind(clinic_id)
                    .bind(patient_id)
                    .bind(i64::from(new.questionnaire_version))
                    .bind(to_json(&new.answers)?)
                    .bind(&new.fingerprint)
                    .bind(new.source.as_str())
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let screening_id = uuid::Uuid::now_v7();
                sqlx::query("INSERT INTO screenings (id, clinic_id, patient_id, response_id, answers_fingerprint, findings, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(screening_id)
                    .bind(clinic_id)
                    .bind(patient_id)
                    .bind(response_id)
                    .bind(&new.fingerprint)
                    .bind(to_json(&new.findings)?)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let codes: Vec<&str> = new.findings.iter().map(|f| f.code.as_str()).collect();
                Self::append_audit(&mut tx, actor, Some(clinic_id), "questionnaire_answered", "patient", Some(patient_id.to_string()),
                    serde_json::json!({"part": "questionnaire", "response_id": response_id, "screening_id": screening_id, "questionnaire_version": new.questionnaire_version, "source": new.source, "findings": codes})).await?;
                tx.commit().await?;
                Ok((
                    $crate::patient::QuestionnaireResponse {
                        id: response_id,
                        patient_id,
                        questionnaire_version: new.questionnaire_version,
                        answers: new.answers.clone(),
                        fingerprint: new.fingerprint.clone(),
                        source: new.source,
                        entered_by: actor.user_id,
                        created_at: now,
                        review: None,
                    },
                    $crate::patient::Screening {
                        id: screening_id,
                        patient_id,
                        response_id,
                        answers_fingerprint: new.fingerprint.clone(),
                        findings: new.findings.clone(),
                        created_by: actor.user_id,
                        created_at: now,
                        decision: None,
                    },
                ))
            }

            #[tracing::instrument(skip_all)]
            async fn questionnaire_responses(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::QuestionnaireResponse>> {
                use $crate::patient_imp::*;
                let rows: Vec<ResponseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{RESPONSE_SELECT} WHERE r.clinic_id = $1 AND r.patient_id = $2 ORDER BY r.created_at DESC, r.id DESC"
                )))
                .bind(clinic_id)
                .bind(patient_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn screenings(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::Screening>> {
                use $crate::patient_imp::*;
                let rows: Vec<ScreeningRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.patient_id = $2 ORDER BY s.created_at DESC, s.id DESC"
                )))
                .bind(clinic_id)
                .bind(patient_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn screening(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::patient::Screening>> {
                use $crate::patient_imp::*;
                Self::one_row::<_, ScreeningRow, _>(&self.pool, format!("{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.id = $2"), clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn decide_screening(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                screening_id: uuid::Uuid,
                decision: &jousei_core::patient::screening::DecisionFacts,
            ) -> $crate::Result<$crate::patient::Screening> {
                use jousei_core::patient::screening::{ScreeningFacts, may_decide};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let s = Self::screening_in(&mut tx, clinic_id, screening_id).await?;
                let latest: Option<(String,)> = sqlx::query_as("SELECT fingerprint FROM questionnaire_responses WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1")
                    .bind(clinic_id)
                    .bind(s.patient_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let latest = latest.map(|(f,)| f).unwrap_or_default();
                let facts = ScreeningFacts {
                    answers_fingerprint: s.answers_fingerprint.clone(),
                    decided: s.decision.as_ref().map(|d| (d.facts.decision, d.decided_at.0, d.facts.valid_days)),
                };
                may_decide(&facts, &latest).map_err($crate::StoreError::Conflict)?;
                let now = $crate::Ts::now();
                sqlx::query("UPDATE screenings SET decision = $2, decision_reason = $3, conditions = $4, valid_days = $5, decided_by = $6, decided_at = $7 WHERE id = $1 AND decision IS NULL")
                    .bind(screening_id)
                    .bind(decision.decision.as_str())
                    .bind(&decision.reason)
                    .bind(&decision.conditions)
                    .bind(i64::from(decision.valid_days))
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "screening_decided", "patient", Some(s.patient_id.to_string()),
                    serde_json::json!({"part": "screening", "screening_id": screening_id, "decision": decision.decision, "valid_days": decision.valid_days})).await?;
                let s = Self::screening_in(&mut tx, clinic_id, screening_id).await?;
                tx.commit().await?;
                Ok(s)
            }

            #[tracing::instrument(skip_all)]
            async fn create_consent_template(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                code: &str,
                body: &jousei_core::patient::consent::TemplateBody,
            ) -> $crate::Result<$crate::patient::ConsentTemplate> {
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                let res = sqlx::query("INSERT INTO consent_templates (id, clinic_id, code, current_version, product_kind, route, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(code)
                    .bind(body.product_kind.as_str())
                    .bind(body.route.as_str())
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "consent_template_code_taken")?;
                let sha256 = Self::insert_template_version(&mut tx, actor, id, 1, body, None).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_template_created", "consent_template", Some(id.to_string()),
                    serde_json::json!({"code": code, "version": 1, "sha256": sha256, "body": body})).await?;
                tx.commit().await?;
                Ok($crate::patient::ConsentTemplate { id, clinic_id, code: code.to_string(), version: 1, current_version: 1, body: body.clone(), sha256 })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_consent_template(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                body: &jousei_core::patient::consent::TemplateBody,
                reason: &str,
            ) -> $crate::Result<$crate::patient::ConsentTemplate> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let cur = Self::template_in(&mut tx, clinic_id, id).await?;
                if cur.body.product_kind != body.product_kind || cur.body.route != body.route {
                    return Err($crate::StoreError::Conflict("consent_template_kind_immutable"));
                }
                let next = cur.current_version + 1;
                let sha256 = Self::insert_template_version(&mut tx, actor, id, next, body, Some(reason)).await?;
                sqlx::query("UPDATE consent_templates SET current_version = $2 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_template_revised", "consent_template", Some(id.to_string()),
                    serde_json::json!({"code": cur.code, "version": next, "reason": reason, "sha256": sha256, "body": body})).await?;
                tx.commit().await?;
                Ok($crate::patient::ConsentTemplate { id, clinic_id, code: cur.code, version: next, current_version: next, body: body.clone(), sha256 })
            }

            #[tracing::instrument(skip_all)]
            async fn consent_templates(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::ConsentTemplate>> {
                use $crate::patient_imp::*;
                let rows: Vec<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND v.version = t.current_version ORDER BY t.code"
                )))
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn consent_template(&self, clinic_id: uuid::Uuid, id: uuid::Uuid, version: Option<i64>) -> $crate::Result<Option<$crate::patient::ConsentTemplate>> {
                use $crate::patient_imp::*;
                let row: Option<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND t.id = $2 AND v.version = COALESCE($3, t.current_version)"
                )))
                .bind(clinic_id)
                .bind(id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn consent_template_versions(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::ConsentTemplateVersion>> {
                use $crate::patient_imp::*;
                let rows: Vec<(i64, String, String, Option<String>, Option<uuid::Uuid>, $crate::Ts)> = sqlx::query_as(
                    "SELECT v.version, v.body, v.sha256, v.reason, v.author_id, v.created_at FROM consent_template_versions v JOIN consent_templates t ON t.id = v.template_id WHERE t.clinic_id = $1 AND t.id = $2 ORDER BY v.version DESC",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(version, body, sha256, reason, author_id, created_at)| {
                        Ok($crate::patient::ConsentTemplateVersion { version, body: json(&body)?, sha256, reason, author_id, created_at })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn record_consent(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                patient_id: uuid::Uuid,
                new: &$crate::patient::NewConsent,
            ) -> $crate::Result<$crate::patient::Consent> {
                use $crate::patient_imp::*;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                Self::patient_in(&mut tx, clinic_id, patient_id).await?;
                let template = Self::template_in(&mut tx, clinic_id, new.template_id).await?;
                if template.current_version != new.template_version || template.sha256 != new.template_sha256 {
                    return Err($crate::StoreError::Conflict("consent_template_outdated"));
                }
                let same_day_at = new.same_day_reason.as_ref().map(|_| new.signed_at);
                let same_day_by = new.same_day_reason.as_ref().and(actor.user_id);
                sqlx::query("INSERT INTO consents (id, clinic_id, patient_id, template_id, template_version, template_sha256, locale, product_ids, text, text_sha256, signature_kind, signature, explained_by, witness_name, explained_at, first_explained_at, signed_at, recorded_by, same_day_reason, same_day_reason_by, same_day_reason_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(patient_id)
                    .bind(new.template_id)
                    .bind(new.template_version)
                    .bind(&new.template_sha256)
                    .bind(new.locale.as_str())
                    .bind(to_json(&new.product_ids)?)
                    .bind(&new.text)
                    .bind(&new.text_sha256)
                    .bind(new.signature.kind())
                    .bind(new.signature.bytes())
                    .bind(new.explained_by)
                    .bind(&new.witness_name)
                    .bind(new.explained_at)
                    .bind(new.first_explained_at)
                    .bind(new.signed_at)
                    .bind(actor.user_id)
                    .bind(&new.same_day_reason)
                    .bind(same_day_by)
                    .bind(same_day_at)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_signed", "patient", Some(patient_id.to_string()),
                    serde_json::json!({"part": "consent", "consent_id": id, "template": template.code, "template_version": new.template_version, "text_sha256": new.text_sha256, "explained_by": new.explained_by, "witness": new.witness_name.is_some(), "same_day_reason": new.same_day_reason.is_some()})).await?;
                let c = Self::consent_in(&mut tx, clinic_id, id).await?;
                tx.commit().await?;
                Ok(c)
            }

            #[tracing::instrument(skip_all)]
            async fn consents(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::patient::Consent>> {
                use $crate::patient_imp::*;
                let rows: Vec<ConsentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.patient_id = $2 ORDER BY c.signed_at DESC, c.id DESC"
                )))
                .bind(clinic_id)
                .bind(patient_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn consent(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::patient::Consent>> {
                use $crate::patient_imp::*;
                Self::one_row::<_, ConsentRow, _>(&self.pool, format!("{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.id = $2"), clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn consent_text(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT text FROM consents WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(t,)| t))
            }

            #[tracing::instrument(skip_all)]
            async fn consent_signature(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<jousei_core::patient::consent::Signature>> {
                let row: Option<(String, Vec<u8>)> = sqlx::query_as("SELECT signature_kind, signature FROM consents WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(kind, bytes)| {
                    jousei_core::patient::consent::Signature::from_stored(&kind, bytes)
                        .ok_or_else(|| $crate::StoreError::Corrupt(format!("signature kind {kind}")))
                })
                .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn review_answers(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                response_id: uuid::Uuid,
                note: Option<&str>,
            ) -> $crate::Result<$crate::patient::QuestionnaireResponse> {
                use $crate::patient_imp::*;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let q = format!("{RESPONSE_SELECT} WHERE r.clinic_id = $1 AND r.id = $2");
                let r = Self::one_row::<_, ResponseRow, $crate::patient::QuestionnaireResponse>(&mut *tx, q.clone(), clinic_id, response_id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                if r.review.is_some() {
                    return Err($crate::StoreError::Conflict("answers_already_reviewed"));
                }
                let Some(user_id) = actor.user_id else {
                    return Err($crate::StoreError::Conflict("answers_review_needs_staff"));
                };
                sqlx::query("INSERT INTO questionnaire_reviews (response_id, clinic_id, reviewed_by, reviewed_at, note) VALUES ($1, $2, $3, $4, $5)")
                    .bind(response_id)
                    .bind(clinic_id)
                    .bind(user_id)
                    .bind($crate::Ts::now())
                    .bind(note)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "answers_reviewed", "patient", Some(r.patient_id.to_string()),
                    serde_json::json!({"part": "answers", "response_id": response_id, "note": note})).await?;
                let r = Self::one_row::<_, ResponseRow, $crate::patient::QuestionnaireResponse>(&mut *tx, q, clinic_id, response_id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                tx.commit().await?;
                Ok(r)
            }

            #[tracing::instrument(skip_all)]
            async fn keep_consent_pdf(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                consent_id: uuid::Uuid,
                pdf: &[u8],
            ) -> $crate::Result<$crate::patient::ConsentPdf> {
                use sha2::Digest as _;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let c = Self::consent_in(&mut tx, clinic_id, consent_id).await?;
                let kept: Option<(String, Vec<u8>, $crate::Ts)> = sqlx::query_as("SELECT sha256, pdf, created_at FROM consent_pdfs WHERE clinic_id = $1 AND consent_id = $2")
                    .bind(clinic_id)
                    .bind(consent_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some((sha256, pdf, created_at)) = kept {
                    return Ok($crate::patient::ConsentPdf { consent_id, sha256, pdf, created_at });
                }
                let sha256 = hex::encode(sha2::Sha256::digest(pdf));
                let now = $crate::Ts::now();
                sqlx::query("INSERT INTO consent_pdfs (consent_id, clinic_id, sha256, pdf, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(consent_id)
                    .bind(clinic_id)
                    .bind(&sha256)
                    .bind(pdf)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_pdf_kept", "patient", Some(c.patient_id.to_string()),
                    serde_json::json!({"part": "consent", "consent_id": consent_id, "sha256": sha256, "bytes": pdf.len()})).await?;
                tx.commit().await?;
                Ok($crate::patient::ConsentPdf { consent_id, sha256, pdf: pdf.to_vec(), created_at: now })
            }

            #[tracing::instrument(skip_all)]
            async fn consent_pdf(&self, clinic_id: uuid::Uuid, consent_id: uuid::Uuid) -> $crate::Result<Option<$crate::patient::ConsentPdf>> {
                let row: Option<(String, Vec<u8>, $crate::Ts)> = sqlx::query_as("SELECT sha256, pdf, created_at FROM consent_pdfs WHERE clinic_id = $1 AND consent_id = $2")
                    .bind(clinic_id)
                    .bind(consent_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(sha256, pdf, created_at)| $crate::patient::ConsentPdf { consent_id, sha256, pdf, created_at }))
            }

            #[tracing::instrument(skip_all)]
            async fn first_explanation(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid, template_id: uuid::Uuid) -> $crate::Result<Option<$crate::Ts>> {
                let row: Option<($crate::Ts,)> = sqlx::query_as("SELECT first_explained_at FROM consents WHERE clinic_id = $1 AND patient_id = $2 AND template_id = $3 ORDER BY first_explained_at LIMIT 1")
                    .bind(clinic_id)
                    .bind(patient_id)
                    .bind(template_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(t,)| t))
            }

            #[tracing::instrument(skip_all)]
            async fn withdraw_consent(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                reason: &str,
            ) -> $crate::Result<$crate::patient::Consent> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let c = Self::consent_in(&mut tx, clinic_id, id).await?;
                if c.state == jousei_core::patient::consent::ConsentState::Withdrawn {
                    return Err($crate::StoreError::Conflict("consent_already_withdrawn"));
                }
                sqlx::query("UPDATE consents SET withdrawn_at = $2, withdrawn_reason = $3, withdrawn_by = $4 WHERE id = $1 AND withdrawn_at IS NULL")
                    .bind(id)
                    .bind($crate::Ts::now())
                    .bind(reason)
                    .bind(actor.user_id)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_withdrawn", "patient", Some(c.patient_id.to_string()),
                    serde_json::json!({"part": "consent", "consent_id": id, "reason": reason})).await?;
                let c = Self::consent_in(&mut tx, clinic_id, id).await?;
                tx.commit().await?;
                Ok(c)
            }

            #[tracing::instrument(skip_all)]
            async fn record_same_day_reason(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                reason: &str,
            ) -> $crate::Result<$crate::patient::Consent> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let c = Self::consent_in(&mut tx, clinic_id, id).await?;
                if c.state == jousei_core::patient::consent::ConsentState::Withdrawn {
                    return Err($crate::StoreError::Conflict("consent_withdrawn"));
                }
                if c.same_day_reason.is_some() {
                    return Err($crate::StoreError::Conflict("consent_same_day_reason_recorded"));
                }
                sqlx::query("UPDATE consents SET same_day_reason = $2, same_day_reason_by = $3, same_day_reason_at = $4 WHERE id = $1 AND same_day_reason IS NULL")
                    .bind(id)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_same_day_reason", "patient", Some(c.patient_id.to_string()),
                    serde_json::json!({"part": "consent", "consent_id": id, "reason": reason})).await?;
                let c = Self::consent_in(&mut tx, clinic_id, id).await?;
                tx.commit().await?;
                Ok(c)
            }
        }
    };
}

pub(crate) use patient_impl;
