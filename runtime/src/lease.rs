//! A lock per stack so two applies never interleave: a `coordination.k8s.io/v1` Lease named
//! `eksfed-lock-<stack>` in `kube-system` of each cluster the stack touches. Taken with
//! optimistic concurrency (create, or replace an expired one at the resourceVersion read),
//! renewed while held, released (deleted if still ours) on every exit path the process
//! controls; a lease left by a killed process expires after its duration and is taken over.

use anyhow::{bail, Result};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use std::time::{Duration, Instant};

const NAMESPACE: &str = "kube-system";

pub fn lease_name(stack: &str) -> String {
    let clean: String = stack
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("eksfed-lock-{}", clean.trim_matches('-'))
}

pub struct LeaseGuard {
    api: Api<Lease>,
    name: String,
    holder: String,
    renew: tokio::task::JoinHandle<()>,
}

fn expired(l: &Lease, now: Timestamp) -> bool {
    let Some(spec) = &l.spec else { return true };
    let Some(renewed) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else {
        return true;
    };
    let ttl = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    renewed.0.as_second() + ttl < now.as_second()
}

fn lease(name: &str, holder: &str, ttl: Duration, rv: Option<String>) -> Lease {
    let now = MicroTime(Timestamp::now());
    Lease {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NAMESPACE.into()),
            resource_version: rv,
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.into()),
            lease_duration_seconds: Some(ttl.as_secs().min(i32::MAX as u64) as i32),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            ..Default::default()
        }),
    }
}

/// Takes the stack's lease, waiting up to `timeout` for another holder to release it or for
/// its lease to expire.
pub async fn acquire(
    client: &kube::Client,
    stack: &str,
    holder: &str,
    ttl: Duration,
    timeout: Duration,
) -> Result<LeaseGuard> {
    let api = Api::<Lease>::namespaced(client.clone(), NAMESPACE);
    let name = lease_name(stack);
    let start = Instant::now();
    loop {
        let current = api.get_opt(&name).await.map_err(|e| {
            crate::k8s_error::api_err(&format!("get lock Lease kube-system/{name}"), e)
        })?;
        let attempt = match &current {
            None => {
                api.create(&PostParams::default(), &lease(&name, holder, ttl, None))
                    .await
            }
            Some(l) => {
                let theirs = l
                    .spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.clone())
                    .unwrap_or_default();
                if theirs == holder || expired(l, Timestamp::now()) {
                    api.replace(
                        &name,
                        &PostParams::default(),
                        &lease(&name, holder, ttl, l.metadata.resource_version.clone()),
                    )
                    .await
                } else {
                    if start.elapsed() >= timeout {
                        bail!("stack `{}` is locked by {theirs} (Lease kube-system/{name}); waited {:?}. Another apply is running, or a killed one left the lock: it expires after {}s", stack, timeout, l.spec.as_ref().and_then(|s| s.lease_duration_seconds).unwrap_or(0));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        };
        match attempt {
            Ok(_) => break,
            // Someone else took or renewed it between our read and write: look again.
            Err(kube::Error::Api(s)) if s.code == 409 => {
                if start.elapsed() >= timeout {
                    bail!("stack `{stack}` is locked (Lease kube-system/{name} kept changing for {timeout:?})");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                return Err(crate::k8s_error::api_err(
                    &format!("take lock Lease kube-system/{name}"),
                    e,
                ))
            }
        }
    }
    let renew = {
        let (api, name, holder) = (api.clone(), name.clone(), holder.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(ttl / 3).await;
                let Ok(Some(mut l)) = api.get_opt(&name).await else {
                    return;
                };
                if l.spec.as_ref().and_then(|s| s.holder_identity.as_deref())
                    != Some(holder.as_str())
                {
                    return;
                }
                if let Some(s) = l.spec.as_mut() {
                    s.renew_time = Some(MicroTime(Timestamp::now()));
                }
                let _ = api.replace(&name, &PostParams::default(), &l).await;
            }
        })
    };
    Ok(LeaseGuard {
        api,
        name,
        holder: holder.to_string(),
        renew,
    })
}

impl LeaseGuard {
    /// Deletes the lease if it is still ours.
    pub async fn release(self) -> Result<()> {
        self.renew.abort();
        let what = format!("release lock Lease kube-system/{}", self.name);
        let current = self.api.get_opt(&self.name).await;
        if let Some(l) = current.map_err(|e| crate::k8s_error::api_err(&what, e))? {
            if l.spec.as_ref().and_then(|s| s.holder_identity.as_deref())
                == Some(self.holder.as_str())
            {
                self.api
                    .delete(&self.name, &DeleteParams::default())
                    .await
                    .map_err(|e| crate::k8s_error::api_err(&what, e))?;
            }
        }
        Ok(())
    }
}
