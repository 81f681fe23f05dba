//! Bounded retry with jittered exponential backoff, for the failures an eventually consistent
//! control plane produces on its own: IAM answers "Invalid principal in policy" or
//! `NoSuchEntity` for seconds after a provider or role is created, `ConcurrentModification`
//! when two writers touch one object, and throttles without publishing a rate. The SDK's own retries (a few attempts
//! within seconds) do not cover these; the Terraform provider waits up to two minutes.
//!
//! Every attempt is bounded by one total budget (default 120 s, `EKSFED_RETRY_BUDGET_SECS`
//! lowers it, e.g. in tests). On a permanent error the first failure is returned at once.
//!
//! Retried, as `error.rs` classifies them: not yet propagated (`MalformedPolicyDocument`
//! saying "Invalid principal", EKS saying a role "does not exist"), transient
//! (`ConcurrentModification`, service failures, HTTP 502/503/504, HTTP 500 when it carries an
//! error code: a bare 500 is how moto answers an action it does not implement, and retrying
//! it only delays the error), throttled (`Throttling`, "Rate exceeded", HTTP 429); missing
//! (`NoSuchEntity`) only where [`RetryOptions::retry_not_found`] says the object may be just
//! created; conflicts (`DeleteConflict`) only where [`RetryOptions::retry_conflict`] says so.
//!
//! The loop is generic over the error type: [`Classify`] turns an error into a typed
//! [`Error`] (implemented for every AWS SDK error, `SdkError` of IAM, EKS, STS sharing one
//! type, and for Kubernetes client errors), and [`RetryOptions::should_retry`] decides by its
//! variant alone: throttled, transient and not-yet-propagated failures are retried; missing
//! and conflict ones only where the options say so; denied, invalid and other ones never.

use std::future::Future;
use std::time::Duration;

use crate::error::{CallError, Error};
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Failure, BUDGET_ENV};

pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// Errors the retry loop can classify.
pub trait Classify {
    fn classify(&self) -> Error;
}

impl<E> Classify for SdkError<E, HttpResponse>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn classify(&self) -> Error {
        Error::from_sdk(self)
    }
}

impl Classify for kube::Error {
    fn classify(&self) -> Error {
        Error::from_kube(self)
    }
}

impl Classify for Error {
    fn classify(&self) -> Error {
        self.clone()
    }
}

impl Classify for Failure {
    fn classify(&self) -> Error {
        Error::classify(self.clone())
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
    /// Retry [`Error::Missing`]: right for a write that names an object created moments ago
    /// (IAM's reads lag its writes), wrong for a delete or a plain existence check.
    pub retry_not_found: bool,
    /// Retry [`Error::Conflict`]: right for a delete right after the detaches that resolve
    /// its `DeleteConflict`, wrong for a create that finds the object there.
    pub retry_conflict: bool,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            budget: budget_from_env(),
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            retry_not_found: false,
            retry_conflict: false,
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

    /// These options, also retrying conflicts (see [`RetryOptions::retry_conflict`]).
    pub fn and_conflicts(self) -> Self {
        RetryOptions {
            retry_conflict: true,
            ..self
        }
    }

    /// Whether a failure is worth another attempt: by its variant, nothing else.
    pub fn should_retry(&self, e: &Error) -> bool {
        match e {
            Error::Transient(_) | Error::Throttled(_) | Error::NotPropagated(_) => true,
            Error::Missing(_) => self.retry_not_found,
            Error::Conflict(_) => self.retry_conflict,
            Error::Denied(_) | Error::Invalid(_) | Error::Other(_) => false,
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
pub async fn with_retry<T, E, F, Fut>(op_name: &str, f: F) -> Result<T, CallError>
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
    mut f: F,
) -> Result<T, CallError>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let start = tokio::time::Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let error = match f().await {
            Ok(v) => return Ok(v),
            Err(e) => e.classify(),
        };
        attempt += 1;
        if !opts.should_retry(&error) {
            return Err(CallError::Failed {
                op: op_name.to_string(),
                error,
            });
        }
        let elapsed = start.elapsed();
        if elapsed >= opts.budget {
            return Err(CallError::GaveUp {
                op: op_name.to_string(),
                error,
                attempts: attempt,
                elapsed: elapsed.as_secs_f64(),
                budget: opts.budget.as_secs_f64(),
            });
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
            retry_conflict: false,
        }
    }

    impl RetryOptions {
        fn is_transient(&self, f: &Failure) -> bool {
            self.should_retry(&f.classify())
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
        let out: Result<(), CallError> = with_retry_opts("IAM CreateRole r", &quick(5_000), || {
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
        let out: Result<(), CallError> =
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

    /// Runs the loop over one failure repeated, returning the error and how many attempts ran.
    async fn fails_with<E: Classify + Clone>(e: E) -> (Error, u32) {
        let calls = Cell::new(0);
        let out: Result<(), CallError> = with_retry_opts("op", &quick(100), || {
            calls.set(calls.get() + 1);
            let e = e.clone();
            async move { Err(e) }
        })
        .await;
        let err = out.err().map(|e| e.error().clone());
        (err.unwrap_or(Error::Other(Failure::default())), calls.get())
    }

    #[tokio::test]
    async fn the_policy_decides_by_the_typed_error() {
        let (e, n) = fails_with(fail("Throttling", "Rate exceeded")).await;
        assert!(matches!(e, Error::Throttled(_)) && n > 1, "{e:?} after {n}");
        let (e, n) = fails_with(fail("AccessDenied", "not allowed")).await;
        assert!(matches!(e, Error::Denied(_)) && n == 1, "{e:?} after {n}");
        let (e, n) = fails_with(fail("NoSuchEntity", "The role x cannot be found.")).await;
        assert!(matches!(e, Error::Missing(_)) && n == 1, "{e:?} after {n}");
        let conflict = kube::Error::Api(Box::new(kube::core::Status {
            code: 409,
            message: "the object has been modified".into(),
            reason: "Conflict".into(),
            ..Default::default()
        }));
        let (e, n) = fails_with(Error::from_kube(&conflict)).await;
        assert!(matches!(e, Error::Conflict(_)) && n == 1, "{e:?} after {n}");
        assert!(quick(1).and_conflicts().should_retry(&e));
        assert!(RetryOptions::eventually_consistent()
            .should_retry(&fail("NoSuchEntity", "").classify()));
    }

    #[test]
    fn delays_grow_and_stay_bounded() {
        let o = RetryOptions {
            budget: Duration::from_secs(60),
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            retry_not_found: false,
            retry_conflict: false,
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
