//! A stack lock held in the cloud, so that two applies of one stack never run
//! at once (which could create duplicates).
//!
//! The backend stores one lock record per stack with a conditional write
//! (create-if-absent); the AWS crate implements it on S3 (`If-None-Match: *`).
//! Locks older than `stale_after` are taken over, and so is the lock of a run
//! that died on this machine (same host and boot, its process gone: a crash or
//! SIGKILL); `force_unlock` removes one.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;

/// Who holds a lock, from where, since when, for what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub owner: String,
    pub host: String,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub since: u64,
    pub operation: String,
    /// Random id of this holder, so that release only removes its own lock.
    pub id: String,
    /// The machine's boot id (Linux), so that a dead holder is recognised only
    /// on the machine and boot it ran on. Empty when unknown.
    #[serde(default)]
    pub boot_id: String,
}

/// Who and where this process is, for the lock record. The runner supplies
/// it (the engine does no I/O: it never reads the environment, files or
/// `/proc` itself); tests supply a fake.
pub trait Host: Send + Sync {
    /// The user, host name, this process's id and the machine's boot id.
    fn identity(&self) -> HostIdentity;
    /// Whether process `pid` runs on this machine; `None` when it cannot tell
    /// (then a holder is never presumed dead).
    fn process_alive(&self, pid: u32) -> Option<bool>;
}

/// A lock holder's identity, as a [`Host`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostIdentity {
    pub owner: String,
    pub host: String,
    pub pid: u32,
    /// Empty when unknown.
    pub boot_id: String,
}

impl LockInfo {
    /// A record for this process, as `host` describes it.
    pub fn new(operation: &str, host: &dyn Host) -> LockInfo {
        let me = host.identity();
        LockInfo {
            owner: me.owner,
            host: me.host,
            pid: me.pid,
            since: now_secs(),
            operation: operation.to_string(),
            id: format!("{:016x}", fastrand::u64(..)),
            boot_id: me.boot_id,
        }
    }

    /// The holder ran on this machine, in this boot, and its process is gone.
    /// (Unknown boot ids, or a host that cannot tell: never presumed dead.)
    pub fn died_on_this_machine(&self, host: &dyn Host) -> bool {
        let me = host.identity();
        !self.boot_id.is_empty()
            && self.boot_id == me.boot_id
            && self.host == me.host
            && self.pid != me.pid
            && host.process_alive(self.pid) == Some(false)
    }

    fn age(&self) -> Duration {
        Duration::from_secs(now_secs().saturating_sub(self.since))
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{} (pid {}, {}) since {}s ago",
            self.owner,
            self.host,
            self.pid,
            self.operation,
            self.age().as_secs()
        )
    }
}

/// Where locks live.
#[async_trait]
pub trait LockBackend: Send + Sync {
    /// Write `info` as the stack's lock unless one exists. `Ok(None)` when
    /// acquired, `Ok(Some(holder))` when someone else holds it.
    async fn try_acquire(&self, stack: &str, info: &LockInfo) -> Result<Option<LockInfo>, ProviderError>;
    /// Remove the lock if it is still `info`'s.
    async fn release(&self, stack: &str, info: &LockInfo) -> Result<(), ProviderError>;
    /// Remove whatever lock the stack has.
    async fn force_unlock(&self, stack: &str) -> Result<(), ProviderError>;
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack `{stack}` is locked by {holder}; wait for it (--wait-lock), or run `force-unlock` if that run is dead")]
    Held { stack: String, holder: LockInfo },
    #[error("taking the lock of stack `{stack}` failed: {source}")]
    Backend { stack: String, source: ProviderError },
}

/// How to take a lock.
#[derive(Clone, Copy, Debug)]
pub struct LockPolicy {
    /// Wait this long for a held lock (zero: fail at once).
    pub wait: Duration,
    /// A lock older than this is presumed dead and taken over.
    pub stale_after: Duration,
    pub poll: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy { wait: Duration::ZERO, stale_after: Duration::from_secs(4 * 3600), poll: Duration::from_secs(2) }
    }
}

/// Take the stack's lock under `policy`.
pub async fn acquire(
    backend: &dyn LockBackend,
    host: &dyn Host,
    stack: &str,
    info: &LockInfo,
    policy: LockPolicy,
) -> Result<(), LockError> {
    let start = tokio::time::Instant::now();
    loop {
        let backend_err = |source| LockError::Backend { stack: stack.to_string(), source };
        match backend.try_acquire(stack, info).await.map_err(backend_err)? {
            None => return Ok(()),
            Some(holder) if holder.age() > policy.stale_after => {
                tracing::warn!(%stack, %holder, "taking over a stale lock");
                backend.force_unlock(stack).await.map_err(|source| LockError::Backend { stack: stack.into(), source })?;
            }
            Some(holder) if holder.died_on_this_machine(host) => {
                tracing::warn!(%stack, %holder, "taking over the lock of a run that died on this machine");
                backend.force_unlock(stack).await.map_err(|source| LockError::Backend { stack: stack.into(), source })?;
            }
            Some(holder) => {
                if start.elapsed() + policy.poll > policy.wait {
                    return Err(LockError::Held { stack: stack.to_string(), holder });
                }
                tokio::time::sleep(policy.poll).await;
            }
        }
    }
}

/// A lock backend in memory (engine tests).
#[derive(Default, Debug)]
pub struct MemoryLocks(std::sync::Mutex<std::collections::HashMap<String, LockInfo>>);

#[async_trait]
impl LockBackend for MemoryLocks {
    async fn try_acquire(&self, stack: &str, info: &LockInfo) -> Result<Option<LockInfo>, ProviderError> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(stack) {
            Some(holder) => Ok(Some(holder.clone())),
            None => {
                m.insert(stack.to_string(), info.clone());
                Ok(None)
            }
        }
    }
    async fn release(&self, stack: &str, info: &LockInfo) -> Result<(), ProviderError> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.get(stack).is_some_and(|h| h.id == info.id) {
            m.remove(stack);
        }
        Ok(())
    }
    async fn force_unlock(&self, stack: &str) -> Result<(), ProviderError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(stack);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host whose live processes are listed.
    struct FakeHost {
        me: HostIdentity,
        alive: Vec<u32>,
    }

    impl Host for FakeHost {
        fn identity(&self) -> HostIdentity {
            self.me.clone()
        }
        fn process_alive(&self, pid: u32) -> Option<bool> {
            Some(pid == self.me.pid || self.alive.contains(&pid))
        }
    }

    fn host() -> FakeHost {
        FakeHost {
            me: HostIdentity { owner: "ci".into(), host: "box".into(), pid: 100, boot_id: "boot-1".into() },
            alive: vec![1],
        }
    }

    #[tokio::test]
    async fn the_lock_of_a_run_that_died_here_is_taken_over_and_no_other() {
        let h = host();
        let locks = MemoryLocks::default();
        let mut dead = LockInfo::new("apply", &h);
        dead.pid = 4242; // not alive on the fake host
        let me = LockInfo::new("apply", &h);
        assert!(dead.died_on_this_machine(&h));
        locks.try_acquire("shop", &dead).await.unwrap();
        acquire(&locks, &h, "shop", &me, LockPolicy::default()).await.unwrap();
        locks.release("shop", &me).await.unwrap();
        // Another machine (or boot), an unknown boot, or a live process: held.
        for holder in [
            LockInfo { boot_id: "another-boot".into(), ..dead.clone() },
            LockInfo { host: "another-host".into(), ..dead.clone() },
            LockInfo { boot_id: String::new(), ..dead.clone() },
            LockInfo { pid: 1, ..dead.clone() },
        ] {
            assert!(!holder.died_on_this_machine(&h), "{holder:?}");
            locks.force_unlock("shop").await.unwrap();
            locks.try_acquire("shop", &holder).await.unwrap();
            assert!(acquire(&locks, &h, "shop", &me, LockPolicy::default()).await.is_err(), "{holder:?}");
        }
        // A host that cannot tell whether a process runs: never presumed dead.
        struct Blind(FakeHost);
        impl Host for Blind {
            fn identity(&self) -> HostIdentity {
                self.0.identity()
            }
            fn process_alive(&self, _pid: u32) -> Option<bool> {
                None
            }
        }
        assert!(!dead.died_on_this_machine(&Blind(host())));
    }

    #[tokio::test(start_paused = true)]
    async fn second_holder_gets_a_clear_error_and_can_wait() {
        let h = host();
        let locks = MemoryLocks::default();
        let a = LockInfo::new("apply", &h);
        let b = LockInfo::new("apply", &h);
        acquire(&locks, &h, "shop", &a, LockPolicy::default()).await.unwrap();
        let err = acquire(&locks, &h, "shop", &b, LockPolicy::default()).await.unwrap_err().to_string();
        assert!(err.starts_with("stack `shop` is locked by ci@box (pid 100, apply)"), "{err}");
        // b waits while a finishes.
        let waiting = LockPolicy { wait: Duration::from_secs(30), ..LockPolicy::default() };
        let (r, ()) = tokio::join!(acquire(&locks, &h, "shop", &b, waiting), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            locks.release("shop", &a).await.unwrap();
        });
        r.unwrap();
        // Releasing with someone else's record does nothing.
        locks.release("shop", &a).await.unwrap();
        assert!(acquire(&locks, &h, "shop", &a, LockPolicy::default()).await.is_err());
    }

    #[tokio::test]
    async fn stale_locks_are_taken_over_and_force_unlock_clears() {
        let h = host();
        let locks = MemoryLocks::default();
        let mut old = LockInfo::new("apply", &h);
        old.since -= 5 * 3600;
        acquire(&locks, &h, "shop", &old, LockPolicy::default()).await.unwrap();
        let me = LockInfo::new("apply", &h);
        acquire(&locks, &h, "shop", &me, LockPolicy::default()).await.unwrap();
        locks.force_unlock("shop").await.unwrap();
        acquire(&locks, &h, "shop", &old, LockPolicy { stale_after: Duration::from_secs(24 * 3600), ..LockPolicy::default() })
            .await
            .unwrap();
    }
}
