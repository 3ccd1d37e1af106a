//! The work pool: read it, create it with the ECS worker's default base job template, and
//! write its template back with filled-in defaults.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PrefectClient, PrefectError};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkPool {
    pub name: String,
    #[serde(rename = "type")]
    pub pool_type: String,
    #[serde(default)]
    pub base_job_template: Value,
    #[serde(default)]
    pub status: Option<String>,
}

impl PrefectClient {
    pub async fn work_pool(&self, name: &str) -> Result<Option<WorkPool>, PrefectError> {
        self.call(Method::GET, &format!("work_pools/{name}"), None, true)
            .await
    }

    /// Every work pool of the workspace (name and type), for choosing one.
    pub async fn work_pools(&self) -> Result<Vec<WorkPool>, PrefectError> {
        let found: Option<Vec<WorkPool>> = self
            .call(
                Method::POST,
                "work_pools/filter",
                Some(&json!({"limit": 200})),
                false,
            )
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// The ECS worker's default base job template, as the server publishes it (servers
    /// without internet access fall back to the copy bundled with Prefect).
    pub async fn default_ecs_template(&self) -> Result<Value, PrefectError> {
        let metadata: Option<Value> = self
            .call(
                Method::GET,
                "collections/views/aggregate-worker-metadata",
                None,
                false,
            )
            .await?;
        let template = metadata
            .as_ref()
            .and_then(|m| m.get("prefect-aws"))
            .and_then(|a| a.get("ecs"))
            .and_then(|e| e.get("default_base_job_configuration"))
            .cloned();
        template.ok_or_else(|| PrefectError::Decode {
            url: format!(
                "{}/collections/views/aggregate-worker-metadata",
                self.api_url
            ),
            detail: "no default template for the ECS worker (prefect-aws) in the worker metadata"
                .to_owned(),
        })
    }

    pub async fn create_work_pool(
        &self,
        name: &str,
        template: &Value,
    ) -> Result<WorkPool, PrefectError> {
        let body = json!({
            "name": name,
            "type": "ecs",
            "description": "ECS worker pool managed by prefect-tui",
            "base_job_template": template,
        });
        let created: Option<WorkPool> = self
            .call(Method::POST, "work_pools/", Some(&body), false)
            .await?;
        created.ok_or_else(|| PrefectError::Decode {
            url: format!("{}/work_pools/", self.api_url),
            detail: "empty answer to the pool creation".to_owned(),
        })
    }

    pub async fn update_work_pool_template(
        &self,
        name: &str,
        template: &Value,
    ) -> Result<(), PrefectError> {
        let body = json!({ "base_job_template": template });
        let _: Option<Value> = self
            .call(
                Method::PATCH,
                &format!("work_pools/{name}"),
                Some(&body),
                false,
            )
            .await?;
        Ok(())
    }
}
