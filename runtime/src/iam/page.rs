//! `Marker`-paginated IAM lists: every page of one, under the retry policy. A leaf: it
//! imports no other file of `iam/`. An answer type listed with [`list_all`] is registered
//! in the `marked!` list here.

use crate::retry::{with_retry_opts, Classify, RetryOptions};
use aws_sdk_iam::operation as ops;
use std::collections::HashSet;
use std::future::Future;

/// GAAD and ListRoles page size (the maximum both accept).
pub(super) const MAX_ITEMS: i32 = 1000;
/// A guard against a server that never stops paging.
const MAX_PAGES: usize = 10_000;

/// One page of a `Marker`-paginated IAM list.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// Follows `IsTruncated`/`Marker` until the last page. A truncated page without a marker, or
/// a marker seen before, is an error rather than a silent stop or an endless loop.
pub(crate) async fn paginate<T, F, Fut>(op: &str, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = anyhow::Result<Page<T>>>,
{
    let mut out = vec![];
    let mut marker: Option<String> = None;
    let mut seen = HashSet::new();
    for _ in 0..MAX_PAGES {
        let page = fetch(marker.take()).await?;
        out.extend(page.items);
        if !page.is_truncated {
            return Ok(out);
        }
        let next = page
            .marker
            .filter(|m| !m.is_empty())
            .ok_or_else(|| anyhow::anyhow!("{op}: the response is truncated but has no Marker"))?;
        if !seen.insert(next.clone()) {
            anyhow::bail!("{op}: the service returned the same Marker twice");
        }
        marker = Some(next);
    }
    anyhow::bail!("{op}: more than {MAX_PAGES} pages")
}

/// An IAM list answer: whether it is cut short, and where the next page starts.
pub(super) trait Marked {
    fn truncated(&self) -> bool;
    fn next(&self) -> Option<&str>;
}

macro_rules! marked {
    ($($t:ty),* $(,)?) => {$(
        impl Marked for $t {
            fn truncated(&self) -> bool {
                self.is_truncated()
            }
            fn next(&self) -> Option<&str> {
                self.marker()
            }
        }
    )*};
}

marked!(
    ops::get_account_authorization_details::GetAccountAuthorizationDetailsOutput,
    ops::list_roles::ListRolesOutput,
    ops::list_attached_role_policies::ListAttachedRolePoliciesOutput,
    ops::list_role_policies::ListRolePoliciesOutput,
    ops::list_instance_profiles_for_role::ListInstanceProfilesForRoleOutput,
    ops::list_entities_for_policy::ListEntitiesForPolicyOutput,
    ops::list_policy_versions::ListPolicyVersionsOutput,
);

/// Every item of a `Marker`-paginated IAM list, each page under the retry policy: `call`
/// sends the request for one marker, `items` takes the items out of its answer.
pub(super) async fn list_all<T, O, E, F, Fut>(
    op: &str,
    opts: &RetryOptions,
    call: F,
    items: impl Fn(&O) -> Vec<T>,
) -> anyhow::Result<Vec<T>>
where
    O: Marked,
    E: Classify,
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    let (call, items) = (&call, &items);
    paginate(op, |marker| async move {
        let out = with_retry_opts(op, opts, || call(marker.clone())).await?;
        Ok(Page {
            items: items(&out),
            is_truncated: out.truncated(),
            marker: out.next().map(String::from),
        })
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Serves `pages` in order, recording the marker each request carried.
    async fn run(
        pages: Vec<(Vec<u32>, bool, Option<&'static str>)>,
    ) -> (anyhow::Result<Vec<u32>>, Vec<Option<String>>) {
        let seen = RefCell::new(vec![]);
        let pages = RefCell::new(pages.into_iter());
        let out = paginate("IAM Test", |marker| {
            seen.borrow_mut().push(marker);
            let next = pages.borrow_mut().next();
            async move {
                let (items, is_truncated, marker) =
                    next.ok_or_else(|| anyhow::anyhow!("asked for a page past the last"))?;
                Ok(Page {
                    items,
                    is_truncated,
                    marker: marker.map(String::from),
                })
            }
        })
        .await;
        (out, seen.into_inner())
    }

    #[tokio::test]
    async fn follows_markers_to_the_last_page() {
        let (out, markers) = run(vec![
            (vec![1, 2], true, Some("m1")),
            (vec![3], true, Some("m2")),
            (vec![4, 5], false, None),
        ])
        .await;
        assert_eq!(out.unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            markers,
            vec![None, Some("m1".to_string()), Some("m2".to_string())]
        );
    }

    #[tokio::test]
    async fn one_page_is_one_request() {
        let (out, markers) = run(vec![(vec![1], false, Some("ignored"))]).await;
        assert_eq!(out.unwrap(), vec![1]);
        assert_eq!(markers.len(), 1);
    }

    #[tokio::test]
    async fn truncated_without_marker_is_an_error() {
        let (out, _) = run(vec![(vec![1], true, None)]).await;
        assert!(out
            .unwrap_err()
            .to_string()
            .contains("truncated but has no Marker"));
        let (out, _) = run(vec![(vec![1], true, Some(""))]).await;
        assert!(out.is_err());
    }

    #[tokio::test]
    async fn a_repeated_marker_stops_the_loop() {
        let (out, markers) = run(vec![
            (vec![1], true, Some("m")),
            (vec![2], true, Some("m")),
            (vec![3], false, None),
        ])
        .await;
        assert!(out.unwrap_err().to_string().contains("same Marker twice"));
        assert_eq!(markers.len(), 2);
    }
}
