//! Bounded retry with jittered exponential backoff, for the failures an eventually consistent
//! control plane produces on its own: IAM answers "Invalid principal in policy" or
//! `NoSuchEntity` for seconds after a provider or role is created, `ConcurrentModification`
//! when two writers touch one object, and throttles without publishing a rate (FIELD-NOTES
//! pains 3 and "Reading and writing IAM efficiently"). The SDK's own retries (a few attempts
//! within seconds) do not cover these; the Terraform provider waits up to two minutes.
//!
//! Every attempt is bounded by one total budget (default 120 s, `EKSFED_RETRY_BUDGET_SECS`
//! lowers it, e.g. in tests). On a permanent error the first failure is returned at once.
//!
//! Retried: `MalformedPolicyDocument` saying "Invalid principal", `NoSuchEntity` (only
//! where [`RetryOptions::retry_not_found`] says the object may be just created),
//! `ConcurrentModification`, throttling (`Throttling`, `ThrottlingException`, "Rate
//! exceeded", HTTP 429), service failures (`ServiceFailure`, `ServiceUnavailable`,
//! `InternalFailure`; HTTP 502/503/504; HTTP 500 when it carries an error code: a bare 500
//! is how moto answers an action it does not implement, and retrying it only delays the
//! error).
//!
//! The loop is generic over the error type: [`Classify`] turns an error into a [`Failure`]
//! (code, message, HTTP status) and [`RetryOptions::is_transient`] decides. It is
//! implemented for every AWS SDK error (`SdkError` of IAM, EKS, STS share one type); other
//! clients (Kubernetes) pass a closure to [`with_retry_by`].

use std::future::Future;
use std::time::Duration;

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

/// Environment variable that sets the total retry budget, in seconds.
pub const BUDGET_ENV: &str = "EKSFED_RETRY_BUDGET_SECS";
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// What a failed attempt says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    /// The service's error code (`NoSuchEntity`, `Throttling`...), when there is one.
    pub code: Option<String>,
    pub message: String,
    /// The HTTP status of the response, when there was a response.
    pub status: Option<u16>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, self.status) {
            (Some(c), _) => write!(f, "{c}: {}", self.message),
            (None, Some(s)) => write!(f, "HTTP {s}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Errors the retry loop can classify.
pub trait Classify {
    fn failure(&self) -> Failure;
}

impl<E> Classify for SdkError<E, HttpResponse>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn failure(&self) -> Failure {
        Failure {
            code: crate::error::code(self),
            message: match self.as_service_error() {
                Some(se) => se.message().unwrap_or("").to_string(),
                None => crate::error::describe(self),
            },
            status: self.raw_response().map(|r| r.status().as_u16()),
        }
    }
}

impl Classify for Failure {
    fn failure(&self) -> Failure {
        self.clone()
    }
}

/// How long and on what to retry.
#[derive(Debug, Clone)]
pub struct RetryOptions {
    /// Total time from the first attempt after which no new attempt starts.
    pub budget: Duration,
    /// First delay; doubled after each failure, up to `max_delay`; each delay is jittered to
    /// a random point in its upper half.
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// Retry `NoSuchEntity` / 404: right for a write that names an object created moments ago
    /// (IAM's reads lag its writes), wrong for a delete or a plain existence check.
    pub retry_not_found: bool,
    /// Further error codes that are transient for this call (e.g. `DeleteConflict` right
    /// after the detaches that resolve it).
    pub also_retry: &'static [&'static str],
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            budget: budget_from_env(),
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            retry_not_found: false,
            also_retry: &[],
        }
    }
}

/// The budget: `EKSFED_RETRY_BUDGET_SECS` (fractions allowed), else 120 s.
pub fn budget_from_env() -> Duration {
    std::env::var(BUDGET_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_BUDGET)
}

impl RetryOptions {
    /// The defaults, also retrying "not found" (see [`RetryOptions::retry_not_found`]).
    pub fn eventually_consistent() -> Self {
        RetryOptions {
            retry_not_found: true,
            ..Default::default()
        }
    }

    /// These options, also retrying the given codes.
    pub fn also(self, codes: &'static [&'static str]) -> Self {
        RetryOptions {
            also_retry: codes,
            ..self
        }
    }

    /// Whether a failure is worth another attempt.
    pub fn is_transient(&self, f: &Failure) -> bool {
        let code = f.code.as_deref().unwrap_or("");
        let msg = f.message.as_str();
        if self.also_retry.contains(&code) {
            return true;
        }
        match code {
            // IAM has not yet propagated a principal (a provider or role created moments ago).
            "MalformedPolicyDocument" => msg.contains("Invalid principal"),
            "NoSuchEntity" | "NoSuchEntityException" | "ResourceNotFoundException" | "NotFound" => {
                self.retry_not_found
            }
            "ConcurrentModification" | "ConcurrentModificationException" => true,
            "Throttling"
            | "ThrottlingException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "SlowDown" => true,
            "ServiceFailure"
            | "ServiceFailureException"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "InternalFailure"
            | "InternalError"
            | "InternalServerError" => true,
            _ => {
                // A 500 without an error code is not the service failing but something that
                // does not speak the API (moto answers unimplemented actions that way);
                // gateways in front of a service do answer 502/503/504 without one.
                msg.contains("Rate exceeded")
                    || matches!(f.status, Some(429 | 502 | 503 | 504))
                    || (f.status == Some(500) && f.code.is_some())
                    || (self.retry_not_found && f.status == Some(404) && f.code.is_none())
            }
        }
    }

    /// The delay before attempt `attempt + 1` (0-based), jittered.
    fn delay(&self, attempt: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(20)))
            .min(self.max_delay);
        let lo = base.as_secs_f64() / 2.0;
        let hi = base.as_secs_f64();
        if hi <= lo {
            return base;
        }
        Duration::from_secs_f64(rand::random_range(lo..=hi))
    }
}

/// Runs `f` until it succeeds, fails permanently, or the budget (from the environment) runs
/// out; `NoSuchEntity` is not retried.
pub async fn with_retry<T, E, F, Fut>(op_name: &str, f: F) -> anyhow::Result<T>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    with_retry_opts(op_name, &RetryOptions::default(), f).await
}

/// [`with_retry`] with explicit options.
pub async fn with_retry_opts<T, E, F, Fut>(
    op_name: &str,
    opts: &RetryOptions,
    f: F,
) -> anyhow::Result<T>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    with_retry_by(op_name, opts, |e: &E| e.failure(), f).await
}

/// The loop itself, with the classification given as a closure (for error types that do not
/// implement [`Classify`]).
pub async fn with_retry_by<T, E, C, F, Fut>(
    op_name: &str,
    opts: &RetryOptions,
    classify: C,
    mut f: F,
) -> anyhow::Result<T>
where
    C: Fn(&E) -> Failure,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let start = tokio::time::Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let failure = match f().await {
            Ok(v) => return Ok(v),
            Err(e) => classify(&e),
        };
        attempt += 1;
        if !opts.is_transient(&failure) {
            return Err(anyhow::anyhow!("{op_name}: {failure}"));
        }
        let elapsed = start.elapsed();
        if elapsed >= opts.budget {
            return Err(anyhow::anyhow!(
                "{op_name}: still failing after {attempt} attempts in {:.1} s (retry budget {:.0} s, {BUDGET_ENV}); last error: {failure}",
                elapsed.as_secs_f64(),
                opts.budget.as_secs_f64()
            ));
        }
        let wait = opts.delay(attempt - 1).min(opts.budget - elapsed);
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fail(code: &str, msg: &str) -> Failure {
        Failure {
            code: Some(code.into()),
            message: msg.into(),
            status: Some(400),
        }
    }

    fn quick(budget_ms: u64) -> RetryOptions {
        RetryOptions {
            budget: Duration::from_millis(budget_ms),
            initial_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            retry_not_found: false,
            also_retry: &[],
        }
    }

    #[test]
    fn classifies_iam_consistency_and_throttling() {
        let o = RetryOptions::default();
        assert!(o.is_transient(&fail(
            "MalformedPolicyDocument",
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:role/x\""
        )));
        assert!(!o.is_transient(&fail("MalformedPolicyDocument", "Syntax errors in policy.")));
        assert!(!o.is_transient(&fail(
            "NoSuchEntity",
            "The role with name x cannot be found."
        )));
        assert!(RetryOptions::eventually_consistent().is_transient(&fail(
            "NoSuchEntity",
            "The role with name x cannot be found."
        )));
        assert!(o.is_transient(&fail("ConcurrentModification", "")));
        assert!(o.is_transient(&fail("Throttling", "Rate exceeded")));
        assert!(o.is_transient(&Failure {
            code: Some("Unknown".into()),
            message: "Rate exceeded".into(),
            status: Some(400)
        }));
        assert!(o.is_transient(&Failure {
            code: Some("ServiceFailure".into()),
            message: String::new(),
            status: Some(500)
        }));
        assert!(o.is_transient(&Failure {
            code: None,
            message: "unhandled".into(),
            status: Some(503)
        }));
        assert!(o.is_transient(&Failure {
            code: Some("Unknown".into()),
            message: String::new(),
            status: Some(500)
        }));
        assert!(!o.is_transient(&Failure {
            code: None,
            message: "<html>Internal Server Error".into(),
            status: Some(500)
        }));
        assert!(!o.is_transient(&fail("EntityAlreadyExists", "")));
        assert!(!o.is_transient(&fail("AccessDenied", "")));
        assert!(!o.is_transient(&Failure {
            code: None,
            message: "connection refused".into(),
            status: None
        }));
    }

    #[tokio::test]
    async fn retries_transient_then_succeeds() {
        let calls = Cell::new(0);
        let out = with_retry_opts("IAM CreateRole r", &quick(5_000), || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 3 {
                    Err(fail(
                        "MalformedPolicyDocument",
                        "Invalid principal in policy",
                    ))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(out.ok(), Some(3));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn permanent_error_is_returned_at_once() {
        let calls = Cell::new(0);
        let out: anyhow::Result<()> = with_retry_opts("IAM CreateRole r", &quick(5_000), || {
            calls.set(calls.get() + 1);
            async {
                Err(fail(
                    "EntityAlreadyExists",
                    "Role with name r already exists.",
                ))
            }
        })
        .await;
        let msg = format!("{:#}", out.err().map(|e| e.to_string()).unwrap_or_default());
        assert_eq!(calls.get(), 1);
        assert_eq!(
            msg,
            "IAM CreateRole r: EntityAlreadyExists: Role with name r already exists."
        );
    }

    #[tokio::test]
    async fn gives_up_after_the_budget_naming_the_operation_and_last_error() {
        let calls = Cell::new(0);
        let started = std::time::Instant::now();
        let out: anyhow::Result<()> =
            with_retry_opts("IAM AttachRolePolicy r", &quick(150), || {
                calls.set(calls.get() + 1);
                async { Err(fail("Throttling", "Rate exceeded")) }
            })
            .await;
        let elapsed = started.elapsed();
        let msg = out.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(calls.get() > 2, "retried {} times", calls.get());
        assert!(
            elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
        assert!(
            msg.starts_with("IAM AttachRolePolicy r: still failing after"),
            "{msg}"
        );
        assert!(
            msg.ends_with("last error: Throttling: Rate exceeded"),
            "{msg}"
        );
    }

    #[test]
    fn delays_grow_and_stay_bounded() {
        let o = RetryOptions {
            budget: Duration::from_secs(60),
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            retry_not_found: false,
            also_retry: &[],
        };
        for attempt in 0..30 {
            let d = o.delay(attempt);
            let base = Duration::from_millis(100)
                .saturating_mul(2u32.saturating_pow(attempt.min(20)))
                .min(Duration::from_secs(1));
            assert!(
                d >= base / 2 && d <= base,
                "attempt {attempt}: {d:?} vs {base:?}"
            );
        }
    }
}
