//! Turning SDK errors into one readable line: the service's error code and message.

use aws_sdk_iam::error::ProvideErrorMetadata;
use std::error::Error as _;

/// `Code: message` for a service error; the error chain otherwise (timeouts, connection).
pub fn describe<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> String
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
pub fn code<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .map(String::from)
}
