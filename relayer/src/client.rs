//! [`RelayerClient`]: the HTTP API from Rust (for a demo or a host talking to a relayer process).

use std::time::{Duration, Instant};

use alloy::primitives::B256;
use alloy::transports::http::reqwest;
use serde_json::Value;

use crate::auth::ApiToken;
use crate::job::{Job, JobRequest, JobState};
use crate::metrics::HealthReport;

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse.
    #[error("relayer URL {0:?} is not a valid http(s) URL")]
    BadUrl(String),
    /// The request could not be made or the answer not read.
    #[error("relayer at {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The relayer answered with an unexpected status or body.
    #[error("relayer answered {status}: {body}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// [`RelayerClient::wait_final`] gave up.
    #[error("job {id} is still {state} after {waited:?}")]
    Timeout {
        /// The job.
        id: B256,
        /// Its last state.
        state: JobState,
        /// How long it waited.
        waited: Duration,
    },
}

/// A raw API answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (`Value::Null` if not JSON).
    pub body: Value,
    /// `Retry-After` seconds (429).
    pub retry_after: Option<u64>,
}

impl ApiResponse {
    /// The job in a 200/202 answer.
    pub fn job(&self) -> Option<Job> {
        matches!(self.status, 200 | 202)
            .then(|| serde_json::from_value(self.body.clone()).ok())
            .flatten()
    }

    /// The `error` of an error answer.
    pub fn error(&self) -> Option<&str> {
        self.body.get("error").and_then(Value::as_str)
    }

    /// The `field` of an error answer.
    pub fn field(&self) -> Option<&str> {
        self.body.get("field").and_then(Value::as_str)
    }
}

/// A client of one relayer. Give it the API token ([`RelayerClient::with_token`]): without one
/// only `health` and `metrics` work (and reads, if the relayer opens them).
#[derive(Debug, Clone)]
pub struct RelayerClient {
    base: String,
    http: reqwest::Client,
    token: Option<ApiToken>,
}

impl RelayerClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080`), with a 30 s request timeout.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.parse::<reqwest::Url>().is_err() {
            return Err(ClientError::BadUrl(base_url.to_string()));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Http { url: base.clone(), reason: e.to_string() })?;
        Ok(Self { base, http, token: None })
    }

    /// Sends `token` as `Authorization: Bearer` with every request.
    pub fn with_token(mut self, token: ApiToken) -> Self {
        self.token = Some(token);
        self
    }

    fn authorized(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t.secret()),
            None => req,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<(u16, Option<u64>, Vec<u8>), ClientError> {
        let err = |e: reqwest::Error| ClientError::Http { url: url.to_string(), reason: e.to_string() };
        let resp = req.send().await.map_err(err)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let bytes = resp.bytes().await.map_err(err)?;
        Ok((status, retry_after, bytes.to_vec()))
    }

    /// A GET, sent once more after a transport error: a GET changes nothing, and a pooled
    /// connection the server has just closed fails the first attempt without reaching it.
    async fn get(&self, url: &str) -> Result<(u16, Option<u64>, Vec<u8>), ClientError> {
        match self.send(self.authorized(self.http.get(url)), url).await {
            Err(ClientError::Http { .. }) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                self.send(self.authorized(self.http.get(url)), url).await
            }
            r => r,
        }
    }

    async fn get_json(&self, path: &str) -> Result<ApiResponse, ClientError> {
        let url = format!("{}{path}", self.base);
        let (status, retry_after, bytes) = self.get(&url).await?;
        Ok(ApiResponse { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), retry_after })
    }

    /// `POST /jobs` with any body.
    pub async fn post_raw(&self, body: Vec<u8>) -> Result<ApiResponse, ClientError> {
        let url = format!("{}/jobs", self.base);
        let req = self.authorized(self.http.post(&url)).header("content-type", "application/json").body(body);
        let (status, retry_after, bytes) = self.send(req, &url).await?;
        Ok(ApiResponse { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), retry_after })
    }

    /// `POST /jobs` with a JSON job.
    pub async fn submit_value(&self, job: &Value) -> Result<ApiResponse, ClientError> {
        self.post_raw(job.to_string().into_bytes()).await
    }

    /// `POST /jobs`.
    pub async fn submit(&self, job: &JobRequest) -> Result<ApiResponse, ClientError> {
        self.submit_value(&job.to_json()).await
    }

    /// `GET /jobs/{id}`; `None` for 404.
    pub async fn job(&self, id: B256) -> Result<Option<Job>, ClientError> {
        let r = self.get_json(&format!("/jobs/{id}")).await?;
        match r.status {
            200 => serde_json::from_value(r.body.clone())
                .map(Some)
                .map_err(|e| ClientError::Api { status: 200, body: format!("{e}: {}", r.body) }),
            404 => Ok(None),
            s => Err(ClientError::Api { status: s, body: r.body.to_string() }),
        }
    }

    /// `GET /jobs?state=&after=&limit=`: a page and the cursor of the next one.
    pub async fn jobs(&self, state: Option<JobState>, after: u64, limit: u64) -> Result<(Vec<Job>, Option<u64>), ClientError> {
        let mut path = format!("/jobs?after={after}&limit={limit}");
        if let Some(s) = state {
            path.push_str(&format!("&state={s}"));
        }
        let r = self.get_json(&path).await?;
        if r.status != 200 {
            return Err(ClientError::Api { status: r.status, body: r.body.to_string() });
        }
        let jobs: Vec<Job> = serde_json::from_value(r.body["jobs"].clone())
            .map_err(|e| ClientError::Api { status: 200, body: format!("{e}: {}", r.body) })?;
        Ok((jobs, r.body["next_after"].as_u64()))
    }

    /// Every job (all pages), optionally of one state.
    pub async fn all_jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, ClientError> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let (page, next) = self.jobs(state, after, 1000).await?;
            out.extend(page);
            match next {
                Some(n) => after = n,
                None => return Ok(out),
            }
        }
    }

    /// `GET /health` (its body whatever the status).
    pub async fn health(&self) -> Result<HealthReport, ClientError> {
        let r = self.get_json("/health").await?;
        serde_json::from_value(r.body.clone()).map_err(|e| ClientError::Api { status: r.status, body: format!("{e}: {}", r.body) })
    }

    /// `GET /metrics`.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let url = format!("{}/metrics", self.base);
        let (status, _, bytes) = self.get(&url).await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status != 200 {
            return Err(ClientError::Api { status, body: text });
        }
        Ok(text)
    }

    /// Polls the job until it is confirmed or failed.
    pub async fn wait_final(&self, id: B256, timeout: Duration) -> Result<Job, ClientError> {
        let start = Instant::now();
        loop {
            let job = self.job(id).await?.ok_or_else(|| ClientError::Api { status: 404, body: format!("no job {id}") })?;
            if job.state.is_final() {
                return Ok(job);
            }
            if start.elapsed() >= timeout {
                return Err(ClientError::Timeout { id, state: job.state, waited: start.elapsed() });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
