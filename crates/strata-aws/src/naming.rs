//! Deterministic identifiers for resources whose name the user may choose
//! (DB instances, replication groups, OpenSearch domains, subnet groups).
//!
//! A derived identifier is `<stack>-<logical name>`, cleaned to the service's
//! alphabet, cut to its length limit, and ended with 8 hex digits of a hash of
//! stack, logical name and the fields that force replacement. So it is the
//! same on every run (discovery and crash recovery find it), unique per stack
//! and logical name even after cutting, and different for a replacement, which
//! lets create-before-delete run while the old resource still holds its name.

use sha2::{Digest, Sha256};

/// The rules of one service's identifiers.
#[derive(Clone, Copy, Debug)]
pub struct IdRules {
    /// Maximum length.
    pub max_len: usize,
    /// Minimum length.
    pub min_len: usize,
    /// Lowercase only (AWS stores many identifiers lowercased).
    pub lowercase: bool,
}

/// RDS DB instance identifiers: 1-63 letters, digits and hyphens, starting with a letter.
pub const RDS_INSTANCE: IdRules = IdRules { max_len: 63, min_len: 1, lowercase: true };
/// RDS subnet and parameter group names (letters, digits, hyphens; 255 at most).
pub const RDS_GROUP: IdRules = IdRules { max_len: 255, min_len: 1, lowercase: true };
/// ElastiCache replication group ids: 1-40 characters.
pub const REPLICATION_GROUP: IdRules = IdRules { max_len: 40, min_len: 1, lowercase: true };
/// ElastiCache cache cluster ids: 1-50 characters.
pub const CACHE_CLUSTER: IdRules = IdRules { max_len: 50, min_len: 1, lowercase: true };
/// ElastiCache subnet group names: up to 255 characters.
pub const CACHE_SUBNET_GROUP: IdRules = IdRules { max_len: 255, min_len: 1, lowercase: true };
/// OpenSearch domain names: 3-28 lowercase letters, digits and hyphens.
pub const OPENSEARCH_DOMAIN: IdRules = IdRules { max_len: 28, min_len: 3, lowercase: true };

/// IAM role, instance profile and policy names: up to 64 characters.
pub const IAM_NAME: IdRules = IdRules { max_len: 64, min_len: 1, lowercase: false };

/// `<stack>-<logical>` as a name of the services whose names are letters,
/// digits, `-` and `_` (ECS, EKS): anything else becomes `-`, `max`
/// characters at most.
pub fn dashed_name(stack: &str, logical: &str, max: usize) -> String {
    format!("{stack}-{logical}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(max).collect()
}

/// Why `name` is not such a name of `service` (1 to `max` of A-Z a-z 0-9 - _;
/// with `alnum_first`, starting with a letter or digit).
pub fn dashed_name_problem(service: &str, name: &str, max: usize, alnum_first: bool) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && (!alnum_first || name.starts_with(|c: char| c.is_ascii_alphanumeric()))
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let first = if alnum_first { ", starting with a letter or digit" } else { "" };
    (!ok).then(|| format!("{name:?} is not an {service} name (1 to {max} of A-Z a-z 0-9 - _{first})"))
}

/// The derived identifier for `stack`/`logical`, salted with the fields that
/// force replacement.
pub fn derived_id(rules: IdRules, stack: &str, logical: &str, salt: &str) -> String {
    let full = format!("{stack}-{logical}");
    let hash: String =
        Sha256::digest(format!("{full}\u{0}{salt}").as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut clean = String::new();
    for c in full.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        let c = if rules.lowercase { c.to_ascii_lowercase() } else { c };
        if c == '-' && (clean.is_empty() || clean.ends_with('-')) {
            continue;
        }
        clean.push(c);
    }
    if !clean.starts_with(|c: char| c.is_ascii_alphabetic()) {
        clean.insert(0, 's');
    }
    let head: String = clean.chars().take(rules.max_len.saturating_sub(hash.len() + 1)).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

/// Why an explicit identifier breaks the service's rules, if it does.
pub fn id_problem(rules: IdRules, id: &str) -> Option<String> {
    if id.len() < rules.min_len || id.len() > rules.max_len {
        return Some(format!("{id:?} must be {}-{} characters", rules.min_len, rules.max_len));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!("{id:?} must start with a letter"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(format!("{id:?} may hold only letters, digits and hyphens"));
    }
    if rules.lowercase && id.chars().any(|c| c.is_ascii_uppercase()) && rules.min_len >= 3 {
        return Some(format!("{id:?} must be lowercase"));
    }
    if id.ends_with('-') || id.contains("--") {
        return Some(format!("{id:?} must not end with a hyphen or hold two hyphens in a row"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_valid_and_salted() {
        let a = derived_id(REPLICATION_GROUP, "miamo-prd", "redis", "redis");
        assert_eq!(a, derived_id(REPLICATION_GROUP, "miamo-prd", "redis", "redis"));
        assert_ne!(a, derived_id(REPLICATION_GROUP, "miamo-prd", "redis", "valkey"));
        assert!(a.starts_with("miamo-prd-redis-"), "{a}");
        assert_eq!(id_problem(REPLICATION_GROUP, &a), None);
        let long = derived_id(OPENSEARCH_DOMAIN, "a-very-long-stack-name", "search--Domain_1", "");
        assert!(long.len() <= 28, "{long}");
        assert_eq!(id_problem(OPENSEARCH_DOMAIN, &long), None, "{long}");
        let digit = derived_id(RDS_INSTANCE, "1st", "db", "");
        assert_eq!(id_problem(RDS_INSTANCE, &digit), None, "{digit}");
    }

    #[test]
    fn explicit_ids_are_checked() {
        assert!(id_problem(RDS_INSTANCE, "9db").is_some());
        assert!(id_problem(RDS_INSTANCE, "db--a").is_some());
        assert!(id_problem(RDS_INSTANCE, "db_a").is_some());
        assert!(id_problem(OPENSEARCH_DOMAIN, "ab").is_some());
        assert!(id_problem(OPENSEARCH_DOMAIN, "Search").is_some());
        assert_eq!(id_problem(RDS_INSTANCE, "magento-prd"), None);
    }
}

/// `s` with every byte that is not an ASCII letter or digit written as
/// `_XX` (hex): a reversible way to put a stack and logical name into an
/// identifier that allows few characters (a Lambda statement id, a Cognito
/// client name), so that an untagged item can say whose it is.
pub fn escape(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("_{b:02x}") }).collect()
}

/// The text [`escape`] made `s` from; `None` when `s` is not its output.
pub fn unescape(s: &str) -> Option<String> {
    let (mut out, bytes, mut i) = (Vec::new(), s.as_bytes(), 0);
    while i < bytes.len() {
        if bytes[i] == b'_' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else if bytes[i].is_ascii_alphanumeric() {
            out.push(bytes[i]);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn escaped_names_come_back() {
        for s in ["shop-prod", "api/invoke orders", "auth/web.spa", "ünï"] {
            let e = escape(s);
            assert!(e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{e}");
            assert_eq!(unescape(&e).as_deref(), Some(s));
        }
        assert_eq!(unescape("a-b"), None);
        assert_eq!(unescape("_zz"), None);
    }
}
