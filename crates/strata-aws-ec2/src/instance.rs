//! `aws:ec2:Instance` (an EC2 instance) and `aws:ec2:Ami` (an image lookup).
//!
//! Secure defaults: the root volume is gp3 and encrypted, and IMDSv2 is
//! required. `RunInstances` carries a client token, so a retried or re-run
//! create cannot launch a second instance. An instance-type change stops the
//! instance, modifies it and starts it again (an in-place update, with a plan
//! warning); AMI, subnet, key, profile, root volume or user-data changes
//! replace it. User data is not returned by `DescribeInstances`: its SHA-256 is
//! kept in the `strata:user-data-sha256` tag and compared instead.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, HttpTokensState, IamInstanceProfileSpecification, InstanceMetadataOptionsRequest,
    InstanceStateName, InstanceType, ResourceType, Tag, TagSpecification, VolumeType,
};
use sha2::{Digest, Sha256};
use strata_core::{Arg, Diagnostic, Input, LookupQuery, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

const USER_DATA_TAG: &str = strata_core::tags::USER_DATA_SHA256;

/// An EC2 instance.
///
/// ```
/// use strata_core::{LookupQuery, Stack};
/// use strata_aws_ec2::{Ami, Instance, SecurityGroup, Subnet, Vpc};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let subnet = stack.add("private-b", Subnet::new(vpc.id(), "10.0.2.0/24", "eu-central-1b"));
/// let sg = stack.add("web-sg", SecurityGroup::new(vpc.id()));
/// let ubuntu = stack.lookup::<Ami>("ubuntu", Ami::ubuntu_2004());
/// let web = stack.add("magento-1", Instance::new(ubuntu.id(), "m5.large", subnet.id())
///     .security_group(sg.id())
///     .root_volume_gb(32)
///     .tag("Name", "magento-prd-1"));
/// let _ = web.private_ip();
/// ```
#[derive(Clone, Debug)]
pub struct Instance {
    ami: Input,
    instance_type: String,
    subnet_id: Input,
    security_groups: Vec<Input>,
    root_gb: i64,
    root_type: String,
    root_encrypted: bool,
    user_data: Option<String>,
    key_name: Option<Input>,
    iam_instance_profile: Option<Input>,
    imdsv2: bool,
    tags: BTreeMap<String, Input>,
}

impl Instance {
    /// An instance with an 8 GB encrypted gp3 root volume and IMDSv2 required.
    pub fn new(ami: impl Into<Arg<String>>, instance_type: &str, subnet_id: impl Into<Arg<String>>) -> Self {
        Instance {
            ami: ami.into().into_input(),
            instance_type: instance_type.into(),
            subnet_id: subnet_id.into().into_input(),
            security_groups: Vec::new(),
            root_gb: 8,
            root_type: "gp3".into(),
            root_encrypted: true,
            user_data: None,
            key_name: None,
            iam_instance_profile: None,
            imdsv2: true,
            tags: BTreeMap::new(),
        }
    }
    pub fn security_group(mut self, id: impl Into<Arg<String>>) -> Self {
        self.security_groups.push(id.into().into_input());
        self
    }
    pub fn root_volume_gb(mut self, gb: i64) -> Self {
        self.root_gb = gb;
        self
    }
    /// `gp3` (default), `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`.
    pub fn root_volume_type(mut self, t: &str) -> Self {
        self.root_type = t.into();
        self
    }
    /// Opt out of root-volume encryption (the plan warns).
    pub fn unencrypted_root_volume(mut self) -> Self {
        self.root_encrypted = false;
        self
    }
    pub fn user_data(mut self, script: impl Into<String>) -> Self {
        self.user_data = Some(script.into());
        self
    }
    pub fn key_name(mut self, name: impl Into<Arg<String>>) -> Self {
        self.key_name = Some(name.into().into_input());
        self
    }
    /// An IAM instance profile, by name.
    pub fn iam_instance_profile(mut self, name: impl Into<Arg<String>>) -> Self {
        self.iam_instance_profile = Some(name.into().into_input());
        self
    }
    /// Allow IMDSv1 (the plan warns).
    pub fn allow_imdsv1(mut self) -> Self {
        self.imdsv2 = false;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of an [`Instance`].
    InstanceHandle {
        id: "id",
        private_ip: "private_ip",
        public_ip: "public_ip",
        availability_zone: "availability_zone",
        private_dns_name: "private_dns_name",
    }
);

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn opt(i: Option<Input>) -> Input {
    i.unwrap_or(Input::Known(Value::Null))
}

impl Resource for Instance {
    const KIND: &'static str = "aws:ec2:Instance";
    type Handle = InstanceHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("ami".to_string(), self.ami),
            ("instance_type".to_string(), Input::from(self.instance_type)),
            ("subnet_id".to_string(), self.subnet_id),
            ("security_group_ids".to_string(), Input::List(self.security_groups)),
            ("root_volume_size".to_string(), Input::from(self.root_gb)),
            ("root_volume_type".to_string(), Input::from(self.root_type)),
            ("root_volume_encrypted".to_string(), Input::from(self.root_encrypted)),
            ("user_data_sha256".to_string(), Input::from(self.user_data.as_deref().map(sha256))),
            // Sent on create only; never compared (see the module docs).
            ("user_data".to_string(), Input::from(self.user_data.map(|u| Value::Secret(Box::new(Value::Str(u)))))),
            ("key_name".to_string(), opt(self.key_name)),
            ("iam_instance_profile".to_string(), opt(self.iam_instance_profile)),
            ("imdsv2_required".to_string(), Input::from(self.imdsv2)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

/// A machine image, found by lookup only (newest match first).
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::Ami;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let ubuntu = stack.lookup::<Ami>("ubuntu", Ami::newest("099720109477", "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-*"));
/// let _ = ubuntu.id();
/// ```
#[derive(Clone, Debug)]
pub struct Ami;

impl Ami {
    /// The newest image of `owner` whose name matches `name_pattern` (`*` wildcards).
    pub fn newest(owner: &str, name_pattern: &str) -> LookupQuery {
        LookupQuery::ByFilters(vec![
            ("owner-id".into(), vec![owner.into()]),
            ("name".into(), vec![name_pattern.into()]),
        ])
    }
    /// Canonical's Ubuntu 20.04 LTS (amd64, SSD).
    pub fn ubuntu_2004() -> LookupQuery {
        Ami::newest("099720109477", "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-*")
    }
}

super::handle!(
    /// Outputs of an [`Ami`] lookup.
    AmiHandle { id: "id", image_name: "name" }
);

impl Resource for Ami {
    const KIND: &'static str = "aws:ec2:Ami";
    type Handle = AmiHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::new()
    }
}

pub(crate) struct AmiProvider {
    pub(crate) aws: Aws,
}

fn image_observed(region: &str, i: &aws_sdk_ec2::types::Image) -> Observed {
    let id = i.image_id().unwrap_or_default();
    let mut o = observed(Ami::KIND, id, region, Props::new());
    o.outputs.insert("name".into(), Value::str(i.name().unwrap_or_default()));
    o.outputs.insert("root_device_name".into(), Value::str(i.root_device_name().unwrap_or("/dev/sda1")));
    o
}

#[async_trait]
impl Provider for AmiProvider {
    fn kind(&self) -> &'static str {
        Ami::KIND
    }

    fn taggable(&self) -> bool {
        false
    }

    async fn discover(&self, _scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // Images are only looked up, never managed: nothing to discover.
        Ok(Vec::new())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_images().image_ids(id).send().await {
            Ok(o) => Ok(o.images().first().map(|i| image_observed(region, i))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeImages", e)),
        }
    }

    async fn lookup(&self, region: &str, query: &LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        let LookupQuery::ByFilters(f) = query else {
            return strata_engine::default_lookup(self, region, query).await;
        };
        let mut req = crate::client(&self.aws, region).describe_images();
        for (k, v) in f {
            if k == "owner-id" || k == "owner" {
                req = req.set_owners(Some(v.clone()));
            } else {
                req = req.filters(Filter::builder().name(k).set_values(Some(v.clone())).build());
            }
        }
        let out = req.send().await.map_err(err("DescribeImages"))?;
        // Newest first: one result.
        let newest = out.images().iter().max_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        Ok(newest.map(|i| image_observed(region, i)).into_iter().collect())
    }

    async fn create(&self, _cx: &OpContext, _desired: &Props) -> Result<Observed, ProviderError> {
        Err(ProviderError::new(ErrorClass::Invalid, "create", "images are looked up with stack.lookup::<Ami>, not created"))
    }

    async fn update(&self, _cx: &OpContext, actual: &Observed, _d: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        Ok(actual.clone())
    }

    async fn delete(&self, _cx: &OpContext, _actual: &Observed) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn set_tags(&self, _cx: &OpContext, _a: &Observed, _add: &Tags, _remove: &[String]) -> Result<(), ProviderError> {
        Ok(())
    }
}

pub(crate) struct InstanceProvider {
    pub(crate) aws: Aws,
}

const VOLUME_TYPES: [&str; 7] = ["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"];

fn is_live(i: &aws_sdk_ec2::types::Instance) -> bool {
    !matches!(
        i.state().and_then(|s| s.name()),
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    )
}

impl InstanceProvider {
    /// Observed state, with root volumes read in one batched `DescribeVolumes`.
    async fn observe_all(&self, region: &str, list: &[aws_sdk_ec2::types::Instance]) -> Result<Vec<Observed>, ProviderError> {
        let root_volume = |i: &aws_sdk_ec2::types::Instance| {
            let root = i.root_device_name().unwrap_or("/dev/sda1");
            i.block_device_mappings()
                .iter()
                .find(|m| m.device_name() == Some(root))
                .or_else(|| i.block_device_mappings().first())
                .and_then(|m| m.ebs())
                .and_then(|e| e.volume_id())
                .map(str::to_string)
        };
        let ids: Vec<String> = list.iter().filter_map(root_volume).collect();
        let mut volumes = BTreeMap::new();
        if !ids.is_empty() {
            let out = crate::client(&self.aws, region)
                .describe_volumes()
                .set_volume_ids(Some(ids))
                .send()
                .await
                .map_err(err("DescribeVolumes"))?;
            for v in out.volumes() {
                if let Some(id) = v.volume_id() {
                    volumes.insert(id.to_string(), v.clone());
                }
            }
        }
        Ok(list
            .iter()
            .map(|i| {
                let vol = root_volume(i).and_then(|id| volumes.get(&id));
                observe(region, i, vol)
            })
            .collect())
    }

    async fn describe(&self, region: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::Instance>, ProviderError> {
        match crate::client(&self.aws, region).describe_instances().instance_ids(id).send().await {
            Ok(o) => Ok(o.reservations().iter().flat_map(|r| r.instances()).next().cloned()),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeInstances", e)),
        }
    }

    async fn wait_state(&self, cx: &OpContext, id: &str, want: InstanceStateName) -> Result<aws_sdk_ec2::types::Instance, ProviderError> {
        let what = format!("instance {id} to be {}", want.as_str());
        wait_until(&what, cx.timeout, cx.poll, || async {
            match self.describe(&cx.region, id).await? {
                None => Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeInstances", format!("{id} not visible yet"))),
                Some(i) => Ok((i.state().and_then(|s| s.name()) == Some(&want)).then_some(i)),
            }
        })
        .await
    }
}

fn observe(region: &str, i: &aws_sdk_ec2::types::Instance, vol: Option<&aws_sdk_ec2::types::Volume>) -> Observed {
    let id = i.instance_id().unwrap_or_default();
    let mut sgs: Vec<Value> = i.security_groups().iter().filter_map(|g| g.group_id()).map(Value::str).collect();
    sgs.sort();
    let tags = tags_value(i.tags());
    let ud = tags.as_tags().get(USER_DATA_TAG).cloned();
    let profile = i.iam_instance_profile().and_then(|p| p.arn()).and_then(|a| a.rsplit('/').next()).map(str::to_string);
    let props = Props::from([
        ("ami".into(), Value::str(i.image_id().unwrap_or_default())),
        ("instance_type".into(), Value::str(i.instance_type().map(|t| t.as_str()).unwrap_or_default())),
        ("subnet_id".into(), Value::str(i.subnet_id().unwrap_or_default())),
        ("security_group_ids".into(), Value::List(sgs)),
        ("root_volume_size".into(), vol.and_then(|v| v.size()).map(|s| Value::Int(i64::from(s))).unwrap_or(Value::Null)),
        ("root_volume_type".into(), vol.and_then(|v| v.volume_type()).map(|t| Value::str(t.as_str())).unwrap_or(Value::Null)),
        ("root_volume_encrypted".into(), vol.and_then(|v| v.encrypted()).map(Value::Bool).unwrap_or(Value::Null)),
        ("user_data_sha256".into(), ud.map(Value::Str).unwrap_or(Value::Null)),
        ("key_name".into(), i.key_name().map(Value::str).unwrap_or(Value::Null)),
        ("iam_instance_profile".into(), profile.map(Value::Str).unwrap_or(Value::Null)),
        (
            "imdsv2_required".into(),
            Value::Bool(i.metadata_options().and_then(|m| m.http_tokens()) == Some(&HttpTokensState::Required)),
        ),
        ("tags".into(), strip_user_data_tag(tags)),
    ]);
    let mut o = observed(Instance::KIND, id, region, props);
    for (k, v) in [
        ("private_ip", i.private_ip_address()),
        ("public_ip", i.public_ip_address()),
        ("availability_zone", i.placement().and_then(|p| p.availability_zone())),
        ("private_dns_name", i.private_dns_name()),
    ] {
        o.outputs.insert(k.into(), Value::str(v.unwrap_or_default()));
    }
    o.refs.extend(i.subnet_id().map(str::to_string));
    o.refs.extend(i.security_groups().iter().filter_map(|g| g.group_id()).map(str::to_string));
    o
}

/// The user-data hash tag is ours, compared through `user_data_sha256`.
fn strip_user_data_tag(tags: Value) -> Value {
    let mut t = tags.as_tags();
    t.remove(USER_DATA_TAG);
    Value::from_tags(&t)
}

#[async_trait]
impl Provider for InstanceProvider {
    fn kind(&self) -> &'static str {
        Instance::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &[
            "ami",
            "subnet_id",
            "key_name",
            "iam_instance_profile",
            "root_volume_size",
            "root_volume_type",
            "root_volume_encrypted",
            "user_data_sha256",
        ]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        for f in ["ami", "instance_type", "subnet_id"] {
            require(decl, f, out);
        }
        if let Some(t) = decl.known("instance_type").and_then(|v| v.as_str().map(str::to_string)) {
            if !InstanceType::values().contains(&t.as_str()) {
                out.push(Diagnostic::field(&decl.name, "instance_type", format!("{t:?} is not an EC2 instance type")));
            }
        }
        if let Some(gb) = decl.known("root_volume_size").and_then(|v| v.as_int()) {
            if !(1..=16384).contains(&gb) {
                out.push(Diagnostic::field(&decl.name, "root_volume_size", format!("{gb} GB is outside 1-16384")));
            }
        }
        if let Some(t) = decl.known("root_volume_type").and_then(|v| v.as_str().map(str::to_string)) {
            if !VOLUME_TYPES.contains(&t.as_str()) {
                out.push(Diagnostic::field(&decl.name, "root_volume_type", format!("{t:?} is not one of {}", VOLUME_TYPES.join(", "))));
            }
        }
    }

    fn warnings(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known("root_volume_encrypted") == Some(Value::Bool(false)) {
            out.push(Diagnostic::field(&decl.name, "root_volume_encrypted", "the root volume will not be encrypted"));
        }
        if decl.known("imdsv2_required") == Some(Value::Bool(false)) {
            out.push(Diagnostic::field(&decl.name, "imdsv2_required", "IMDSv1 is allowed; SSRF can read instance credentials"));
        }
    }

    fn normalize(&self, props: &mut Props) {
        sort_list(props, "security_group_ids");
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove("user_data");
        if let Some(t) = want.get("tags").cloned() {
            want.insert("tags".into(), strip_user_data_tag(t));
        }
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    fn update_warning(&self, diff: &Diff) -> Option<String> {
        diff.changed("instance_type").map(|_| "the instance is stopped, resized and started again".to_string())
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(30),
            Op::Delete => Duration::from_secs(45),
            Op::Update => Duration::from_secs(60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // The most a page may hold (without it, pages are server-sized:
        // moto answers 100 at a time).
        let list = crate::client(&self.aws, &scope.region).describe_instances().filters(stack_filter(scope)).max_results(1000);
        let reservations = strata_aws::error::all_pages(list.into_paginator().items().send(), "DescribeInstances").await?;
        let live: Vec<_> = reservations.iter().flat_map(|r| r.instances()).filter(|i| is_live(i)).cloned().collect();
        self.observe_all(&scope.region, &live).await
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match self.describe(region, id).await?.filter(is_live) {
            Some(i) => Ok(self.observe_all(region, &[i]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let ami = s(desired, "ami").ok_or_else(|| missing("RunInstances", "ami"))?;
        let root_device = c
            .describe_images()
            .image_ids(&ami)
            .send()
            .await
            .map_err(err("DescribeImages"))?
            .images()
            .first()
            .and_then(|i| i.root_device_name())
            .unwrap_or("/dev/sda1")
            .to_string();
        let mut tags = props_tags(desired);
        if let Some(h) = s(desired, "user_data_sha256") {
            tags.insert(USER_DATA_TAG.into(), h);
        }
        let spec = |rt: ResourceType| {
            let mut b = TagSpecification::builder().resource_type(rt);
            for (k, v) in &tags {
                b = b.tags(Tag::builder().key(k).value(v).build());
            }
            b.build()
        };
        let volume = EbsBlockDevice::builder()
            .volume_size(i32::try_from(desired.get("root_volume_size").and_then(Value::as_int).unwrap_or(8)).unwrap_or(8))
            .volume_type(VolumeType::from(s(desired, "root_volume_type").unwrap_or_else(|| "gp3".into()).as_str()))
            .encrypted(b(desired, "root_volume_encrypted"))
            .delete_on_termination(true)
            .build();
        let user_data = desired.get("user_data").map(Value::expose).and_then(|v| v.as_str().map(str::to_string));
        let mut req = c
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::from(s(desired, "instance_type").unwrap_or_default().as_str()))
            .subnet_id(s(desired, "subnet_id").ok_or_else(|| missing("RunInstances", "subnet_id"))?)
            .set_security_group_ids(Some(str_list(desired, "security_group_ids")))
            .min_count(1)
            .max_count(1)
            .client_token(&cx.idempotency_token)
            .block_device_mappings(BlockDeviceMapping::builder().device_name(root_device).ebs(volume).build())
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(if b(desired, "imdsv2_required") { HttpTokensState::Required } else { HttpTokensState::Optional })
                    .build(),
            )
            .tag_specifications(spec(ResourceType::Instance))
            .tag_specifications(spec(ResourceType::Volume));
        if let Some(k) = s(desired, "key_name") {
            req = req.key_name(k);
        }
        if let Some(p) = s(desired, "iam_instance_profile") {
            req = req.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
        }
        if let Some(u) = user_data {
            req = req.user_data(base64(u.as_bytes()));
        }
        let out = req.send().await.map_err(err("RunInstances"))?;
        let id = out.instances().first().and_then(|i| i.instance_id()).ok_or_else(|| strata_aws::lacks("RunInstances", "InstanceId", &cx.name))?.to_string();
        let running = self.wait_state(cx, &id, InstanceStateName::Running).await?;
        let mut o = self.observe_all(&cx.region, &[running]).await?.pop().unwrap_or_else(|| Observed::new(Instance::KIND, &id, &cx.region));
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            let mut want = desired.clone();
            want.insert("tags".into(), strip_user_data_tag(desired.get("tags").cloned().unwrap_or(Value::Null)));
            update_tags(&c, &actual.id, actual, &want).await?;
        }
        if diff.changed("security_group_ids").is_some() {
            c.modify_instance_attribute()
                .instance_id(&actual.id)
                .set_groups(Some(str_list(desired, "security_group_ids")))
                .send()
                .await
                .map_err(err("ModifyInstanceAttribute"))?;
        }
        if diff.changed("imdsv2_required").is_some() {
            c.modify_instance_metadata_options()
                .instance_id(&actual.id)
                .http_tokens(if b(desired, "imdsv2_required") { HttpTokensState::Required } else { HttpTokensState::Optional })
                .send()
                .await
                .map_err(err("ModifyInstanceMetadataOptions"))?;
        }
        if diff.changed("instance_type").is_some() {
            tracing::warn!(resource = %cx.name, "changing the instance type: stopping, modifying and starting the instance");
            c.stop_instances().instance_ids(&actual.id).send().await.map_err(err("StopInstances"))?;
            self.wait_state(cx, &actual.id, InstanceStateName::Stopped).await?;
            c.modify_instance_attribute()
                .instance_id(&actual.id)
                .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value(s(desired, "instance_type").unwrap_or_default()).build())
                .send()
                .await
                .map_err(err("ModifyInstanceAttribute"))?;
            c.start_instances().instance_ids(&actual.id).send().await.map_err(err("StartInstances"))?;
            self.wait_state(cx, &actual.id, InstanceStateName::Running).await?;
        }
        let mut o = match self.describe(&cx.region, &actual.id).await? {
            Some(i) => self.observe_all(&cx.region, &[i]).await?.pop().unwrap_or_else(|| actual.clone()),
            None => actual.clone(),
        };
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).terminate_instances().instance_ids(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("TerminateInstances")))?;
        let what = format!("instance {} to terminate", actual.id);
        wait_until(&what, cx.timeout, cx.poll, || async {
            Ok(match self.describe(&cx.region, &actual.id).await? {
                None => Some(()),
                Some(i) if !is_live(&i) => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}

/// Standard base64 (user data must be sent encoded).
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"#!/bin/bash\n"), "IyEvYmluL2Jhc2gK");
    }

    #[test]
    fn user_data_is_hashed_and_secret() {
        let inputs = Instance::new("ami-1", "t3.micro", "subnet-1").user_data("echo hi").into_inputs();
        let sha = inputs["user_data_sha256"].known().unwrap();
        assert_eq!(sha.as_str().map(str::len), Some(64));
        assert!(inputs["user_data"].known().unwrap().is_secret());
    }
}
