//! The machine this program runs on, for the stack lock's record: the runner's
//! side of [`strata_engine::lock::Host`] (the engine itself does no I/O).

use strata_engine::lock::{Host, HostIdentity};

/// This process on this machine: `USER` (or `USERNAME`), the host name from
/// `/etc/hostname` (or `HOSTNAME`), the process id, and Linux's boot id; a
/// process is alive when `/proc/<pid>` exists (unknown without `/proc`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalHost;

impl Host for LocalHost {
    fn identity(&self) -> HostIdentity {
        let owner = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown-host".into());
        let boot_id =
            std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_default();
        HostIdentity { owner, host, pid: std::process::id(), boot_id }
    }

    fn process_alive(&self, pid: u32) -> Option<bool> {
        if !std::path::Path::new("/proc/self").exists() {
            return None;
        }
        Some(std::path::Path::new(&format!("/proc/{pid}")).exists())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_not() {
        let me = LocalHost.identity();
        assert_eq!(me.pid, std::process::id());
        if std::path::Path::new("/proc/self").exists() {
            assert_eq!(LocalHost.process_alive(me.pid), Some(true));
            assert_eq!(LocalHost.process_alive(u32::MAX), Some(false));
            assert!(!me.boot_id.is_empty(), "Linux has a boot id");
        } else {
            assert_eq!(LocalHost.process_alive(me.pid), None);
        }
    }
}
