//! The Prefect work pool's defaults: what flow runs started by the worker inherit (cluster,
//! network, execution role, the credential's secret, logs), so they run where the worker
//! runs, with the same secret, on day one.
//!
//! A value prefect-tui wrote is marked in the template (`x-prefect-tui` holds a hash of
//! it), so a later deploy can tell its own stale value (updated) from one a person set
//! (kept, unless the user asks to overwrite). Pure: no HTTP here.

use serde_json::{Value, json};

use super::desired::spec_hash;
use super::spec::StackSpec;
use crate::profile::Credential;

const MARKER: &str = "x-prefect-tui";

/// Whether `family` is one the prefect-aws worker registers for a flow run of `pool`:
/// `prefect_<pool>_<deployment or flow id>` (ecs_worker.py, `_get_or_generate_family`).
/// The id must be a UUID, so the pool `ecs` does not claim the pool `ecs_prod`'s families.
pub fn is_flow_run_family(pool: &str, family: &str) -> bool {
    family
        .strip_prefix("prefect_")
        .and_then(|rest| rest.strip_prefix(pool))
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(super::prefect_url::is_uuid)
}

/// The prefix ListTaskDefinitionFamilies narrows the pool's flow-run families with.
pub fn flow_run_family_prefix(pool: &str) -> String {
    format!("prefect_{pool}_")
}

/// Job variables the prefect-aws ECS worker reads (its job configuration has them) that
/// older published default templates leave out. When the pool's template lacks one, it is
/// added, with its place in `job_configuration`, rather than skipped: without it flow runs
/// would start without the credential.
const ADDABLE: [&str; 2] = [
    "prefect_api_key_secret_arn",
    "prefect_api_auth_string_secret_arn",
];

/// A default prefect-aws's published ECS template ships for a variable prefect-tui fills:
/// such a value, unmarked, was set by nobody (a pool the worker made from its own template
/// has them), so prefect-tui may replace it. Spot flow runs replace `FARGATE`.
fn shipped_default(name: &str) -> Option<Value> {
    match name {
        "launch_type" => Some(json!("FARGATE")),
        "match_latest_revision_in_family" => Some(json!(false)),
        _ => None,
    }
}

/// The variables prefect-tui fills, with the values it wants.
pub fn pool_defaults(
    spec: &StackSpec,
    execution_role_arn: &str,
    secret_arn: Option<&str>,
    security_group_id: &str,
    assign_public_ip: bool,
) -> Vec<(&'static str, Value)> {
    let mut wanted = vec![
        ("cluster", json!(spec.cluster.name())),
        ("vpc_id", json!(spec.vpc_id)),
        // The `awsvpcConfiguration` itself: the worker wraps it in one
        // (`_custom_network_configuration` in prefect-aws's ecs_worker.py); wrapped twice,
        // RunTask refuses every flow run ("Missing required parameter ... subnets").
        (
            "network_configuration",
            json!({
                "subnets": spec.subnet_ids,
                "securityGroups": [security_group_id],
                "assignPublicIp": if assign_public_ip { "ENABLED" } else { "DISABLED" },
            }),
        ),
        ("execution_role_arn", json!(execution_role_arn)),
        // A flow run's task definition is reused while unchanged: without this a worker
        // (after a restart, or beside another) registers a new revision for every flow
        // run and meets ECS's RegisterTaskDefinition rate limit under load. The family
        // stays the worker's default, one per deployment (`prefect_<pool>_<deployment>`),
        // so two deployments with different images do not take turns registering.
        ("match_latest_revision_in_family", json!(true)),
        ("configure_cloudwatch_logs", json!(true)),
        (
            "cloudwatch_logs_options",
            // prefect-aws writes "awslogs-create-group": "true" into every flow run's log
            // configuration unless these options say otherwise. Fargate then needs
            // logs:CreateLogGroup as the execution role, which the stack does not grant (its
            // log group is a resource of the stack: plan shows it missing and deploy makes
            // it, with its retention). Without this a flow run fails to start with
            // "failed to create Cloudwatch log group: AccessDeniedException".
            json!({
                "awslogs-group": spec.names.log_group(),
                "awslogs-region": spec.region,
                "awslogs-stream-prefix": "flow-run",
                "awslogs-create-group": "false",
            }),
        ),
    ];
    // Fargate Spot: prefect-aws turns this launch type into a capacity provider strategy
    // (`FARGATE_SPOT`, weight 1) for each flow run's RunTask. Always said, so turning Spot
    // off puts back FARGATE (the template's own default, which is then no change).
    let launch_type = if spec.monitoring.spot_flow_runs {
        "FARGATE_SPOT"
    } else {
        "FARGATE"
    };
    wanted.push(("launch_type", json!(launch_type)));
    // A worker image in the region's ECR is one the stack's subnets can pull even without
    // internet (an `endpoints` network), and prefect-aws's own flow-run default
    // (prefecthq/prefect, on Docker Hub) is not: flow runs get the worker's image, which
    // carries the same Prefect.
    if super::is_regional_ecr(&spec.image, &spec.region) {
        wanted.push(("image", json!(spec.image)));
    }
    match (spec.credential, secret_arn) {
        (Credential::ApiKey, Some(arn)) => wanted.push(("prefect_api_key_secret_arn", json!(arn))),
        (Credential::AuthString, Some(arn)) => {
            wanted.push(("prefect_api_auth_string_secret_arn", json!(arn)))
        }
        _ => {}
    }
    wanted
}

/// What happens to one pool variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolField {
    /// Set, or updated from a value prefect-tui wrote earlier.
    Set { name: String, from: Option<String> },
    /// A person set another value; kept (`--overwrite-pool-defaults` replaces it).
    KeptUserValue { name: String, value: String },
    /// The pool's template has no such variable (an older prefect-aws).
    Unsupported { name: String },
}

impl PoolField {
    /// The pool variable's name.
    pub fn name(&self) -> &str {
        match self {
            PoolField::Set { name, .. }
            | PoolField::KeptUserValue { name, .. }
            | PoolField::Unsupported { name } => name,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PoolField::Set { name, from: None } => format!("{name}: set"),
            PoolField::Set {
                name,
                from: Some(old),
            } => format!("{name}: {old} -> new value"),
            PoolField::KeptUserValue { name, value } => {
                format!(
                    "{name}: kept {value} (set outside prefect-tui; --overwrite-pool-defaults replaces it)"
                )
            }
            PoolField::Unsupported { name } => {
                format!("{name}: not in this pool's template, skipped")
            }
        }
    }

    pub fn changes_something(&self) -> bool {
        matches!(self, PoolField::Set { .. })
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 48 {
        format!("{}...", s.chars().take(45).collect::<String>())
    } else {
        s
    }
}

/// The template with the wanted defaults filled in, and what changed. Unchanged fields are
/// not listed; an unchanged template means no write is needed.
pub fn merge_defaults(
    template: &Value,
    wanted: &[(&'static str, Value)],
    overwrite: bool,
) -> (Value, Vec<PoolField>) {
    let mut merged = template.clone();
    let mut fields = Vec::new();
    for (name, value) in wanted {
        let exists = merged
            .get("variables")
            .and_then(|v| v.get("properties"))
            .and_then(|p| p.get(*name))
            .is_some();
        if !exists && ADDABLE.contains(name) {
            add_variable(&mut merged, name, value);
            fields.push(PoolField::Set {
                name: (*name).to_owned(),
                from: None,
            });
            continue;
        }
        let Some(property) = merged
            .get_mut("variables")
            .and_then(|v| v.get_mut("properties"))
            .and_then(|p| p.get_mut(*name))
            .and_then(Value::as_object_mut)
        else {
            fields.push(PoolField::Unsupported {
                name: (*name).to_owned(),
            });
            continue;
        };
        let current = property.get("default").filter(|d| !d.is_null()).cloned();
        if current.as_ref() == Some(value) {
            continue;
        }
        let ours = match (&current, property.get(MARKER).and_then(Value::as_str)) {
            (None, _) => true,
            (Some(cur), Some(mark)) => mark == spec_hash(cur),
            // Unmarked: a person's value, unless it is the one the published template
            // ships (then nobody chose it).
            (Some(cur), None) => shipped_default(name).as_ref() == Some(cur),
        };
        if ours || overwrite {
            fields.push(PoolField::Set {
                name: (*name).to_owned(),
                from: current.as_ref().map(short),
            });
            property.insert("default".to_owned(), value.clone());
            property.insert(MARKER.to_owned(), Value::String(spec_hash(value)));
        } else if let Some(cur) = current {
            fields.push(PoolField::KeptUserValue {
                name: (*name).to_owned(),
                value: short(&cur),
            });
        }
    }
    (merged, fields)
}

/// Adds a string variable with its default, and hands it to the job configuration.
fn add_variable(template: &mut Value, name: &str, value: &Value) {
    if !template.get("variables").is_some_and(Value::is_object) {
        template["variables"] = json!({ "type": "object", "properties": {} });
    }
    if !template["variables"]
        .get("properties")
        .is_some_and(Value::is_object)
    {
        template["variables"]["properties"] = json!({});
    }
    template["variables"]["properties"][name] = json!({
        "type": "string",
        "title": name.replace('_', " "),
        "description": "Secrets Manager secret with the Prefect credential, given to flow-run tasks (set by prefect-tui).",
        "default": value,
        MARKER: spec_hash(value),
    });
    if !template
        .get("job_configuration")
        .is_some_and(Value::is_object)
    {
        template["job_configuration"] = json!({});
    }
    template["job_configuration"][name] = Value::String(format!("{{{{ {name} }}}}"));
}

#[cfg(test)]
mod tests {
    #[test]
    fn flow_run_families_are_the_pools_own_with_a_uuid() {
        let id = "0b6d1c8e-3f2a-4e5b-9c7d-1a2b3c4d5e6f";
        assert!(is_flow_run_family("ecs", &format!("prefect_ecs_{id}")));
        assert!(!is_flow_run_family(
            "ecs",
            &format!("prefect_ecs_prod_{id}")
        ));
        assert!(is_flow_run_family(
            "ecs_prod",
            &format!("prefect_ecs_prod_{id}")
        ));
        assert!(!is_flow_run_family("ecs", "prefect_ecs_mine"));
        assert!(!is_flow_run_family("ecs", &format!("prefect-tui-ecs_{id}")));
        assert_eq!(flow_run_family_prefix("ecs"), "prefect_ecs_");
    }

    use super::*;

    fn template() -> Value {
        json!({
            "job_configuration": { "cluster": "{{ cluster }}" },
            "variables": { "properties": {
                "cluster": { "type": "string" },
                "vpc_id": { "type": "string", "default": "vpc-theirs" },
                "execution_role_arn": { "type": "string" },
            }}
        })
    }

    #[test]
    fn empty_defaults_are_filled_and_marked() {
        let wanted = vec![("cluster", json!("prefect-tui-prod"))];
        let (merged, fields) = merge_defaults(&template(), &wanted, false);
        assert_eq!(
            merged["variables"]["properties"]["cluster"]["default"],
            "prefect-tui-prod"
        );
        assert!(merged["variables"]["properties"]["cluster"][MARKER].is_string());
        assert_eq!(
            fields,
            vec![PoolField::Set {
                name: "cluster".into(),
                from: None
            }]
        );
        // Filling again changes nothing.
        let (again, fields) = merge_defaults(&merged, &wanted, false);
        assert_eq!(again, merged);
        assert!(fields.is_empty());
    }

    #[test]
    fn values_a_person_set_are_kept_unless_overwritten() {
        let wanted = vec![("vpc_id", json!("vpc-ours"))];
        let (merged, fields) = merge_defaults(&template(), &wanted, false);
        assert_eq!(
            merged["variables"]["properties"]["vpc_id"]["default"],
            "vpc-theirs"
        );
        assert!(
            matches!(&fields[0], PoolField::KeptUserValue { value, .. } if value == "vpc-theirs")
        );
        let (merged, fields) = merge_defaults(&template(), &wanted, true);
        assert_eq!(
            merged["variables"]["properties"]["vpc_id"]["default"],
            "vpc-ours"
        );
        assert!(fields[0].changes_something());
    }

    #[test]
    fn our_own_stale_values_are_updated_and_missing_variables_reported() {
        let (first, _) = merge_defaults(
            &template(),
            &[("execution_role_arn", json!("arn:old"))],
            false,
        );
        let (second, fields) = merge_defaults(
            &first,
            &[
                ("execution_role_arn", json!("arn:new")),
                ("task_role_arn", json!("x")),
            ],
            false,
        );
        assert_eq!(
            second["variables"]["properties"]["execution_role_arn"]["default"],
            "arn:new"
        );
        assert_eq!(
            fields[0],
            PoolField::Set {
                name: "execution_role_arn".into(),
                from: Some("arn:old".into())
            }
        );
        assert_eq!(
            fields[1],
            PoolField::Unsupported {
                name: "task_role_arn".into()
            }
        );
    }

    #[test]
    fn a_credential_variable_the_template_lacks_is_added_with_its_job_setting() {
        let (merged, fields) = merge_defaults(
            &template(),
            &[("prefect_api_key_secret_arn", json!("arn:secret"))],
            false,
        );
        assert_eq!(
            merged["variables"]["properties"]["prefect_api_key_secret_arn"]["default"],
            "arn:secret"
        );
        assert_eq!(
            merged["job_configuration"]["prefect_api_key_secret_arn"],
            "{{ prefect_api_key_secret_arn }}"
        );
        assert!(fields[0].changes_something());
        let (again, fields) = merge_defaults(
            &merged,
            &[("prefect_api_key_secret_arn", json!("arn:secret"))],
            false,
        );
        assert_eq!(again, merged);
        assert!(fields.is_empty());
    }

    #[test]
    fn spot_turned_off_puts_back_fargate_and_a_person_s_launch_type_is_kept() {
        let with_default = json!({ "variables": { "properties": {
            "launch_type": { "type": "string", "default": "FARGATE" },
        }}});
        let spot = [("launch_type", json!("FARGATE_SPOT"))];
        let plain = [("launch_type", json!("FARGATE"))];
        // Spot off on a fresh pool: the template's own default, nothing to write.
        let (same, fields) = merge_defaults(&with_default, &plain, false);
        assert_eq!(same, with_default);
        assert!(fields.is_empty());
        // Spot on over the template's own FARGATE, then off again: FARGATE comes back.
        let (on, fields) = merge_defaults(&with_default, &spot, false);
        assert_eq!(
            on["variables"]["properties"]["launch_type"]["default"],
            "FARGATE_SPOT"
        );
        assert!(fields[0].changes_something());
        let (off, fields) = merge_defaults(&on, &plain, false);
        assert_eq!(
            off["variables"]["properties"]["launch_type"]["default"],
            "FARGATE"
        );
        assert!(fields[0].changes_something());
        // A launch type a person chose (EC2) stays.
        let theirs = json!({ "variables": { "properties": {
            "launch_type": { "type": "string", "default": "EC2" },
        }}});
        // A pool the worker made from its own template: its shipped `false` is replaced.
        let workers = json!({ "variables": { "properties": {
            "match_latest_revision_in_family": { "type": "boolean", "default": false },
        }}});
        let (reuse, fields) = merge_defaults(
            &workers,
            &[("match_latest_revision_in_family", json!(true))],
            false,
        );
        assert_eq!(
            reuse["variables"]["properties"]["match_latest_revision_in_family"]["default"],
            true
        );
        assert!(fields[0].changes_something());
        let (kept, fields) = merge_defaults(&theirs, &spot, false);
        assert_eq!(
            kept["variables"]["properties"]["launch_type"]["default"],
            "EC2"
        );
        assert!(matches!(&fields[0], PoolField::KeptUserValue { .. }));
    }
}
