//! The HTTP JSON API (documented in `docs/relayer.md`):
//!
//! | route | token | answer |
//! |---|---|---|
//! | `POST /jobs` | required | 202 + job (new), 200 + job (already known), 400 (names the field), 401 (no or wrong token), 403 (a contract or method the relayer does not call), 413 (body too large), 422 (proof does not verify), 429 (token's budget spent, or queue full), 503 |
//! | `GET /jobs/{id}` | required unless [`ReadAccess::Open`] | 200 + job, 400, 401, 404 |
//! | `GET /jobs?state=&after=&limit=` | as above | 200 + `{"jobs": [...], "next_after": seq}`, 401 |
//! | `GET /health` | open | 200 (`ok`) or 503 (`starting`, `degraded`, `fatal`) + report |
//! | `GET /metrics` | open | Prometheus text |
//!
//! Errors are `{"error": "...", "field": "..."}` (`field` when one is to blame). The token is
//! checked before the body is read.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use alloy::primitives::B256;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{ApiAccess, ApiTokens, AuthError, Budgets, ReadAccess};
use crate::job::JobState;
use crate::service::{Caller, Relayer, RelayerError, SubmitError};

/// Limits of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest `POST /jobs` body; larger gets 413. Default 256 KiB (a proof is a few KiB).
    pub max_body_bytes: usize,
    /// Time allowed to receive a body; slower gets 408. Default 30 s.
    pub body_timeout: Duration,
    /// Largest `limit` of `GET /jobs`. Default 1000.
    pub max_list: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            body_timeout: Duration::from_secs(30),
            max_list: 1000,
        }
    }
}

/// A running HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpServer {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
}

pub(crate) struct Spawned {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

#[derive(Debug)]
struct Access {
    tokens: ApiTokens,
    reads: ReadAccess,
    budgets: Budgets,
}

#[derive(Clone)]
struct App {
    relayer: Relayer,
    limits: HttpLimits,
    access: std::sync::Arc<Access>,
}

const REALM: &str = "Bearer realm=\"zkinfer-relayer\"";

/// Why a request is not authenticated (HTTP 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denied {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`.
    NotBearer,
    /// A token that is none of the configured ones.
    Invalid,
}

impl Denied {
    fn response(self) -> Response {
        let (message, challenge) = match self {
            Denied::Missing => ("missing API token: send Authorization: Bearer <token> (the relayer's --api-token-file)", REALM.to_string()),
            Denied::NotBearer => ("the Authorization header must be 'Bearer <token>'", REALM.to_string()),
            Denied::Invalid => ("invalid API token", format!("{REALM}, error=\"invalid_token\"")),
        };
        let mut r = error(StatusCode::UNAUTHORIZED, message, Some("authorization"));
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    }
}

/// The index of the token `headers` carry.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<usize, Denied> {
    let value = headers.get(header::AUTHORIZATION).ok_or(Denied::Missing)?;
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or(Denied::NotBearer)?;
    app.access.tokens.check(presented).ok_or(Denied::Invalid)
}

/// [`authenticate`] for reads, unless they are open.
fn authenticate_read(app: &App, headers: &HeaderMap) -> Result<(), Denied> {
    match app.access.reads {
        ReadAccess::Open => Ok(()),
        ReadAccess::Token => authenticate(app, headers).map(|_| ()),
    }
}

fn error(status: StatusCode, message: impl Into<String>, field: Option<&str>) -> Response {
    let mut body = json!({ "error": message.into() });
    if let Some(f) = field {
        body["field"] = json!(f);
    }
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| format!("{{\"error\":\"serialising: {e}\"}}"));
    let mut r = (status, text).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn internal(e: RelayerError) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), None)
}

pub(crate) async fn serve(
    relayer: Relayer,
    listen: SocketAddr,
    limits: HttpLimits,
    access: ApiAccess,
    mut shutdown: watch::Receiver<bool>,
) -> Result<Spawned, RelayerError> {
    let budgets = Budgets::new(access.tokens.len(), access.jobs_per_minute).map_err(|e: AuthError| RelayerError::Config(e.to_string()))?;
    let access = std::sync::Arc::new(Access { tokens: access.tokens, reads: access.reads, budgets });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| RelayerError::Listen { addr: listen, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| RelayerError::Listen { addr: listen, source })?;
    let app = Router::new()
        .route("/jobs", post(post_job).get(list_jobs))
        .route("/jobs/{id}", get(get_job))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(App { relayer, limits, access });
    let task = tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        let _ = axum::serve(listener, app).with_graceful_shutdown(stop).await;
    });
    Ok(Spawned { addr, task })
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route (POST /jobs, GET /jobs, GET /jobs/{id}, GET /health, GET /metrics)", None)
}

/// An answer sent before the request body was read to its end: the connection carries unread
/// bytes and cannot serve another request, so say `Connection: close`. Without it a client may
/// pool the connection and lose its next request when the server closes it (the flaky
/// `error sending request` after a 413 in the load test).
fn body_unread(mut r: Response) -> Response {
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn too_large(app: &App) -> Response {
    app.relayer.metrics().submission("too_large");
    body_unread(error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body exceeds {} bytes", app.limits.max_body_bytes),
        Some("body"),
    ))
}

async fn post_job(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let token = match authenticate(&app, &headers) {
        Ok(i) => i,
        Err(d) => {
            app.relayer.metrics().submission("unauthorized");
            return body_unread(d.response());
        }
    };
    let max = app.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(&app);
    }
    let bytes = match tokio::time::timeout(app.limits.body_timeout, axum::body::to_bytes(body, max)).await {
        Err(_) => {
            return body_unread(error(
                StatusCode::REQUEST_TIMEOUT,
                format!("body not received within {:?}", app.limits.body_timeout),
                Some("body"),
            ))
        }
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.downcast_ref::<http_body_util::LengthLimitError>().is_some())
                || e.to_string().contains("length limit");
            if over {
                return too_large(&app);
            }
            return body_unread(error(StatusCode::BAD_REQUEST, format!("reading the body: {e}"), Some("body")));
        }
        Ok(Ok(b)) => b,
    };
    let caller = Caller { name: app.access.tokens.name(token), budget: &app.access.budgets, index: token };
    match app.relayer.submit_json_as(&bytes, Some(&caller)).await {
        Ok(s) => {
            let status = if s.created { StatusCode::ACCEPTED } else { StatusCode::OK };
            json_response(status, &s.job)
        }
        Err(SubmitError::Invalid(e)) => error(StatusCode::BAD_REQUEST, e.to_string(), Some(&e.field)),
        Err(SubmitError::Forbidden(e)) => error(StatusCode::FORBIDDEN, e.to_string(), Some(&e.field)),
        Err(SubmitError::ProofRejected(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string(), Some("proof")),
        Err(e @ SubmitError::RateLimited { retry_after, .. }) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, e.to_string(), None);
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(e @ SubmitError::QueueFull { .. }) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, e.to_string(), None);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Err(e @ SubmitError::Unavailable(_)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), None),
    }
}

async fn get_job(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(d) = authenticate_read(&app, &headers) {
        return d.response();
    }
    let Ok(id) = id.parse::<B256>() else {
        return error(StatusCode::BAD_REQUEST, format!("{id:?} is not a job id (0x + 64 hex digits)"), Some("id"));
    };
    match app.relayer.job(id).await {
        Ok(Some(job)) => json_response(StatusCode::OK, &job),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no job {id}"), Some("id")),
        Err(e) => internal(e),
    }
}

async fn list_jobs(State(app): State<App>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(d) = authenticate_read(&app, &headers) {
        return d.response();
    }
    if let Some(k) = q.keys().find(|k| !matches!(k.as_str(), "state" | "after" | "limit")) {
        return error(StatusCode::BAD_REQUEST, format!("unknown parameter {k:?} (state, after, limit)"), Some(k));
    }
    let state = match q.get("state").map(|s| s.parse::<JobState>()).transpose() {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string(), Some("state")),
    };
    let num = |name: &str, default: u64| -> Result<u64, String> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().map_err(|_| format!("{name}={v:?} is not a non-negative integer")),
        }
    };
    let after = match num("after", 0) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, m, Some("after")),
    };
    let limit = match num("limit", 100) {
        Ok(v) if (1..=app.limits.max_list).contains(&v) => v,
        Ok(v) => {
            return error(StatusCode::BAD_REQUEST, format!("limit={v} is outside 1..={}", app.limits.max_list), Some("limit"))
        }
        Err(m) => return error(StatusCode::BAD_REQUEST, m, Some("limit")),
    };
    match app.relayer.jobs(state, after, limit).await {
        Ok(jobs) => {
            let next_after = if jobs.len() as u64 == limit { jobs.last().map(|j| j.seq) } else { None };
            json_response(StatusCode::OK, &json!({ "jobs": jobs, "next_after": next_after }))
        }
        Err(e) => internal(e),
    }
}

async fn health(State(app): State<App>) -> Response {
    let report = app.relayer.health().await;
    let status = if report.status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    json_response(status, &report)
}

async fn metrics(State(app): State<App>) -> Response {
    match app.relayer.metrics_text().await {
        Ok(text) => {
            let mut r = (StatusCode::OK, text).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            r
        }
        Err(e) => internal(e),
    }
}
