//! The runtime's typed errors. Every failed call to AWS (IAM, EKS, STS) or Kubernetes is
//! classified once, where it happens, into an [`Error`] saying what kind of failure it is;
//! the retry policy (`retry.rs`) and the callers (a delete that finds the object gone,
//! a create that finds it there) decide by that variant. [`CallError`] adds the operation
//! (`IAM CreateRole r`) and is what the public functions' `anyhow::Error`s carry: find it
//! with [`of`].
//!
//! The classification reads the service's error code and the HTTP status. The message is read
//! in three documented cases only, where the service gives no code of its own:
//! `MalformedPolicyDocument` saying "Invalid principal" and EKS's `InvalidParameterException`
//! saying a role "does not exist" (a principal created moments ago that the service does not
//! see yet: IAM is eventually consistent), and "Rate exceeded" under an unknown code (throttling).

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use std::error::Error as _;

/// What a failed call says about itself.
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

/// A failed call, by kind. Each variant keeps the [`Failure`] it was classified from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The service (or a gateway in front of it) failed, or another writer is changing the
    /// same object (`ConcurrentModification`): a later attempt may succeed.
    #[error("{0}")]
    Transient(Failure),
    /// Too many requests (`Throttling`, HTTP 429, "Rate exceeded").
    #[error("{0}")]
    Throttled(Failure),
    /// A principal the request names was created moments ago and the service does not see it
    /// yet (IAM "Invalid principal in policy", EKS "role ... does not exist").
    #[error("{0}")]
    NotPropagated(Failure),
    /// Something is in the way: the object exists already, is still in use, or changed since
    /// it was read (`EntityAlreadyExists`, `DeleteConflict`, `ResourceInUseException`, 409).
    #[error("{0}")]
    Conflict(Failure),
    /// The object is not there (`NoSuchEntity`, `ResourceNotFoundException`, 404).
    #[error("{0}")]
    Missing(Failure),
    /// The credentials may not do this (`AccessDenied`, 401, 403).
    #[error("{0}")]
    Denied(Failure),
    /// The request itself is wrong (`MalformedPolicyDocument`, `InvalidInput`, other 4xx).
    #[error("{0}")]
    Invalid(Failure),
    /// Anything else: no response at all (connection, timeout), an answer that does not speak
    /// the API (a bare HTTP 500, as moto answers an action it does not implement).
    #[error("{0}")]
    Other(Failure),
}

const NOT_FOUND: &[&str] = &[
    "NoSuchEntity",
    "NoSuchEntityException",
    "ResourceNotFoundException",
    "NotFound",
];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];
const TRANSIENT: &[&str] = &[
    "ConcurrentModification",
    "ConcurrentModificationException",
    "ServiceFailure",
    "ServiceFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServerException",
];
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
];
const CONFLICT: &[&str] = &[
    "EntityAlreadyExists",
    "DeleteConflict",
    "ResourceInUseException",
    "ResourceExistsException",
];

impl Error {
    /// Classifies a failure by its error code, then by its HTTP status.
    pub fn classify(f: Failure) -> Error {
        let code = f.code.as_deref().unwrap_or("");
        let msg = f.message.as_str();
        let is = |set: &[&str]| set.contains(&code);
        if is(NOT_FOUND) {
            Error::Missing(f)
        } else if (code == "MalformedPolicyDocument" && msg.contains("Invalid principal"))
            || (code == "InvalidParameterException" && msg.contains("does not exist"))
        {
            Error::NotPropagated(f)
        } else if is(THROTTLED) || msg.contains("Rate exceeded") || f.status == Some(429) {
            Error::Throttled(f)
        } else if is(TRANSIENT)
            || matches!(f.status, Some(502..=504))
            // A 500 without an error code is not the service failing but something that does
            // not speak the API (moto answers unimplemented actions that way).
            || (f.status == Some(500) && f.code.is_some())
        {
            Error::Transient(f)
        } else if is(DENIED) || matches!(f.status, Some(401 | 403)) {
            Error::Denied(f)
        } else if is(CONFLICT) || f.status == Some(409) {
            Error::Conflict(f)
        } else if f.status == Some(404) && f.code.is_none() {
            Error::Missing(f)
        } else if f.code.is_some() || matches!(f.status, Some(400..=499)) {
            Error::Invalid(f)
        } else {
            Error::Other(f)
        }
    }

    /// An AWS SDK error (IAM, EKS and STS share one type).
    pub fn from_sdk<E, R>(e: &SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: HttpStatus + std::fmt::Debug,
    {
        Error::classify(Failure {
            code: code(e),
            message: match e.as_service_error() {
                Some(se) => se.message().unwrap_or("").to_string(),
                None => describe(e),
            },
            status: e.raw_response().map(HttpStatus::status),
        })
    }

    /// A Kubernetes client error: the API's status code, or no response.
    pub fn from_kube(e: &kube::Error) -> Error {
        match e {
            kube::Error::Api(s) => Error::classify(Failure {
                code: None,
                message: format!("{} ({})", s.message, s.reason),
                status: Some(s.code),
            }),
            other => Error::classify(Failure {
                code: None,
                message: other.to_string(),
                status: None,
            }),
        }
    }

    pub fn failure(&self) -> &Failure {
        match self {
            Error::Transient(f)
            | Error::Throttled(f)
            | Error::NotPropagated(f)
            | Error::Conflict(f)
            | Error::Missing(f)
            | Error::Denied(f)
            | Error::Invalid(f)
            | Error::Other(f) => f,
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Error::Missing(_))
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }
}

/// The HTTP status of a raw response (the SDK's response type, generic in [`SdkError`]).
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_sdk_iam::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Environment variable that sets the total retry budget, in seconds (read by `retry.rs`;
/// named in the message of a call that outlasted it).
pub const BUDGET_ENV: &str = "EKSFED_RETRY_BUDGET_SECS";

/// A call that failed: the operation (`IAM CreateRole r`) and the classified error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("{op}: {error}")]
    Failed { op: String, error: Error },
    /// A transient failure outlasted the retry budget.
    #[error("{op}: still failing after {attempts} attempts in {elapsed:.1} s (retry budget {budget:.0} s, {env}); last error: {error}", env = BUDGET_ENV)]
    GaveUp {
        op: String,
        error: Error,
        attempts: u32,
        elapsed: f64,
        budget: f64,
    },
}

impl CallError {
    pub fn error(&self) -> &Error {
        match self {
            CallError::Failed { error, .. } | CallError::GaveUp { error, .. } => error,
        }
    }

    /// `Ok(None)` for [`Error::Missing`]: the object is gone (a read), or already in the state
    /// a detach or delete wants.
    pub fn none_if_missing<T>(r: Result<T, CallError>) -> Result<Option<T>, CallError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.error().is_missing() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The typed error inside an `anyhow::Error` from the runtime, if a call failed.
pub fn of(e: &anyhow::Error) -> Option<&Error> {
    e.chain()
        .find_map(|c| c.downcast_ref::<CallError>())
        .map(CallError::error)
}

/// `Code: message` for a service error; the error chain otherwise (timeouts, connection).
pub fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let Some(se) = e.as_service_error() {
        let code = se.code().unwrap_or("Error");
        let msg = se.message().unwrap_or("");
        return format!("{code}: {msg}");
    }
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// The service error code of an SDK error, if it is one.
pub fn code<E, R>(e: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, msg: &str, status: u16) -> Error {
        Error::classify(Failure {
            code: Some(code.into()),
            message: msg.into(),
            status: Some(status),
        })
    }

    fn bare(msg: &str, status: Option<u16>) -> Error {
        Error::classify(Failure {
            code: None,
            message: msg.into(),
            status,
        })
    }

    fn kube_status(code: u16, reason: &str) -> Error {
        Error::from_kube(&kube::Error::Api(Box::new(kube::core::Status {
            code,
            message: "from the API server".into(),
            reason: reason.into(),
            ..Default::default()
        })))
    }

    #[test]
    fn classifies_by_code_then_status() {
        assert!(matches!(
            aws("Throttling", "Rate exceeded", 400),
            Error::Throttled(_)
        ));
        assert!(matches!(
            aws("Unknown", "Rate exceeded", 400),
            Error::Throttled(_)
        ));
        assert!(matches!(bare("", Some(429)), Error::Throttled(_)));
        assert!(matches!(aws("AccessDenied", "no", 403), Error::Denied(_)));
        assert!(matches!(bare("forbidden", Some(403)), Error::Denied(_)));
        assert!(matches!(
            aws("NoSuchEntity", "The role with name x cannot be found.", 404),
            Error::Missing(_)
        ));
        assert!(matches!(
            aws("ResourceNotFoundException", "", 404),
            Error::Missing(_)
        ));
        assert!(matches!(bare("", Some(404)), Error::Missing(_)));
        assert!(matches!(aws("Other", "", 404), Error::Invalid(_)));
        assert!(matches!(
            aws("EntityAlreadyExists", "", 409),
            Error::Conflict(_)
        ));
        assert!(matches!(aws("DeleteConflict", "", 409), Error::Conflict(_)));
        assert!(matches!(
            aws("ResourceInUseException", "", 409),
            Error::Conflict(_)
        ));
        assert!(matches!(
            aws("ConcurrentModification", "", 409),
            Error::Transient(_)
        ));
        assert!(matches!(
            aws(
                "MalformedPolicyDocument",
                "Invalid principal in policy",
                400
            ),
            Error::NotPropagated(_)
        ));
        assert!(matches!(
            aws(
                "InvalidParameterException",
                "Role provided in the request does not exist",
                400
            ),
            Error::NotPropagated(_)
        ));
        assert!(matches!(
            aws("MalformedPolicyDocument", "Syntax errors in policy.", 400),
            Error::Invalid(_)
        ));
        assert!(matches!(
            aws("ServiceFailure", "", 500),
            Error::Transient(_)
        ));
        assert!(matches!(aws("Unknown", "", 500), Error::Transient(_)));
        assert!(matches!(bare("unhandled", Some(503)), Error::Transient(_)));
        assert!(matches!(
            bare("<html>Internal Server Error", Some(500)),
            Error::Other(_)
        ));
        assert!(matches!(bare("connection refused", None), Error::Other(_)));
    }

    #[test]
    fn classifies_kubernetes_status_codes() {
        assert!(matches!(kube_status(409, "Conflict"), Error::Conflict(_)));
        assert!(matches!(kube_status(404, "NotFound"), Error::Missing(_)));
        assert!(matches!(
            kube_status(429, "TooManyRequests"),
            Error::Throttled(_)
        ));
        assert!(matches!(kube_status(403, "Forbidden"), Error::Denied(_)));
        assert!(matches!(kube_status(422, "Invalid"), Error::Invalid(_)));
        assert!(matches!(
            kube_status(503, "ServiceUnavailable"),
            Error::Transient(_)
        ));
    }

    #[test]
    fn the_typed_error_is_found_inside_anyhow_with_context() {
        let e = anyhow::Error::new(CallError::Failed {
            op: "IAM GetRole r".into(),
            error: aws("NoSuchEntity", "gone", 404),
        })
        .context("role.r (update)");
        assert!(of(&e).is_some_and(Error::is_missing));
        assert_eq!(
            format!("{e:#}"),
            "role.r (update): IAM GetRole r: NoSuchEntity: gone"
        );
        assert!(of(&anyhow::anyhow!("plain")).is_none());
    }
}
