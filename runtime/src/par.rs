//! Bounded concurrency for reads: many independent requests, a few at a time.

use std::future::Future;

/// Runs `f` over `items`, at most `limit` at a time; results in input order.
pub async fn bounded<I, T, F, Fut>(items: Vec<I>, limit: usize, f: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let n = items.len();
    let mut results: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut pending = items.into_iter().enumerate();
    let mut set = tokio::task::JoinSet::new();
    let spawn = |set: &mut tokio::task::JoinSet<(usize, anyhow::Result<T>)>, i: usize, item: I| {
        let fut = f(item);
        set.spawn(async move { (i, fut.await) });
    };
    for (i, item) in pending.by_ref().take(limit.max(1)) {
        spawn(&mut set, i, item);
    }
    while let Some(joined) = set.join_next().await {
        let (i, r) =
            joined.map_err(|e| anyhow::anyhow!("a concurrent request task failed: {e}"))?;
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(r?);
        }
        if let Some((i, item)) = pending.next() {
            spawn(&mut set, i, item);
        }
    }
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_keeps_order_and_limit() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let out = bounded((0..40u64).collect(), 10, |i| {
            let (running, peak) = (running.clone(), peak.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(40 - i)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(i * 2)
            }
        })
        .await
        .unwrap();
        assert_eq!(out, (0..40u64).map(|i| i * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 10);
        assert!(peak.load(Ordering::SeqCst) > 1);
    }
}
