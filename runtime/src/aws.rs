//! AWS clients, configured the way the AWS SDKs configure themselves (environment, shared
//! config and credentials files, `AWS_ENDPOINT_URL`), with the stack's `aws` block on top.
//!
//! `EKSFED_AWS_HEADERS="name=value,..."` adds headers to every AWS request (for proxies and
//! emulators; the tests use it to give each test its own moto account).

use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;
use eksfed_compiler::plan::AwsSettingsDoc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct AwsClients {
    pub iam: aws_sdk_iam::Client,
    pub eks: aws_sdk_eks::Client,
    pub sts: aws_sdk_sts::Client,
    /// Requests sent (after retries), for `--verbose` and tests.
    pub requests: Arc<AtomicUsize>,
}

impl AwsClients {
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct Headers {
    headers: Vec<(String, String)>,
    count: Arc<AtomicUsize>,
}

impl Intercept for Headers {
    fn name(&self) -> &'static str {
        "eksfed-headers"
    }
    fn modify_before_signing(
        &self,
        ctx: &mut aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        for (k, v) in &self.headers {
            ctx.request_mut().headers_mut().insert(k.clone(), v.clone());
        }
        Ok(())
    }
    fn read_before_transmit(
        &self,
        _ctx: &aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn extra_headers() -> Vec<(String, String)> {
    std::env::var("EKSFED_AWS_HEADERS")
        .ok()
        .map(|s| {
            s.split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the clients: SDK defaults, then the `aws` block (region, profile, endpoint), with
/// the headers of `EKSFED_AWS_HEADERS`.
pub async fn clients(settings: &AwsSettingsDoc) -> AwsClients {
    clients_with(settings, extra_headers()).await
}

/// Like [`clients`], with explicit extra headers (tests run several accounts in one process).
pub async fn clients_with(settings: &AwsSettingsDoc, headers: Vec<(String, String)>) -> AwsClients {
    crate::install_crypto();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &settings.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(e) = &settings.endpoint {
        loader = loader.endpoint_url(e);
    }
    let retry = aws_config::retry::RetryConfig::adaptive()
        .with_max_attempts(8)
        .with_initial_backoff(std::time::Duration::from_millis(200));
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(120))
        .build();
    let sdk = loader
        .retry_config(retry)
        .timeout_config(timeouts)
        .load()
        .await;
    let sdk = if sdk.region().is_none() {
        sdk.into_builder()
            .region(aws_config::Region::from_static("us-east-1"))
            .build()
    } else {
        sdk
    };
    let count = Arc::new(AtomicUsize::new(0));
    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(&sdk)
            .interceptor(Headers {
                headers: headers.clone(),
                count: count.clone(),
            })
            .build(),
    );
    let eks = aws_sdk_eks::Client::from_conf(
        aws_sdk_eks::config::Builder::from(&sdk)
            .interceptor(Headers {
                headers: headers.clone(),
                count: count.clone(),
            })
            .build(),
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&sdk)
            .interceptor(Headers {
                headers,
                count: count.clone(),
            })
            .build(),
    );
    AwsClients {
        iam,
        eks,
        sts,
        requests: count,
    }
}

/// The account id: STS GetCallerIdentity.
pub async fn account_id(c: &AwsClients) -> anyhow::Result<String> {
    let out =
        c.sts.get_caller_identity().send().await.map_err(|e| {
            anyhow::anyhow!("STS GetCallerIdentity: {}", crate::error::describe(&e))
        })?;
    out.account
        .ok_or_else(|| anyhow::anyhow!("STS GetCallerIdentity returned no account"))
}
