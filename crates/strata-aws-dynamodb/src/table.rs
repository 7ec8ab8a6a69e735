//! `aws:dynamodb:Table`: a table with its keys, capacity, global secondary
//! indexes, stream, TTL, point-in-time recovery, encryption and deletion
//! protection.
//!
//! The keys replace the table (salted into its derived name, so that the new
//! table is made before the old one goes). Everything else changes in place,
//! one `UpdateTable` per kind of change, each waited for: DynamoDB takes one
//! change of a table at a time, and one index created or deleted a call. An
//! index whose keys or projection change is deleted, then created again (AWS
//! cannot change either); a stream whose view type changes is turned off,
//! then on. Point-in-time recovery and TTL have calls of their own.
//!
//! Deletion protection is honoured: a protected table is not deleted, and the
//! destroy fails naming it until the program turns the protection off.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, SseSpecification, SseStatus, SseType, StreamSpecification,
    StreamViewType, TableClass, TableDescription, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
    UpdateGlobalSecondaryIndexAction,
};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Values, Want};
use strata_aws::naming::{derived_id, IdRules};
use strata_aws::Aws;
use strata_core::{Diagnostic, Input, Props, ResourceDecl, Stack, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, DynamoTags};

strata_aws::kind_fields! {
    /// A DynamoDB table.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_dynamodb::{GlobalIndex, Table};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let orders = stack.add(
    ///     "orders",
    ///     Table::new("customer_id", "S")
    ///         .sort_key("order_id", "S")
    ///         .attribute("status", "S")
    ///         .global_index(GlobalIndex::new("by-status", "status").sort_key("order_id").keys_only())
    ///         .ttl_attribute("expires_at")
    ///         .stream("NEW_AND_OLD_IMAGES")
    ///         .kms_key("arn:aws:kms:eu-central-1:111122223333:key/0123")
    ///         .deletion_protection(true),
    /// );
    /// let _ = (orders.arn(), orders.stream_arn());
    /// ```
    pub struct Table: "aws:dynamodb:Table";
    values TableValues;
    handle TableHandle / TableOutputs { arn, table_name, stream_arn };
    fields {
        /// The table's name (default: derived from the stack, the logical name and the keys).
        name: str [replace];
        /// The partition key's attribute (DynamoDB's `HASH` key).
        hash_key: str [replace required];
        /// Its type: `S`, `N` or `B`.
        hash_key_type: str [replace] = "S";
        /// The sort key's attribute (DynamoDB's `RANGE` key), if any.
        range_key: str [replace cleared];
        /// Its type: `S`, `N` or `B`.
        range_key_type: str [replace cleared];
        /// The other attributes the indexes use as keys, with their types.
        attributes: map [update];
        /// `PAY_PER_REQUEST` (on demand, the default) or `PROVISIONED`.
        billing_mode: str [update] = "PAY_PER_REQUEST";
        /// Provisioned read capacity units (the table's and each index's).
        read_capacity: int [update cleared];
        /// Provisioned write capacity units (the table's and each index's).
        write_capacity: int [update cleared];
        /// The global secondary indexes (see [`GlobalIndex`]).
        global_indexes: list [update];
        /// The stream's view type (`KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`); none by default.
        stream_view_type: str [update cleared];
        /// The attribute holding each item's expiry time (epoch seconds); none by default.
        ttl_attribute: str [update cleared];
        /// Point-in-time recovery (continuous backups; default: on).
        point_in_time_recovery: bool [update] = true;
        /// Encrypt with this customer-managed KMS key (its ARN); default: DynamoDB's own key.
        kms_key_arn: str [update cleared];
        /// `STANDARD` (the default) or `STANDARD_INFREQUENT_ACCESS`.
        table_class: str [update] = "STANDARD";
        /// Refuse to delete the table (default: off).
        deletion_protection: bool [update] = false;
    }
}

/// A global secondary index: its keys (attributes of the table) and what it
/// projects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalIndex {
    name: String,
    partition_key: String,
    sort_key: Option<String>,
    projection: &'static str,
    non_key_attributes: Vec<String>,
}

impl GlobalIndex {
    /// An index named `name` partitioned by `partition_key`, projecting every attribute.
    pub fn new(name: impl Into<String>, partition_key: impl Into<String>) -> Self {
        GlobalIndex { name: name.into(), partition_key: partition_key.into(), sort_key: None, projection: "ALL", non_key_attributes: Vec::new() }
    }

    /// Sort the index by this attribute.
    pub fn sort_key(mut self, attribute: impl Into<String>) -> Self {
        self.sort_key = Some(attribute.into());
        self
    }

    /// Project only the keys.
    pub fn keys_only(mut self) -> Self {
        self.projection = "KEYS_ONLY";
        self.non_key_attributes.clear();
        self
    }

    /// Project the keys and these attributes.
    pub fn include<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.projection = "INCLUDE";
        self.non_key_attributes = attributes.into_iter().map(Into::into).collect();
        self
    }

    fn into_value(self) -> Value {
        Value::Map(BTreeMap::from([
            ("name".to_string(), Value::Str(self.name)),
            ("partition_key".to_string(), Value::Str(self.partition_key)),
            ("sort_key".to_string(), self.sort_key.map_or(Value::Null, Value::Str)),
            ("projection".to_string(), Value::str(self.projection)),
            ("non_key_attributes".to_string(), Value::List(self.non_key_attributes.into_iter().map(Value::Str).collect())),
        ]))
    }
}

impl Table {
    /// An on-demand table partitioned by `partition_key` of type `key_type`
    /// (`S`, `N` or `B`), with point-in-time recovery and no stream.
    pub fn new(partition_key: impl Into<strata_core::Arg<String>>, key_type: &str) -> Self {
        Self::empty().hash_key(partition_key).hash_key_type(key_type)
    }

    /// A table with this name.
    pub fn named(self, name: impl Into<strata_core::Arg<String>>) -> Self {
        self.name(name)
    }

    /// Sort items by `attribute` of type `key_type`.
    pub fn sort_key(self, attribute: impl Into<strata_core::Arg<String>>, key_type: &str) -> Self {
        self.range_key(attribute).range_key_type(key_type)
    }

    /// Declare an attribute an index uses as a key, with its type.
    pub fn attribute(self, name: impl Into<String>, attribute_type: &str) -> Self {
        self.put(V::attributes, name, Input::Known(Value::str(attribute_type)))
    }

    /// Add a global secondary index.
    pub fn global_index(self, index: GlobalIndex) -> Self {
        self.push(V::global_indexes, Input::Known(index.into_value()))
    }

    /// Provisioned capacity (read and write units) instead of on demand.
    pub fn provisioned(self, read: i64, write: i64) -> Self {
        self.billing_mode("PROVISIONED").read_capacity(read).write_capacity(write)
    }

    /// Turn the stream on with this view type.
    pub fn stream(self, view_type: &str) -> Self {
        self.stream_view_type(view_type)
    }

    /// Encrypt with a customer-managed KMS key (its ARN or an output).
    pub fn kms_key(self, key_arn: impl Into<strata_core::Arg<String>>) -> Self {
        self.kms_key_arn(key_arn)
    }
}

type V = TableValues;

/// The kind behind [`Table`].
pub(crate) struct Tables;

/// A table as read, with its point-in-time recovery and TTL once completed.
pub(crate) struct Item {
    table: TableDescription,
    pitr: Option<bool>,
    ttl: Option<String>,
}

/// Table names: 3 to 255 of A-Z a-z 0-9 _ - .
const TABLE_NAME: IdRules = IdRules { max_len: 255, min_len: 3, lowercase: false };

const TYPES: [&str; 3] = ["S", "N", "B"];
const VIEW_TYPES: [&str; 4] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

fn key(attribute: &str, key_type: KeyType) -> Result<KeySchemaElement, ProviderError> {
    KeySchemaElement::builder().attribute_name(attribute).key_type(key_type).build().map_err(|e| invalid("CreateTable", e.to_string()))
}

/// One index's declared parts.
struct Index {
    name: String,
    partition_key: String,
    sort_key: Option<String>,
    projection: String,
    non_key: Vec<String>,
}

impl Index {
    fn of(v: &Value) -> Option<Index> {
        let m = v.as_map()?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Index {
            name: s("name")?,
            partition_key: s("partition_key")?,
            sort_key: s("sort_key"),
            projection: s("projection").unwrap_or_else(|| "ALL".into()),
            non_key: m.get("non_key_attributes").and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect(),
        })
    }

    fn keys(&self) -> Result<Vec<KeySchemaElement>, ProviderError> {
        let mut keys = vec![key(&self.partition_key, KeyType::Hash)?];
        if let Some(s) = &self.sort_key {
            keys.push(key(s, KeyType::Range)?);
        }
        Ok(keys)
    }

    fn projection(&self) -> Projection {
        let p = Projection::builder().projection_type(ProjectionType::from(self.projection.as_str()));
        p.set_non_key_attributes((self.projection == "INCLUDE").then(|| self.non_key.clone())).build()
    }

    fn sdk(&self, throughput: Option<&ProvisionedThroughput>) -> Result<GlobalSecondaryIndex, ProviderError> {
        let b = GlobalSecondaryIndex::builder().index_name(&self.name).set_key_schema(Some(self.keys()?)).projection(self.projection());
        b.set_provisioned_throughput(throughput.cloned()).build().map_err(|e| invalid("CreateTable", e.to_string()))
    }

    fn create_action(&self, throughput: Option<&ProvisionedThroughput>) -> Result<CreateGlobalSecondaryIndexAction, ProviderError> {
        let b = CreateGlobalSecondaryIndexAction::builder().index_name(&self.name).set_key_schema(Some(self.keys()?)).projection(self.projection());
        b.set_provisioned_throughput(throughput.cloned()).build().map_err(|e| invalid("UpdateTable", e.to_string()))
    }
}

fn indexes(v: &V) -> Vec<Index> {
    v.global_indexes.as_deref().unwrap_or_default().iter().filter_map(Index::of).collect()
}

/// The declared provisioned throughput (none on demand).
fn throughput(v: &V) -> Result<Option<ProvisionedThroughput>, ProviderError> {
    if v.billing_mode.as_deref() != Some("PROVISIONED") {
        return Ok(None);
    }
    let b = ProvisionedThroughput::builder().set_read_capacity_units(v.read_capacity).set_write_capacity_units(v.write_capacity);
    b.build().map(Some).map_err(|e| invalid("CreateTable", format!("provisioned capacity: {e}")))
}

/// The attribute definitions the keys of the table and of `indexes` need.
fn definitions(v: &V, indexes: &[&Index]) -> Result<Vec<AttributeDefinition>, ProviderError> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let declared = v.attributes.clone().unwrap_or_default();
    if let Some(pk) = &v.hash_key {
        types.insert(pk.clone(), v.hash_key_type.clone().unwrap_or_else(|| "S".into()));
    }
    if let (Some(sk), Some(t)) = (&v.range_key, &v.range_key_type) {
        types.insert(sk.clone(), t.clone());
    }
    for i in indexes {
        for a in std::iter::once(&i.partition_key).chain(&i.sort_key) {
            if !types.contains_key(a) {
                let t = declared.get(a).ok_or_else(|| invalid("CreateTable", format!("index {}: attribute {a:?} has no declared type", i.name)))?;
                types.insert(a.clone(), t.clone());
            }
        }
    }
    types
        .into_iter()
        .map(|(a, t)| {
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::from(t.as_str()))
                .build()
                .map_err(|e| invalid("CreateTable", e.to_string()))
        })
        .collect()
}

fn stream_spec(view: Option<&str>) -> Result<StreamSpecification, ProviderError> {
    let b = StreamSpecification::builder().stream_enabled(view.is_some()).set_stream_view_type(view.map(StreamViewType::from));
    b.build().map_err(|e| invalid("UpdateTable", e.to_string()))
}

fn sse(key: Option<&str>) -> SseSpecification {
    match key {
        Some(k) => SseSpecification::builder().enabled(true).sse_type(SseType::Kms).kms_master_key_id(k).build(),
        // Off means DynamoDB's own key (a table is always encrypted).
        None => SseSpecification::builder().enabled(false).build(),
    }
}

async fn describe(aws: &Aws, region: &str, name: &str) -> Result<Option<TableDescription>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_table().table_name(name).send().await.map_err(err("DescribeTable")))?;
    Ok(out.and_then(|o| o.table().cloned()))
}

fn settled_now(t: &TableDescription) -> bool {
    t.table_status() == Some(&TableStatus::Active) && t.global_secondary_indexes().iter().all(|i| i.index_status() == Some(&IndexStatus::Active))
}

/// Wait until the table (and each index) is `ACTIVE`: it takes the next change.
async fn wait_active(aws: &Aws, cx: &OpContext, name: &str) -> Result<(), ProviderError> {
    let what = format!("DynamoDB table {name} (`{}`) to finish its update", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async { Ok(describe(aws, &cx.region, name).await?.filter(settled_now).map(|_| ())) }).await
}

type UpdateCall = aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;

/// One `UpdateTable`, waited for.
async fn update_table(aws: &Aws, cx: &OpContext, name: &str, f: impl FnOnce(UpdateCall) -> UpdateCall) -> Result<(), ProviderError> {
    f(client(aws, &cx.region).update_table().table_name(name)).send().await.map_err(err("UpdateTable"))?;
    wait_active(aws, cx, name).await
}

async fn set_pitr(aws: &Aws, region: &str, name: &str, on: bool) -> Result<(), ProviderError> {
    let spec = PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(on).build().map_err(|e| invalid("UpdateContinuousBackups", e.to_string()))?;
    let call = client(aws, region).update_continuous_backups().table_name(name).point_in_time_recovery_specification(spec);
    call.send().await.map(|_| ()).map_err(err("UpdateContinuousBackups"))
}

async fn set_ttl(aws: &Aws, region: &str, name: &str, attribute: &str, on: bool) -> Result<(), ProviderError> {
    let spec = TimeToLiveSpecification::builder().enabled(on).attribute_name(attribute).build().map_err(|e| invalid("UpdateTimeToLive", e.to_string()))?;
    client(aws, region).update_time_to_live().table_name(name).time_to_live_specification(spec).send().await.map(|_| ()).map_err(err("UpdateTimeToLive"))
}

fn index_value(i: &aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription) -> Value {
    let key_of = |t: KeyType| i.key_schema().iter().find(|k| *k.key_type() == t).map(|k| Value::str(k.attribute_name()));
    let projection = i.projection();
    let mut non_key: Vec<Value> = projection.map(|p| p.non_key_attributes()).unwrap_or_default().iter().map(Value::str).collect();
    non_key.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Value::Map(BTreeMap::from([
        ("name".to_string(), i.index_name().map_or(Value::Null, Value::str)),
        ("partition_key".to_string(), key_of(KeyType::Hash).unwrap_or(Value::Null)),
        ("sort_key".to_string(), key_of(KeyType::Range).unwrap_or(Value::Null)),
        ("projection".to_string(), Value::str(projection.and_then(Projection::projection_type).map_or("ALL", ProjectionType::as_str))),
        ("non_key_attributes".to_string(), Value::List(non_key)),
    ]))
}

#[async_trait]
impl Kind for Tables {
    type Builder = Table;
    type Item = Item;
    type Tags = DynamoTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Item) -> Option<&str> {
        item.table.table_name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.table.table_arn().map(str::to_string)
    }

    fn life(item: &Item) -> Life {
        match item.table.table_status() {
            Some(TableStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Item) -> Result<bool, ProviderError> {
        Ok(settled_now(&item.table))
    }

    fn observe(item: &Item) -> Seen<Table> {
        let t = &item.table;
        let key_of = |kt: KeyType| t.key_schema().iter().find(|k| *k.key_type() == kt).map(|k| k.attribute_name().to_string());
        let type_of = |a: &str| t.attribute_definitions().iter().find(|d| d.attribute_name() == a).map(|d| d.attribute_type().as_str().to_string());
        let (pk, sk) = (key_of(KeyType::Hash), key_of(KeyType::Range));
        let mut gsis: Vec<Value> = t.global_secondary_indexes().iter().map(index_value).collect();
        gsis.sort_by(|a, b| a.as_map().and_then(|m| m.get("name")).and_then(Value::as_str).cmp(&b.as_map().and_then(|m| m.get("name")).and_then(Value::as_str)));
        let keys: BTreeSet<&str> = [pk.as_deref(), sk.as_deref()].into_iter().flatten().collect();
        let attributes = t
            .attribute_definitions()
            .iter()
            .filter(|d| !keys.contains(d.attribute_name()))
            .map(|d| (d.attribute_name().to_string(), d.attribute_type().as_str().to_string()))
            .collect();
        let billing = t.billing_mode_summary().and_then(|b| b.billing_mode()).map_or("PROVISIONED", BillingMode::as_str).to_string();
        let provisioned = billing == "PROVISIONED";
        let pt = t.provisioned_throughput();
        let stream = t.stream_specification().filter(|s| s.stream_enabled()).and_then(|s| s.stream_view_type()).map(|v| v.as_str().to_string());
        let kms = t.sse_description().filter(|s| s.status() == Some(&SseStatus::Enabled) && s.sse_type() == Some(&SseType::Kms));
        Seen {
            values: V {
                name: t.table_name().map(str::to_string),
                hash_key_type: pk.as_deref().and_then(type_of),
                range_key_type: sk.as_deref().and_then(type_of),
                hash_key: pk,
                range_key: sk,
                attributes: Some(attributes),
                billing_mode: Some(billing),
                read_capacity: pt.filter(|_| provisioned).and_then(|p| p.read_capacity_units()),
                write_capacity: pt.filter(|_| provisioned).and_then(|p| p.write_capacity_units()),
                global_indexes: Some(gsis),
                stream_view_type: stream,
                ttl_attribute: item.ttl.clone(),
                point_in_time_recovery: item.pitr,
                kms_key_arn: kms.and_then(|s| s.kms_master_key_arn()).map(str::to_string),
                table_class: Some(t.table_class_summary().and_then(|c| c.table_class()).map_or("STANDARD", TableClass::as_str).to_string()),
                deletion_protection: Some(t.deletion_protection_enabled().unwrap_or(false)),
                ..V::default()
            },
            outputs: TableOutputs {
                arn: t.table_arn().map(str::to_string),
                table_name: t.table_name().map(str::to_string),
                stream_arn: t.latest_stream_arn().filter(|_| t.stream_specification().is_some_and(|s| s.stream_enabled())).map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        let Some(name) = item.table.table_name().map(str::to_string) else { return Ok(item) };
        let c = client(aws, region);
        let backups = c.describe_continuous_backups().table_name(&name).send().await.map_err(err("DescribeContinuousBackups"))?;
        let pitr = backups.continuous_backups_description().and_then(|d| d.point_in_time_recovery_description()).and_then(|p| p.point_in_time_recovery_status());
        item.pitr = Some(pitr.is_some_and(|s| s.as_str() == "ENABLED"));
        let ttl = c.describe_time_to_live().table_name(&name).send().await.map_err(err("DescribeTimeToLive"))?;
        let ttl = ttl.time_to_live_description();
        let on = ttl.and_then(|t| t.time_to_live_status()).is_some_and(|s| matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
        item.ttl = ttl.filter(|_| on).and_then(|t| t.attribute_name()).map(str::to_string);
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // ListTables has no tag filter: each table is described, and the
        // kernel reads the tags of each (bounded) to keep the stack's.
        let pages = all_pages(client(aws, &scope.region).list_tables().into_paginator().send(), "ListTables").await?;
        let mut out = Vec::new();
        for name in pages.iter().flat_map(|p| p.table_names()) {
            out.extend(describe(aws, &scope.region, name).await?.map(|table| Item { table, pitr: None, ttl: None }));
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        Ok(describe(aws, region, id).await?.map(|table| Item { table, pitr: None, ttl: None }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Table>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let salt = format!(
            "{}:{}/{}:{}",
            v.hash_key.as_deref().unwrap_or_default(),
            v.hash_key_type.as_deref().unwrap_or_default(),
            v.range_key.as_deref().unwrap_or_default(),
            v.range_key_type.as_deref().unwrap_or_default()
        );
        let name = v.name.clone().unwrap_or_else(|| derived_id(TABLE_NAME, &cx.stack, &cx.name, &salt));
        let pk = v.hash_key.as_deref().ok_or_else(|| invalid("CreateTable", format!("`{}`: no partition key", cx.name)))?;
        let mut keys = vec![key(pk, KeyType::Hash)?];
        if let Some(sk) = &v.range_key {
            keys.push(key(sk, KeyType::Range)?);
        }
        let idx = indexes(v);
        let tp = throughput(v)?;
        let gsis = idx.iter().map(|i| i.sdk(tp.as_ref())).collect::<Result<Vec<_>, _>>()?;
        let c = client(aws, &cx.region);
        let out = c
            .create_table()
            .table_name(&name)
            .set_attribute_definitions(Some(definitions(v, &idx.iter().collect::<Vec<_>>())?))
            .set_key_schema(Some(keys))
            .billing_mode(BillingMode::from(v.billing_mode.as_deref().unwrap_or("PAY_PER_REQUEST")))
            .set_provisioned_throughput(tp.clone())
            .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
            .set_stream_specification(v.stream_view_type.as_deref().map(|s| stream_spec(Some(s))).transpose()?)
            .set_sse_specification(v.kms_key_arn.as_deref().map(|k| sse(Some(k))))
            .table_class(TableClass::from(v.table_class.as_deref().unwrap_or("STANDARD")))
            .deletion_protection_enabled(v.deletion_protection == Some(true))
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateTable"))?;
        let table = out.table_description().cloned().ok_or_else(|| strata_aws::lacks("CreateTable", "TableDescription", &cx.name))?;
        // Backups and TTL are set once the table is ACTIVE (AWS refuses them before).
        let pitr = v.point_in_time_recovery == Some(true);
        if pitr || v.ttl_attribute.is_some() {
            wait_active(aws, cx, &name).await?;
        }
        if pitr {
            set_pitr(aws, &cx.region, &name, true).await?;
        }
        if let Some(a) = &v.ttl_attribute {
            set_ttl(aws, &cx.region, &name, a, true).await?;
        }
        Ok(Created::Item(Item { table, pitr: Some(pitr), ttl: v.ttl_attribute.clone() }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Table>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = actual.id.as_str();
        let have = <V as Values>::from_props(&actual.props);
        let tp = throughput(v)?;
        let (want_idx, have_idx) = (indexes(v), indexes(&have));
        let same = |a: &Index, b: &Index| a.partition_key == b.partition_key && a.sort_key == b.sort_key && a.projection == b.projection && a.non_key == b.non_key;
        if [V::billing_mode, V::read_capacity, V::write_capacity].iter().any(|f| diff.changed(f).is_some()) {
            // The kept indexes follow the table's capacity.
            let kept: Vec<GlobalSecondaryIndexUpdate> = match &tp {
                Some(tp) => have_idx
                    .iter()
                    .filter(|h| want_idx.iter().any(|w| w.name == h.name))
                    .map(|h| {
                        let a = UpdateGlobalSecondaryIndexAction::builder().index_name(&h.name).provisioned_throughput(tp.clone()).build();
                        a.map(|a| GlobalSecondaryIndexUpdate::builder().update(a).build()).map_err(|e| invalid("UpdateTable", e.to_string()))
                    })
                    .collect::<Result<_, _>>()?,
                None => Vec::new(),
            };
            let mode = BillingMode::from(v.billing_mode.as_deref().unwrap_or("PAY_PER_REQUEST"));
            update_table(aws, cx, name, |u| u.billing_mode(mode).set_provisioned_throughput(tp.clone()).set_global_secondary_index_updates((!kept.is_empty()).then_some(kept))).await?;
        }
        if diff.changed(V::global_indexes).is_some() || diff.changed(V::attributes).is_some() {
            // One index a call: the dropped and changed ones go first, then the new ones come.
            for h in have_idx.iter().filter(|h| !want_idx.iter().any(|w| w.name == h.name && same(w, h))) {
                let del = DeleteGlobalSecondaryIndexAction::builder().index_name(&h.name).build().map_err(|e| invalid("UpdateTable", e.to_string()))?;
                update_table(aws, cx, name, |u| u.global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().delete(del).build())).await?;
            }
            for w in want_idx.iter().filter(|w| !have_idx.iter().any(|h| h.name == w.name && same(w, h))) {
                let create = w.create_action(tp.as_ref())?;
                let defs = definitions(v, &[w])?;
                update_table(aws, cx, name, |u| u.set_attribute_definitions(Some(defs)).global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())).await?;
            }
        }
        if diff.changed(V::stream_view_type).is_some() {
            if have.stream_view_type.is_some() {
                let off = stream_spec(None)?;
                update_table(aws, cx, name, |u| u.stream_specification(off)).await?;
            }
            if let Some(view) = v.stream_view_type.as_deref() {
                let spec = stream_spec(Some(view))?;
                update_table(aws, cx, name, |u| u.stream_specification(spec)).await?;
            }
        }
        if diff.changed(V::kms_key_arn).is_some() {
            update_table(aws, cx, name, |u| u.sse_specification(sse(v.kms_key_arn.as_deref()))).await?;
        }
        if diff.changed(V::table_class).is_some() {
            let class = TableClass::from(v.table_class.as_deref().unwrap_or("STANDARD"));
            update_table(aws, cx, name, |u| u.table_class(class)).await?;
        }
        if diff.changed(V::deletion_protection).is_some() {
            update_table(aws, cx, name, |u| u.deletion_protection_enabled(v.deletion_protection == Some(true))).await?;
        }
        if diff.changed(V::point_in_time_recovery).is_some() {
            set_pitr(aws, &cx.region, name, v.point_in_time_recovery == Some(true)).await?;
        }
        if diff.changed(V::ttl_attribute).is_some() {
            // TTL moves to another attribute by turning it off, then on.
            if let Some(old) = &have.ttl_attribute {
                set_ttl(aws, &cx.region, name, old, false).await?;
            }
            if let Some(new) = &v.ttl_attribute {
                set_ttl(aws, &cx.region, name, new, true).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if actual.props.get(V::deletion_protection).and_then(Value::as_bool) == Some(true) {
            return Err(invalid(
                "DeleteTable",
                format!("DynamoDB table {} (`{}`) has deletion protection on: turn it off (.deletion_protection(false)) and apply before it can be deleted", actual.id, cx.name),
            ));
        }
        client(aws, &cx.region).delete_table().table_name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteTable"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::global_indexes) {
            for i in l.iter_mut() {
                if let Value::Map(m) = i {
                    if let Some(Value::List(n)) = m.get_mut("non_key_attributes") {
                        n.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                        n.dedup();
                    }
                }
            }
            l.sort_by(|a, b| a.as_map().and_then(|m| m.get("name")).and_then(Value::as_str).cmp(&b.as_map().and_then(|m| m.get("name")).and_then(Value::as_str)));
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(n) = known(V::name) {
            let ok = (3..=255).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
            if !ok {
                out.push(Diagnostic::field(r, V::name, format!("{n:?} is not a table name (3 to 255 of A-Z a-z 0-9 _ - .)")));
            }
        }
        let type_ok = |f: &str, t: &str, out: &mut Vec<Diagnostic>| {
            if !TYPES.contains(&t) {
                out.push(Diagnostic::field(r, f, format!("{t:?} is not an attribute type a key can have (S, N or B)")));
            }
        };
        let mut types: BTreeMap<String, String> = BTreeMap::new();
        if let (Some(pk), Some(t)) = (known(V::hash_key), known(V::hash_key_type)) {
            type_ok(V::hash_key_type, &t, out);
            types.insert(pk, t);
        }
        match (known(V::range_key), known(V::range_key_type)) {
            (Some(sk), Some(t)) => {
                type_ok(V::range_key_type, &t, out);
                if types.contains_key(&sk) {
                    out.push(Diagnostic::field(r, V::range_key, format!("{sk:?} is the partition key already")));
                }
                types.insert(sk, t);
            }
            (None, Some(_)) => out.push(Diagnostic::field(r, V::range_key_type, "a sort key type without a sort key")),
            _ => {}
        }
        let declared: BTreeMap<String, String> = match decl.known(V::attributes) {
            Some(Value::Map(m)) => m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect(),
            _ => BTreeMap::new(),
        };
        for (a, t) in &declared {
            type_ok(V::attributes, t, out);
            if types.contains_key(a) {
                out.push(Diagnostic::field(r, V::attributes, format!("{a:?} is a key of the table: its type is the key's")));
            }
        }
        let gsis: Vec<Index> = match decl.known(V::global_indexes) {
            Some(Value::List(l)) => l.iter().filter_map(Index::of).collect(),
            _ => Vec::new(),
        };
        if gsis.len() > 20 {
            out.push(Diagnostic::field(r, V::global_indexes, format!("{} global secondary indexes: DynamoDB allows 20 a table", gsis.len())));
        }
        let mut used = BTreeSet::new();
        let mut names = BTreeSet::new();
        for i in &gsis {
            if !names.insert(i.name.clone()) {
                out.push(Diagnostic::field(r, V::global_indexes, format!("two indexes are named {:?}", i.name)));
            }
            if !(3..=255).contains(&i.name.len()) || !i.name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
                out.push(Diagnostic::field(r, V::global_indexes, format!("{:?} is not an index name (3 to 255 of A-Z a-z 0-9 _ - .)", i.name)));
            }
            for a in std::iter::once(&i.partition_key).chain(&i.sort_key) {
                used.insert(a.clone());
                if !types.contains_key(a) && !declared.contains_key(a) {
                    out.push(Diagnostic::field(
                        r,
                        V::global_indexes,
                        format!("index {:?} is keyed on {a:?}, which is not declared: add .attribute({a:?}, \"S\" | \"N\" | \"B\")", i.name),
                    ));
                }
            }
            if i.sort_key.as_ref() == Some(&i.partition_key) {
                out.push(Diagnostic::field(r, V::global_indexes, format!("index {:?}: the sort key is the partition key", i.name)));
            }
            if i.projection == "INCLUDE" && i.non_key.is_empty() {
                out.push(Diagnostic::field(r, V::global_indexes, format!("index {:?} includes no attribute (use keys_only())", i.name)));
            }
        }
        for a in declared.keys().filter(|a| !used.contains(*a)) {
            out.push(Diagnostic::field(r, V::attributes, format!("{a:?} is declared but no index is keyed on it (DynamoDB refuses unused attribute definitions)")));
        }
        let mode = known(V::billing_mode).unwrap_or_else(|| "PAY_PER_REQUEST".into());
        let cap = |f: &str| decl.inputs.get(f).is_some_and(|i| !matches!(i, Input::Known(Value::Null)));
        match mode.as_str() {
            "PAY_PER_REQUEST" => {
                for f in [V::read_capacity, V::write_capacity].into_iter().filter(|f| cap(f)) {
                    out.push(Diagnostic::field(r, f, "capacity is for PROVISIONED tables; this one is on demand (use provisioned(read, write))"));
                }
            }
            "PROVISIONED" => {
                for f in [V::read_capacity, V::write_capacity] {
                    match decl.known(f).and_then(|v| v.as_int()) {
                        Some(n) if n < 1 => out.push(Diagnostic::field(r, f, format!("{n} capacity units: at least 1"))),
                        None if !cap(f) => out.push(Diagnostic::field(r, f, "a PROVISIONED table needs read and write capacity (use provisioned(read, write))")),
                        _ => {}
                    }
                }
            }
            other => out.push(Diagnostic::field(r, V::billing_mode, format!("{other:?} is neither PAY_PER_REQUEST nor PROVISIONED"))),
        }
        if let Some(s) = known(V::stream_view_type).filter(|s| !VIEW_TYPES.contains(&s.as_str())) {
            out.push(Diagnostic::field(r, V::stream_view_type, format!("{s:?} is not a stream view type ({})", VIEW_TYPES.join(", "))));
        }
        if let Some(c) = known(V::table_class).filter(|c| !["STANDARD", "STANDARD_INFREQUENT_ACCESS"].contains(&c.as_str())) {
            out.push(Diagnostic::field(r, V::table_class, format!("{c:?} is neither STANDARD nor STANDARD_INFREQUENT_ACCESS")));
        }
        if let Some(k) = known(V::kms_key_arn).filter(|k| !k.starts_with("arn:")) {
            out.push(Diagnostic::field(r, V::kms_key_arn, format!("{k:?}: give the key's ARN (DynamoDB answers with it, so an id or alias would always show as a change)")));
        }
        if let Some(a) = known(V::ttl_attribute).filter(|a| a.is_empty() || a.len() > 255) {
            out.push(Diagnostic::field(r, V::ttl_attribute, format!("{a:?} is not an attribute name (1 to 255 characters)")));
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(20),
            _ => Duration::from_secs(10),
        }
    }

    fn default_timeout(_op: Op) -> Duration {
        // Building an index over a large table takes long.
        Duration::from_secs(60 * 60)
    }
}
