//! Sends the rendered ECS documents as they are.
//!
//! `render()` produces the RegisterTaskDefinition and CreateService inputs as JSON with
//! AWS's own field names, and customizations may set any field AWS accepts. Rather than
//! map every field onto the SDK's builders (and silently drop the ones not mapped), the
//! request is built by the SDK with its required members and its body is replaced with the
//! document just before signing, through the SDK's own `mutate_request` hook. Endpoint
//! resolution, signing, retries and response parsing all stay the SDK's.

use aws_sdk_ecs::types::{ContainerDefinition, Service, TaskDefinition};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use super::{AwsContext, AwsError};

fn replace_body(doc: &Value) -> impl Fn(&mut HttpRequest) + Send + Sync + 'static {
    let body = doc.to_string().into_bytes();
    move |request: &mut HttpRequest| {
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        *request.body_mut() = SdkBody::from(body.clone());
    }
}

/// The UpdateService input for a service rendered as a CreateService input: the fields
/// UpdateService accepts, the service named by `service`, and the revision to run.
pub fn update_service_document(
    create: &Value,
    task_definition_arn: &str,
    force_new_deployment: bool,
) -> Value {
    const UPDATABLE: &[&str] = &[
        "cluster",
        "desiredCount",
        "capacityProviderStrategy",
        "deploymentConfiguration",
        "networkConfiguration",
        "placementConstraints",
        "placementStrategy",
        "platformVersion",
        "healthCheckGracePeriodSeconds",
        "enableExecuteCommand",
        "enableECSManagedTags",
        "loadBalancers",
        "propagateTags",
        "serviceRegistries",
        "serviceConnectConfiguration",
        "volumeConfigurations",
    ];
    let mut update = json!({
        "service": create["serviceName"],
        "taskDefinition": task_definition_arn,
        "forceNewDeployment": force_new_deployment,
    });
    if let Some(map) = create.as_object() {
        for key in UPDATABLE {
            if let Some(v) = map.get(*key) {
                update[*key] = v.clone();
            }
        }
    }
    update
}

impl AwsContext {
    pub(super) async fn register_task_definition_document(
        &self,
        doc: &Value,
    ) -> Result<TaskDefinition, AwsError> {
        let family = doc["family"].as_str().unwrap_or_default().to_owned();
        let out = self
            .ecs
            .register_task_definition()
            .family(family)
            .container_definitions(ContainerDefinition::builder().name("replaced").build())
            .customize()
            .mutate_request(replace_body(doc))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:RegisterTaskDefinition", e))?;
        out.task_definition.ok_or_else(|| AwsError::Call {
            action: "ecs:RegisterTaskDefinition",
            kind: super::ErrorKind::Other,
            code: None,
            message: Some("the response held no task definition".to_owned()),
        })
    }

    pub(super) async fn create_service_document(&self, doc: &Value) -> Result<Service, AwsError> {
        let out = self
            .ecs
            .create_service()
            .service_name(doc["serviceName"].as_str().unwrap_or_default())
            .cluster(doc["cluster"].as_str().unwrap_or_default())
            .customize()
            .mutate_request(replace_body(doc))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:CreateService", e))?;
        out.service.ok_or_else(|| no_service("ecs:CreateService"))
    }

    pub(super) async fn update_service_document(&self, doc: &Value) -> Result<Service, AwsError> {
        let out = self
            .ecs
            .update_service()
            .service(doc["service"].as_str().unwrap_or_default())
            .cluster(doc["cluster"].as_str().unwrap_or_default())
            .customize()
            .mutate_request(replace_body(doc))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecs:UpdateService", e))?;
        out.service.ok_or_else(|| no_service("ecs:UpdateService"))
    }
}

fn no_service(action: &'static str) -> AwsError {
    AwsError::Call {
        action,
        kind: super::ErrorKind::Other,
        code: None,
        message: Some("the response held no service".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_keeps_only_what_update_service_accepts() {
        let create = json!({
            "cluster": "c", "serviceName": "s", "taskDefinition": "fam", "desiredCount": 2,
            "launchType": "FARGATE", "tags": [{"key": "k", "value": "v"}],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            "propagateTags": "SERVICE",
        });
        let update = update_service_document(&create, "arn:td:3", true);
        assert_eq!(update["service"], "s");
        assert_eq!(update["taskDefinition"], "arn:td:3");
        assert_eq!(update["forceNewDeployment"], true);
        assert_eq!(update["desiredCount"], 2);
        assert_eq!(
            update["networkConfiguration"]["awsvpcConfiguration"]["subnets"][0],
            "subnet-1"
        );
        assert!(update.get("launchType").is_none() && update.get("tags").is_none());
        assert!(update.get("serviceName").is_none());
    }
}
