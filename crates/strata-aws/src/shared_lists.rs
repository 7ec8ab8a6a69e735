//! Answers of list calls shared within one discovery pass.
//!
//! A plan discovers every kind in every region at once, and several kinds
//! list the same things: security groups and their rules both need
//! `DescribeSecurityGroups`; load balancers, listeners and listener rules all
//! need the stack's load balancers; Route 53, CloudFront and S3 buckets are
//! global, so every region of the stack would list them again. Within a pass
//! ([`DiscoverScope::pass`]) the first caller of a key makes the call and the
//! others wait for its answer. A new pass forgets the previous one's answers;
//! pass 0 shares nothing. A failed call is not kept: each waiter tries itself.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use strata_engine::{DiscoverScope, ErrorClass, ProviderError};
use tokio::sync::OnceCell;

type Cell = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

/// The shared answers of the current pass, by key.
#[derive(Default)]
pub struct SharedLists {
    inner: Mutex<(u64, HashMap<String, Cell>)>,
}

impl SharedLists {
    /// The answer for `key` in `scope`'s pass, fetched once.
    pub async fn get<T, F, Fut>(&self, scope: &DiscoverScope, key: String, fetch: F) -> Result<Arc<T>, ProviderError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        if scope.pass == 0 {
            return fetch().await.map(Arc::new);
        }
        let cell = {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let (pass, cells) = &mut *guard;
            if *pass != scope.pass {
                *pass = scope.pass;
                cells.clear();
            }
            cells.entry(key.clone()).or_default().clone()
        };
        let value = cell
            .get_or_try_init(|| async { fetch().await.map(|t| Arc::new(t) as Arc<dyn Any + Send + Sync>) })
            .await?
            .clone();
        value.downcast::<T>().map_err(|_| {
            ProviderError::new(ErrorClass::Fatal, "discover", format!("shared list `{key}` holds another type (a bug in strata)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn one_call_per_key_and_pass_and_none_for_pass_zero() {
        let lists = SharedLists::default();
        let calls = AtomicU32::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ProviderError>(vec![1, 2, 3])
        };
        let mut scope = DiscoverScope::new("s", "eu-central-1");
        scope.pass = 7;
        let (a, b) = tokio::join!(lists.get(&scope, "k".into(), fetch), lists.get(&scope, "k".into(), fetch));
        assert_eq!(*a.unwrap(), vec![1, 2, 3]);
        assert_eq!(*b.unwrap(), vec![1, 2, 3]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        lists.get(&scope, "other".into(), fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        scope.pass = 8;
        lists.get(&scope, "k".into(), fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3, "a new pass lists again");
        let alone = DiscoverScope::new("s", "eu-central-1");
        lists.get(&alone, "k".into(), fetch).await.unwrap();
        lists.get(&alone, "k".into(), fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 5, "pass 0 shares nothing");
    }

    #[tokio::test]
    async fn a_failed_call_is_not_kept() {
        let lists = SharedLists::default();
        let mut scope = DiscoverScope::new("s", "r");
        scope.pass = 3;
        let failed = lists
            .get(&scope, "k".into(), || async { Err::<u8, _>(ProviderError::new(ErrorClass::Throttled, "List", "slow down")) })
            .await;
        assert!(failed.is_err());
        let ok = lists.get(&scope, "k".into(), || async { Ok::<u8, ProviderError>(4) }).await.unwrap();
        assert_eq!(*ok, 4);
    }
}
