//! What of a stack exists, as a typed account: after a failed or interrupted deploy, before
//! and after a destroy. Read back from AWS, never assumed; `text::exists` words it.

use crate::aws::{AwsContext, Identity};
use crate::stack::StackSpec;
use crate::stack::network::{ObservedNetwork, parts};
use crate::stack::observed::Observed;
use crate::stack::plan::Resource;

/// Where one resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Exists,
    NotCreated,
    /// The secret, deleted with a recovery window.
    ScheduledForDeletion,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExistingResource {
    pub resource: Resource,
    pub name: String,
    pub standing: Standing,
}

/// The stack's resources in their listing order, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatExists {
    Read(Vec<ExistingResource>),
    Unreadable(String),
}

/// The account of `observed`: one row per resource the stack owns.
pub fn account(spec: &StackSpec, o: &Observed) -> WhatExists {
    let standing = |exists: bool| {
        if exists {
            Standing::Exists
        } else {
            Standing::NotCreated
        }
    };
    let mut rows = Vec::new();
    if let Some(net) = &o.network {
        network_rows(spec, net, &mut rows);
    }
    if let Some(name) = &spec.secret_name {
        let standing = match &o.secret {
            Some(s) if s.pending_deletion => Standing::ScheduledForDeletion,
            Some(_) => Standing::Exists,
            None => Standing::NotCreated,
        };
        rows.push(ExistingResource {
            resource: Resource::Secret,
            name: name.clone(),
            standing,
        });
    }
    let others = [
        (
            Resource::ExecutionRole,
            spec.names.execution_role(),
            o.execution_role.is_some(),
        ),
        (
            Resource::TaskRole,
            spec.names.task_role(),
            o.task_role.is_some(),
        ),
        (
            Resource::LogGroup,
            spec.names.log_group(),
            o.log_group.is_some(),
        ),
        (
            Resource::Cluster,
            spec.cluster.name().to_owned(),
            o.cluster.as_ref().is_some_and(|c| c.active),
        ),
        (
            Resource::SecurityGroup,
            spec.names.security_group(),
            o.security_group.is_some(),
        ),
        (
            Resource::EventsDeadLetterQueue,
            spec.names.events_dead_letter_queue(),
            o.events_dead_letter_queue.is_some(),
        ),
        (
            Resource::EventsQueue,
            spec.names.events_queue(),
            o.events_queue.is_some(),
        ),
        (
            Resource::EventRule,
            spec.names.events_rule(),
            o.events_rule.is_some(),
        ),
        (
            Resource::TaskDefinition,
            spec.names.task_family(),
            o.task_definition.is_some(),
        ),
        (
            Resource::Service,
            spec.names.service(),
            o.service.as_ref().is_some_and(|s| s.status != "INACTIVE"),
        ),
    ];
    for (resource, name, exists) in others {
        rows.push(ExistingResource {
            resource,
            name,
            standing: standing(exists),
        });
    }
    WhatExists::Read(rows)
}

/// The stack's own network, part by part: the parts its shape has, and any other found.
fn network_rows(spec: &StackSpec, net: &ObservedNetwork, rows: &mut Vec<ExistingResource>) {
    let Some(owned) = &spec.owned_network else {
        return;
    };
    for (resource, name) in parts(&spec.names, owned.shape) {
        let exists = match resource {
            Resource::Vpc => net.vpc.is_some(),
            Resource::Subnets => !net.subnets.is_empty(),
            Resource::InternetGateway => net.internet_gateway.is_some(),
            Resource::NatGateway => net.nat_gateway.is_some() || !net.addresses.is_empty(),
            Resource::RouteTables => !net.route_tables.is_empty(),
            _ => !net.endpoints.is_empty() || net.endpoint_group.is_some(),
        };
        rows.push(ExistingResource {
            resource,
            name,
            standing: if exists {
                Standing::Exists
            } else {
                Standing::NotCreated
            },
        });
    }
}

/// Reads the stack back from AWS and gives its account.
pub async fn read(aws: &AwsContext, spec: &StackSpec, identity: &Identity) -> WhatExists {
    match aws.observe(spec, identity, None).await {
        Ok(observed) => account(spec, &observed),
        Err(e) => WhatExists::Unreadable(e.to_string()),
    }
}
