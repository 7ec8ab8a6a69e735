//! `aws:ec2:SecurityGroup` and `aws:ec2:SecurityGroupRule`.
//!
//! A group's rules are inline: the group owns exactly the rules it declares, and
//! anything else found on it (a rule added by hand) is drift that apply removes.
//! Egress is exactly what is declared: the allow-all egress rule AWS adds to a
//! new group is revoked unless [`SecurityGroup::allow_all_egress`] asks for it,
//! so groups are default-deny both ways.
//!
//! Two groups that admit each other would be a dependency cycle if both rules
//! were inline. A [`SecurityGroupRule`] is a separate resource that depends on
//! both groups, so that cannot happen. Such rules carry the description
//! `strata:<stack>:<logical name>` (rule descriptions work on every EC2 API
//! version and emulator, unlike rule tags); the owning group ignores rules
//! with a `strata:` description, and discovery finds them through the tagged
//! groups of the stack, so a separate rule must attach to a group of its stack.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, PrefixListId, ResourceType, UserIdGroupPair};
use aws_sdk_ec2::types::SecurityGroup as Group;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, Provider, ProviderError};

use super::common::*;

const SOURCES: [&str; 3] = ["cidr", "source_security_group_id", "prefix_list_id"];

/// One rule: protocol, port range, and one source (or destination, for egress).
///
/// ```
/// use strata_aws_ec2::Rule;
/// let https = Rule::tcp(443).cidr("0.0.0.0/0");
/// let dns = Rule::udp(53).cidr("10.0.0.0/16");
/// let all = Rule::all().cidr("0.0.0.0/0");
/// # let _ = (https, dns, all);
/// ```
#[derive(Clone, Debug)]
pub struct Rule {
    protocol: String,
    from_port: i64,
    to_port: i64,
    source: Option<(&'static str, Input)>,
}

impl Rule {
    pub fn tcp(port: u16) -> Rule {
        Rule::tcp_range(i64::from(port), i64::from(port))
    }
    /// A TCP port range (checked before any API call).
    pub fn tcp_range(from: i64, to: i64) -> Rule {
        Rule { protocol: "tcp".into(), from_port: from, to_port: to, source: None }
    }
    pub fn udp(port: u16) -> Rule {
        Rule { protocol: "udp".into(), from_port: i64::from(port), to_port: i64::from(port), source: None }
    }
    /// ICMP of every type and code.
    pub fn icmp() -> Rule {
        Rule { protocol: "icmp".into(), from_port: -1, to_port: -1, source: None }
    }
    /// Every protocol and port.
    pub fn all() -> Rule {
        Rule { protocol: "-1".into(), from_port: -1, to_port: -1, source: None }
    }
    /// Any protocol by name or number, with a port range.
    pub fn protocol(protocol: &str, from: i64, to: i64) -> Rule {
        Rule { protocol: protocol.into(), from_port: from, to_port: to, source: None }
    }
    pub fn cidr(mut self, cidr: impl Into<Arg<String>>) -> Rule {
        self.source = Some(("cidr", cidr.into().into_input()));
        self
    }
    /// Traffic from (or to) members of another security group.
    pub fn group(mut self, security_group_id: impl Into<Arg<String>>) -> Rule {
        self.source = Some(("source_security_group_id", security_group_id.into().into_input()));
        self
    }
    pub fn prefix_list(mut self, prefix_list_id: impl Into<Arg<String>>) -> Rule {
        self.source = Some(("prefix_list_id", prefix_list_id.into().into_input()));
        self
    }
    fn into_input(self) -> Input {
        let mut m = BTreeMap::from([
            ("protocol".to_string(), Input::from(self.protocol)),
            ("from_port".to_string(), Input::from(self.from_port)),
            ("to_port".to_string(), Input::from(self.to_port)),
        ]);
        if let Some((k, v)) = self.source {
            m.insert(k.to_string(), v);
        }
        Input::Map(m)
    }
}

strata_aws::kind_fields! {
    /// A security group with inline rules.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{Rule, SecurityGroup, Vpc};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let alb = stack.add("alb-sg", SecurityGroup::new(vpc.id())
    ///     .description("load balancer")
    ///     .ingress(Rule::tcp(443).cidr("0.0.0.0/0")));
    /// stack.add("web-sg", SecurityGroup::new(vpc.id())
    ///     .ingress(Rule::tcp(80).group(alb.id()))
    ///     .allow_all_egress());
    /// ```
    pub struct SecurityGroup: "aws:ec2:SecurityGroup";
    values SecurityGroupValues;
    handle SecurityGroupHandle / SecurityGroupOutputs { group_name };
    fields {
        /// The VPC.
        vpc_id: str [replace required];
        /// The group name (default: derived from stack and logical name).
        group_name: str [replace private];
        /// The group's description (1-255 ASCII characters).
        description: str [replace] = "Managed by strata";
        /// Inbound rules.
        ingress: list [update private];
        /// Outbound rules: exactly these (none unless declared).
        egress: list [update private];
    }
}

impl SecurityGroup {
    /// A group in this VPC that admits nothing, either way.
    pub fn new(vpc_id: impl Into<Arg<String>>) -> Self {
        Self::empty().vpc_id(vpc_id)
    }
    /// The group name (default: derived from stack and logical name).
    pub fn name(self, name: impl Into<String>) -> Self {
        self.group_name(name.into())
    }
    /// Admit inbound traffic.
    pub fn ingress(self, rule: Rule) -> Self {
        self.push(V::ingress, rule.into_input())
    }
    /// Allow outbound traffic.
    pub fn egress(self, rule: Rule) -> Self {
        self.push(V::egress, rule.into_input())
    }
    /// Allow all outbound traffic (AWS's default, which strata does not assume).
    pub fn allow_all_egress(self) -> Self {
        self.egress(Rule::all().cidr("0.0.0.0/0"))
    }
}

type V = SecurityGroupValues;

/// `protocol` in AWS's canonical form.
fn canonical_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "-1" | "all" => "-1".into(),
        other => other.into(),
    }
}

/// Canonical rule map: protocol name, ports (-1 for "all").
fn normalize_rule(v: &mut Value) {
    if let Value::Map(m) = v {
        let p = canonical_protocol(&map_str(m, "protocol").unwrap_or_default());
        if p == "-1" {
            m.insert("from_port".into(), Value::Int(-1));
            m.insert("to_port".into(), Value::Int(-1));
        }
        m.insert("protocol".into(), Value::Str(p));
    }
}

fn normalize_rules(props: &mut Props, field: &str) {
    if let Some(Value::List(l)) = props.get_mut(field) {
        l.iter_mut().for_each(normalize_rule);
        l.sort();
        l.dedup();
    }
}

/// Flatten AWS permissions into rule maps; `owned_by` collects rules with a
/// `strata:` description (separate rule resources), which the group skips.
fn flatten(perms: &[IpPermission], mut owned: impl FnMut(&str, Value)) -> Vec<Value> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = canonical_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if protocol == "-1" {
            (-1, -1)
        } else {
            (i64::from(p.from_port().unwrap_or(-1)), i64::from(p.to_port().unwrap_or(-1)))
        };
        let mut push = |kind: &str, value: &str, description: Option<&str>| {
            let rule = entry(&[
                ("protocol", Value::str(&protocol)),
                ("from_port", Value::Int(from)),
                ("to_port", Value::Int(to)),
                (kind, Value::str(value)),
            ]);
            match description.filter(|d| d.starts_with("strata:")) {
                Some(d) => owned(d, rule),
                None => out.push(rule),
            }
        };
        for r in p.ip_ranges() {
            push("cidr", r.cidr_ip().unwrap_or_default(), r.description());
        }
        for g in p.user_id_group_pairs() {
            push("source_security_group_id", g.group_id().unwrap_or_default(), g.description());
        }
        for l in p.prefix_list_ids() {
            push("prefix_list_id", l.prefix_list_id().unwrap_or_default(), l.description());
        }
    }
    out.sort();
    out
}

/// The description of the existing rule of `group` equal to `rule`: `Some`
/// for a rule with a `strata:` description, `None` for any other (or none).
async fn rule_owner(c: &aws_sdk_ec2::Client, group: &str, egress: bool, rule: &Value) -> Result<Option<String>, ProviderError> {
    let out = c.describe_security_groups().group_ids(group).send().await.map_err(err("DescribeSecurityGroups"))?;
    let mut want = rule.clone();
    normalize_rule(&mut want);
    let mut owner = None;
    for g in out.security_groups() {
        let perms = if egress { g.ip_permissions_egress() } else { g.ip_permissions() };
        flatten(perms, |d, mut r| {
            normalize_rule(&mut r);
            if r == want {
                owner = Some(d.to_string());
            }
        });
    }
    Ok(owner)
}

/// One rule map as an AWS permission, with an optional description.
fn permission(rule: &Value, description: Option<&str>) -> Option<IpPermission> {
    let m = rule.as_map()?;
    let protocol = canonical_protocol(&map_str(m, "protocol")?);
    let mut b = IpPermission::builder().ip_protocol(&protocol);
    if protocol != "-1" {
        b = b
            .from_port(i32::try_from(map_int(m, "from_port")?).ok()?)
            .to_port(i32::try_from(map_int(m, "to_port")?).ok()?);
    }
    if let Some(c) = map_str(m, "cidr") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(description.map(str::to_string)).build());
    } else if let Some(g) = map_str(m, "source_security_group_id") {
        b = b.user_id_group_pairs(
            UserIdGroupPair::builder().group_id(g).set_description(description.map(str::to_string)).build(),
        );
    } else if let Some(l) = map_str(m, "prefix_list_id") {
        b = b.prefix_list_ids(
            PrefixListId::builder().prefix_list_id(l).set_description(description.map(str::to_string)).build(),
        );
    } else {
        return None;
    }
    Some(b.build())
}

async fn authorize(
    c: &aws_sdk_ec2::Client,
    group: &str,
    egress: bool,
    list: &[Value],
    description: Option<&str>,
) -> Result<(), ProviderError> {
    let perms: Vec<IpPermission> = list.iter().filter_map(|r| permission(r, description)).collect();
    if perms.is_empty() {
        return Ok(());
    }
    if egress {
        c.authorize_security_group_egress()
            .group_id(group)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map_err(err("AuthorizeSecurityGroupEgress"))?;
    } else {
        c.authorize_security_group_ingress()
            .group_id(group)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map_err(err("AuthorizeSecurityGroupIngress"))?;
    }
    Ok(())
}

async fn revoke(c: &aws_sdk_ec2::Client, group: &str, egress: bool, list: &[Value]) -> Result<(), ProviderError> {
    let perms: Vec<IpPermission> = list.iter().filter_map(|r| permission(r, None)).collect();
    if perms.is_empty() {
        return Ok(());
    }
    let r = if egress {
        c.revoke_security_group_egress()
            .group_id(group)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(err("RevokeSecurityGroupEgress"))
    } else {
        c.revoke_security_group_ingress()
            .group_id(group)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(err("RevokeSecurityGroupIngress"))
    };
    match r {
        Err(e) if e.code.as_deref() == Some("InvalidPermission.NotFound") => Ok(()),
        other => gone_ok(other),
    }
}

/// Check rules before any call: protocol, ports, one valid source.
fn validate_rules(decl: &ResourceDecl, field: &str, out: &mut Vec<Diagnostic>) {
    let Some(Input::List(list)) = decl.inputs.get(field) else { return };
    for (i, r) in list.iter().enumerate() {
        let Input::Map(m) = r else { continue };
        let known = |k: &str| m.get(k).and_then(Input::known);
        let protocol = known("protocol").and_then(|v| v.as_str().map(canonical_protocol)).unwrap_or_default();
        let from = known("from_port").and_then(|v| v.as_int()).unwrap_or(0);
        let to = known("to_port").and_then(|v| v.as_int()).unwrap_or(0);
        let at = format!("rule {} ({protocol} {from}-{to})", i + 1);
        match protocol.as_str() {
            "tcp" | "udp" => {
                if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                    out.push(Diagnostic::field(
                        &decl.name,
                        field,
                        format!("{at}: ports must be 0-65535 with from <= to"),
                    ));
                }
            }
            "icmp" => {
                if !(-1..=255).contains(&from) || !(-1..=255).contains(&to) {
                    out.push(Diagnostic::field(&decl.name, field, format!("{at}: ICMP type and code must be -1..255")));
                }
            }
            "-1" => {}
            other => {
                if other.parse::<u8>().is_err() {
                    out.push(Diagnostic::field(
                        &decl.name,
                        field,
                        format!("{at}: protocol {other:?} is not tcp, udp, icmp, all/-1 or a number 0-255"),
                    ));
                }
            }
        }
        let sources: Vec<&str> = SOURCES.iter().copied().filter(|s| m.contains_key(*s)).collect();
        if sources.len() != 1 {
            out.push(Diagnostic::field(&decl.name, field, format!("{at}: needs exactly one of cidr, group, prefix_list")));
        }
        if let Some(c) = known("cidr").and_then(|v| v.as_str().map(str::to_string)) {
            if parse_cidr(&c).is_none() {
                out.push(Diagnostic::field(&decl.name, field, format!("{at}: {c:?} is not an IPv4 CIDR")));
            }
        }
    }
}

/// A deterministic, legal group name: `<stack>-<logical name>`.
pub(crate) fn derived_group_name(stack: &str, name: &str) -> String {
    let raw = format!("{stack}-{name}");
    let mut s: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-:()#,@[]+=&;{}!$*".contains(c) { c } else { '-' })
        .collect();
    s.truncate(255);
    s
}

/// The kind behind [`SecurityGroup`].
pub(crate) struct SecurityGroups;

/// The stack's security groups in the scope's region (one list per discovery
/// pass, shared by the group and rule kinds).
async fn describe_groups(
    aws: &Aws,
    scope: &DiscoverScope,
) -> Result<Arc<Vec<aws_sdk_ec2::types::SecurityGroup>>, ProviderError> {
    let key = format!("ec2:DescribeSecurityGroups:{}:{}", scope.region, scope.stack);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = crate::client(aws, &scope.region).describe_security_groups().filters(stack_filter(scope)).into_paginator().items().send();
            strata_aws::error::all_pages(pages, "DescribeSecurityGroups").await
        })
        .await
}

/// The rules of `have` not in `want`.
fn missing_from(have: &Option<Vec<Value>>, want: &Option<Vec<Value>>) -> Vec<Value> {
    let want = want.as_deref().unwrap_or_default();
    have.iter().flatten().filter(|r| !want.contains(r)).cloned().collect()
}

#[async_trait]
impl Kind for SecurityGroups {
    type Builder = SecurityGroup;
    type Item = Group;
    type Tags = Ec2Tags;

    // A derived name is whatever the create call chose.
    const DERIVED: &'static [&'static str] = &[V::group_name];

    fn id(g: &Group) -> Option<&str> {
        g.group_id()
    }

    fn carried_tags(g: &Group) -> Option<Tags> {
        Some(tags_of_list(g.tags()))
    }

    fn observe(g: &Group) -> Seen<SecurityGroup> {
        let (ingress, egress) = (flatten(g.ip_permissions(), |_, _| {}), flatten(g.ip_permissions_egress(), |_, _| {}));
        let mut refs: Vec<String> = g.vpc_id().map(str::to_string).into_iter().collect();
        let sources = ingress.iter().chain(&egress).filter_map(|r| r.as_map().and_then(|m| map_str(m, "source_security_group_id")));
        refs.extend(sources.filter(|src| Some(src.as_str()) != g.group_id()));
        let values = V {
            vpc_id: g.vpc_id().map(str::to_string),
            group_name: g.group_name().map(str::to_string),
            description: g.description().map(str::to_string),
            ingress: Some(ingress),
            egress: Some(egress),
            ..V::default()
        };
        Seen { values, outputs: SecurityGroupOutputs { group_name: g.group_name().map(str::to_string) }, refs }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        validate_rules(decl, V::ingress, out);
        validate_rules(decl, V::egress, out);
        if let Some(d) = decl.known(V::description).and_then(|v| v.as_str().map(str::to_string)) {
            if d.is_empty() || d.len() > 255 || !d.is_ascii() {
                out.push(Diagnostic::field(&decl.name, V::description, "must be 1-255 ASCII characters"));
            }
        }
        if let Some(n) = decl.known(V::group_name).and_then(|v| v.as_str().map(str::to_string)) {
            if n.is_empty() || n.len() > 255 || n.starts_with("sg-") {
                out.push(Diagnostic::field(&decl.name, V::group_name, "must be 1-255 characters and not start with sg-"));
            }
        }
    }

    fn warnings(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let Some(Value::List(list)) = decl.known(V::ingress) else { return };
        for m in list.iter().filter_map(Value::as_map) {
            let open = map_str(m, "cidr").as_deref() == Some("0.0.0.0/0");
            let (from, to) = (map_int(m, "from_port").unwrap_or(-1), map_int(m, "to_port").unwrap_or(-1));
            let web_only = (from == 80 && to == 80) || (from == 443 && to == 443);
            if open && !web_only {
                let msg = format!("admits 0.0.0.0/0 on ports {from}-{to}; only 80 and 443 are usually meant to be public");
                out.push(Diagnostic::field(&decl.name, V::ingress, msg));
            }
        }
    }

    fn normalize(props: &mut Props) {
        normalize_rules(props, V::ingress);
        normalize_rules(props, V::egress);
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Group>, ProviderError> {
        Ok(describe_groups(aws, scope).await?.to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Group>, ProviderError> {
        let out = crate::client(aws, region).describe_security_groups().group_ids(id).send().await.map_err(err("DescribeSecurityGroups"))?;
        Ok(out.security_groups().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, SecurityGroup>) -> Result<Created<Group>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = crate::client(aws, &cx.region);
        let name = v.group_name.clone().unwrap_or_else(|| derived_group_name(&cx.stack, &cx.name));
        let out = c
            .create_security_group()
            .group_name(&name)
            .set_description(v.description.clone())
            .set_vpc_id(v.vpc_id.clone())
            .tag_specifications(tags_spec(ResourceType::SecurityGroup, &v.tags))
            .send()
            .await
            .map_err(err("CreateSecurityGroup"))?;
        let id = out.group_id().ok_or_else(|| strata_aws::lacks("CreateSecurityGroup", "GroupId", &cx.name))?;
        let default_egress = entry(&[
            ("protocol", Value::str("-1")),
            ("from_port", Value::Int(-1)),
            ("to_port", Value::Int(-1)),
            ("cidr", Value::str("0.0.0.0/0")),
        ]);
        let egress = v.egress.as_deref().unwrap_or_default();
        if !egress.contains(&default_egress) {
            revoke(&c, id, true, std::slice::from_ref(&default_egress)).await?;
        }
        authorize(&c, id, false, v.ingress.as_deref().unwrap_or_default(), None).await?;
        let extra: Vec<Value> = egress.iter().filter(|r| **r != default_egress).cloned().collect();
        authorize(&c, id, true, &extra, None).await?;
        // The answer and the name: the kernel keeps the desired rules.
        Ok(Created::Item(Group::builder().group_id(id).group_name(name).set_vpc_id(v.vpc_id.clone()).build()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, SecurityGroup>, diff: &Diff) -> Result<(), ProviderError> {
        let c = crate::client(aws, &want.cx.region);
        let have = V::from_props(&actual.props);
        for (field, egress, old, new) in [(V::ingress, false, &have.ingress, &want.values.ingress), (V::egress, true, &have.egress, &want.values.egress)] {
            if diff.changed(field).is_some() {
                revoke(&c, &actual.id, egress, &missing_from(old, new)).await?;
                authorize(&c, &actual.id, egress, &missing_from(new, old), None).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(aws, &cx.region).delete_security_group().group_id(&actual.id).send().await;
        r.map(|_| ()).map_err(err("DeleteSecurityGroup"))
    }
}

/// A single rule on a group, as its own resource: for groups that admit each
/// other, where inline rules would form a dependency cycle.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{Rule, SecurityGroup, SecurityGroupRule, Vpc};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let a = stack.add("a", SecurityGroup::new(vpc.id()));
/// let b = stack.add("b", SecurityGroup::new(vpc.id()));
/// stack.add("a-from-b", SecurityGroupRule::ingress(a.id(), Rule::tcp(5432).group(b.id())));
/// stack.add("b-from-a", SecurityGroupRule::ingress(b.id(), Rule::tcp(5432).group(a.id())));
/// ```
#[derive(Clone, Debug)]
pub struct SecurityGroupRule {
    group_id: Input,
    egress: bool,
    rule: Input,
}

impl SecurityGroupRule {
    pub fn ingress(group_id: impl Into<Arg<String>>, rule: Rule) -> Self {
        SecurityGroupRule { group_id: group_id.into().into_input(), egress: false, rule: rule.into_input() }
    }
    pub fn egress(group_id: impl Into<Arg<String>>, rule: Rule) -> Self {
        SecurityGroupRule { group_id: group_id.into().into_input(), egress: true, rule: rule.into_input() }
    }
}

super::handle!(
    /// Outputs of a [`SecurityGroupRule`].
    SecurityGroupRuleHandle { id: "id" }
);

impl Resource for SecurityGroupRule {
    const KIND: &'static str = "aws:ec2:SecurityGroupRule";
    type Handle = SecurityGroupRuleHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("security_group_id".to_string(), self.group_id),
            ("egress".to_string(), Input::from(self.egress)),
            ("rule".to_string(), self.rule),
        ])
    }
}

pub(crate) struct RuleProvider {
    pub(crate) aws: Aws,
}

fn rule_id(group: &str, egress: bool, rule: &Value) -> String {
    format!("{group}/{}/{rule}", if egress { "egress" } else { "ingress" })
}

fn rule_observed(region: &str, stack: &str, name: &str, group: &str, egress: bool, mut rule: Value) -> Observed {
    normalize_rule(&mut rule);
    let props = Props::from([
        ("security_group_id".into(), Value::str(group)),
        ("egress".into(), Value::Bool(egress)),
        ("rule".into(), rule.clone()),
        // Rules carry no tags: the description names the owner, shown here as
        // the state tags so that the engine can match it.
        (
            "tags".into(),
            Value::from_tags(&Tags::from([
                (tags::STACK.to_string(), stack.to_string()),
                (tags::RESOURCE.to_string(), name.to_string()),
            ])),
        ),
    ]);
    let mut o = observed(SecurityGroupRule::KIND, &rule_id(group, egress, &rule), region, props);
    o.refs.push(group.to_string());
    if let Some(src) = rule.as_map().and_then(|m| map_str(m, "source_security_group_id")) {
        o.refs.push(src);
    }
    o
}

#[async_trait]
impl Provider for RuleProvider {
    fn kind(&self) -> &'static str {
        SecurityGroupRule::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["security_group_id", "egress", "rule"]
    }

    fn taggable(&self) -> bool {
        false
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "security_group_id", out);
        let mut probe = decl.clone();
        if let Some(r) = decl.inputs.get("rule") {
            probe.inputs.insert("rule".into(), Input::List(vec![r.clone()]));
        }
        validate_rules(&probe, "rule", out);
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(r) = props.get_mut("rule") {
            normalize_rule(r);
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let prefix = format!("strata:{}:", scope.stack);
        let mut out = Vec::new();
        for g in describe_groups(&self.aws, scope).await?.iter() {
            let gid = g.group_id().unwrap_or_default().to_string();
            for (perms, egress) in [(g.ip_permissions(), false), (g.ip_permissions_egress(), true)] {
                flatten(perms, |desc, rule| {
                    if let Some(name) = desc.strip_prefix(&prefix) {
                        out.push(rule_observed(&scope.region, &scope.stack, name, &gid, egress, rule));
                    }
                });
            }
        }
        Ok(out)
    }

    async fn read(&self, _region: &str, _id: &str) -> Result<Option<Observed>, ProviderError> {
        Err(ProviderError::new(ErrorClass::Invalid, "read", "security group rules cannot be looked up or adopted by id"))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let group = s(desired, "security_group_id").ok_or_else(|| missing("AuthorizeSecurityGroupIngress", "security_group_id"))?;
        let egress = b(desired, "egress");
        let rule = desired.get("rule").cloned().unwrap_or(Value::Null);
        let description = format!("strata:{}:{}", cx.stack, cx.name);
        match authorize(&c, &group, egress, std::slice::from_ref(&rule), Some(&description)).await {
            // The rule exists already. It is this resource's when it carries this
            // resource's description (an earlier attempt whose answer was lost);
            // anyone else's rule is never taken over.
            Err(e) if e.code.as_deref() == Some("InvalidPermission.Duplicate") => {
                let owner = rule_owner(&c, &group, egress, &rule).await?;
                if owner.as_deref() != Some(description.as_str()) {
                    let whose = match owner {
                        Some(d) => format!("with the description {d:?}"),
                        None => "without a strata description".to_string(),
                    };
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        "AuthorizeSecurityGroupIngress",
                        format!(
                            "{group} already has this {} rule, {whose}: strata does not take over a rule it did not make; \
                             remove it from the group (or drop `{}` from the program)",
                            if egress { "egress" } else { "ingress" },
                            cx.name
                        ),
                    )
                    .with_code("InvalidPermission.Duplicate"));
                }
            }
            other => other?,
        }
        Ok(rule_observed(&cx.region, &cx.stack, &cx.name, &group, egress, rule))
    }

    async fn update(&self, _cx: &OpContext, actual: &Observed, _desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        // Every field forces replacement; nothing changes in place.
        Ok(actual.clone())
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let group = s(&actual.props, "security_group_id").unwrap_or_default();
        let rule = actual.props.get("rule").cloned().unwrap_or(Value::Null);
        revoke(&c, &group, b(&actual.props, "egress"), std::slice::from_ref(&rule)).await
    }

    async fn set_tags(&self, _cx: &OpContext, _actual: &Observed, _add: &Tags, _remove: &[String]) -> Result<(), ProviderError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_legal() {
        assert_eq!(derived_group_name("shop-prod", "net/web sg"), "shop-prod-net-web-sg");
        assert_eq!(derived_group_name("a", &"x".repeat(300)).len(), 255);
    }

    #[test]
    fn rules_normalize_protocols_and_ports() {
        let mut v = entry(&[
            ("protocol", Value::str("all")),
            ("from_port", Value::Int(0)),
            ("to_port", Value::Int(65535)),
            ("cidr", Value::str("0.0.0.0/0")),
        ]);
        normalize_rule(&mut v);
        let m = v.as_map().unwrap();
        assert_eq!(map_str(m, "protocol").as_deref(), Some("-1"));
        assert_eq!(map_int(m, "from_port"), Some(-1));
        assert_eq!(canonical_protocol("6"), "tcp");
    }

    #[test]
    fn permissions_round_trip_through_flatten() {
        let rule = entry(&[
            ("protocol", Value::str("tcp")),
            ("from_port", Value::Int(443)),
            ("to_port", Value::Int(443)),
            ("cidr", Value::str("10.0.0.0/8")),
        ]);
        let p = permission(&rule, None).unwrap();
        assert_eq!(flatten(&[p], |_, _| {}), vec![rule.clone()]);
        let owned = permission(&rule, Some("strata:s:x")).unwrap();
        let mut seen = Vec::new();
        assert!(flatten(&[owned], |d, r| seen.push((d.to_string(), r))).is_empty());
        assert_eq!(seen, vec![("strata:s:x".to_string(), rule)]);
    }
}
