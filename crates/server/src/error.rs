//! Errors as people and programs see them. The JSON API answers
//! `application/problem+json` (RFC 9457) with a stable snake_case `code`, a
//! localised `title` and `detail`, and the request id; internal details are
//! logged with that id and never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jousei_core::care::Finding;
use jousei_core::error::FieldError;
use jousei_core::locale::Locale;
pub use jousei_service::error::SubError;
use jousei_service::error::{ErrorKind, ServiceError};
use jousei_store::StoreError;
use serde::Serialize;

use crate::i18n::I18n;

/// An error with a status, a stable code and optionally the field concerned.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<&'static str>,
    /// Named arguments for the message.
    pub args: Vec<(&'static str, String)>,
    /// Logged, never shown.
    pub internal: Option<String>,
    /// Every individual problem when there are several (all fields of a
    /// form, all reasons a lot cannot be released).
    pub errors: Vec<SubError>,
}

/// A localised sub-error in problem+json.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemItem {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    pub detail: String,
    /// Further members for some problems (a refused dose: `finding`,
    /// `subject`, `params`, `override_index`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        ApiError {
            status,
            code,
            field: None,
            args: Vec::new(),
            internal: None,
            errors: Vec::new(),
        }
    }

    /// Several problems at once; the first one gives the main code unless
    /// `code` is given.
    pub fn many(status: StatusCode, code: &'static str, errors: Vec<SubError>) -> Self {
        let mut e = ApiError::new(status, code);
        e.errors = errors;
        e
    }

    /// All field errors of a form (422), headed by the first one.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let first = errors.first().cloned();
        let mut e = match first {
            Some(f) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, f.code).with_field(f.field),
            None => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        };
        e.errors = errors.into_iter().map(SubError::from).collect();
        e
    }

    /// Localised text of each sub-error.
    pub fn sub_details(&self, i18n: &I18n, locale: Locale) -> Vec<String> {
        self.errors
            .iter()
            .map(|s| sub_detail(s, i18n, locale))
            .collect()
    }
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    pub fn with_arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        let mut e = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
        e.internal = Some(msg.to_string());
        e
    }
    pub fn unauthenticated() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }
    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found")
    }

    /// The localised title (the message for the code).
    pub fn title(&self, i18n: &I18n, locale: Locale) -> String {
        let args: Vec<(&str, String)> = self.args.iter().map(|(k, v)| (*k, v.clone())).collect();
        i18n.t_args(locale, &format!("err-{}", self.code), &args)
    }

    /// The localised detail: the field's name and the message.
    pub fn detail(&self, i18n: &I18n, locale: Locale) -> String {
        let title = self.title(i18n, locale);
        match self.field {
            Some(f) => format!("{}: {title}", i18n.t(locale, &format!("field-{f}"))),
            None => title,
        }
    }

    /// Renders problem+json in `locale`.
    pub fn problem(&self, i18n: &I18n, locale: Locale, request_id: &str) -> Response {
        if let Some(internal) = &self.internal {
            tracing::error!(request_id, code = self.code, error = %internal, "request failed");
        }
        let body = Problem {
            r#type: format!("https://jousei.invalid/problems/{}", self.code),
            title: self.title(i18n, locale),
            status: self.status.as_u16(),
            detail: self.detail(i18n, locale),
            code: self.code,
            field: self.field,
            request_id: request_id.to_string(),
            errors: self
                .errors
                .iter()
                .map(|s| ProblemItem {
                    code: s.code,
                    field: s.field,
                    detail: sub_detail(s, i18n, locale),
                    data: s.data.clone(),
                })
                .collect(),
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(locale.as_str()),
        );
        resp
    }
}

fn sub_detail(s: &SubError, i18n: &I18n, locale: Locale) -> String {
    let mut args: Vec<(&str, String)> = s.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    if let Some(f) = &s.finding {
        args.push(("message", finding_message(i18n, locale, f)));
    }
    let msg = i18n.t_args(locale, &format!("err-{}", s.code), &args);
    match s.field {
        Some(f) => format!("{}: {msg}", i18n.t(locale, &format!("field-{f}"))),
        None => msg,
    }
}

/// The problem+json body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    pub r#type: String,
    /// Localised summary.
    pub title: String,
    pub status: u16,
    /// Localised explanation, naming the field when there is one.
    pub detail: String,
    /// Stable snake_case code, e.g. `password_too_short`.
    pub code: &'static str,
    /// The input field concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// Quote this when reporting a problem.
    pub request_id: String,
    /// Every problem when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code).with_field(e.field)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(code) => ApiError::new(StatusCode::CONFLICT, code),
            other => ApiError::internal(other),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(e)
    }
}

/// A request-scoped error that still needs its locale and request id: the
/// `problem` middleware (see `crate::app`) finishes it.
#[derive(Debug, Clone)]
pub struct PendingProblem(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The finishing middleware replaces this with a localised body.
        let mut resp = StatusCode::from_u16(self.status.as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
        resp.extensions_mut().insert(PendingProblem(self));
        resp
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError {
            status: status_of(e.kind),
            code: e.code,
            field: e.field,
            args: e.args,
            internal: e.internal,
            errors: e.errors,
        }
    }
}

/// The HTTP status of each kind of use-case error: the one place where
/// the two meet.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A finding's message: route, kind and screening-finding parameters are
/// shown in words.
pub fn finding_message(i18n: &I18n, locale: Locale, f: &Finding) -> String {
    let args: Vec<(&str, String)> = f
        .params
        .iter()
        .map(|(k, v)| {
            let shown = match k.as_str() {
                "route" | "plan_route" => i18n.t(locale, &format!("route-{v}")),
                "finding" => i18n.t(locale, &format!("pui-finding-{v}")),
                "kind" => i18n.t(locale, &format!("kind-{v}")),
                _ => v.clone(),
            };
            (k.as_str(), shown)
        })
        .collect();
    i18n.t_args(locale, &f.code.message_key(), &args)
}
