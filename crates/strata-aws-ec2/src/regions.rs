//! Where a stack has anything, without a state file: the enabled regions of
//! the account (`DescribeRegions`), each asked through the Resource Groups
//! Tagging API for one resource tagged `strata:stack = <stack>`
//! (`GetResources`, one item a page). [`RegionScan`] serves it as the
//! discovery index of a stack that has none (a first run, a lost index
//! object, `--rescan`): the plan then lists every kind in every region the
//! program names and in every region that answered.
//!
//! The tagging API covers most services but not all (on AWS: not IAM, which
//! is global anyway; on moto also not EKS, ECR, API Gateway, Cognito or
//! CloudTrail), and it is eventually consistent: a region whose only
//! resources it does not report is not found this way.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::Aws;
use strata_engine::index::{IndexStore, StackIndex};
use strata_engine::ProviderError;

/// How many regions are asked at once.
const REGIONS_AT_ONCE: usize = 8;

/// The enabled regions of the account that hold at least one resource tagged
/// for `stack` (as far as the tagging API reports), asked from `home`.
pub async fn regions_holding(aws: &Aws, home: &str, stack: &str) -> Result<BTreeSet<String>, ProviderError> {
    use futures_util::stream::{self, StreamExt};
    let out = crate::client(aws, home).describe_regions().send().await.map_err(err("DescribeRegions"))?;
    let regions: Vec<String> = out.regions().iter().filter_map(|r| r.region_name().map(str::to_string)).collect();
    if regions.is_empty() {
        return Err(strata_aws::lacks("DescribeRegions", "region", "the account"));
    }
    // Each region on its own (the tagging API's client fails fast: a region that cannot answer is reported).
    let asks = regions.into_iter().map(|region| async move {
        let answer = strata_aws::tagging_api::holds_any(aws, &region, stack).await;
        (region, answer)
    });
    let answers: Vec<(String, Result<bool, ProviderError>)> = stream::iter(asks).buffer_unordered(REGIONS_AT_ONCE).collect().await;
    let mut found = BTreeSet::new();
    let mut failed = Vec::new();
    for (region, answer) in answers {
        match answer {
            Ok(true) => {
                found.insert(region);
            }
            Ok(false) => {}
            Err(e) => failed.push(format!("{region} ({e})")),
        }
    }
    if !failed.is_empty() {
        failed.sort();
        // Not fatal: the regions the program names are listed anyway; these others are not known.
        tracing::warn!(stack, "cannot ask the tagging API of {} region(s), so what the stack may hold there is not pruned in this run: {}", failed.len(), failed.join("; "));
    }
    Ok(found)
}

/// A stack's discovery index, and where it has none, the regions found by
/// [`regions_holding`] (each for every kind). Writes go to the inner store.
#[derive(Debug)]
pub struct RegionScan {
    aws: Aws,
    home: String,
    inner: Arc<dyn IndexStore>,
}

impl RegionScan {
    /// Read `inner`, scanning the account's regions (asked from `home`) when it holds no index.
    pub fn new(aws: &Aws, home: &str, inner: Arc<dyn IndexStore>) -> RegionScan {
        RegionScan { aws: aws.clone(), home: home.to_string(), inner }
    }
}

#[async_trait]
impl IndexStore for RegionScan {
    async fn read_index(&self, stack: &str) -> Result<Option<StackIndex>, ProviderError> {
        if let Some(ix) = self.inner.read_index(stack).await? {
            return Ok(Some(ix));
        }
        Ok(Some(StackIndex::scanned(regions_holding(&self.aws, &self.home, stack).await?)))
    }

    async fn write_index(&self, stack: &str, index: &StackIndex) -> Result<(), ProviderError> {
        self.inner.write_index(stack, index).await
    }
}
