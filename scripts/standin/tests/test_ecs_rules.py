"""ECS refuses capacity providers the cluster lacks, bad names and tags, a busy cluster (ecs_rules)."""

import time
import unittest
from typing import Any, Callable

from botocore.exceptions import ClientError

from standin import ecs_rules
from standin.tests.harness import RUNS, StandInTest

NOT_ASSOCIATED = ("The specified capacity provider strategy cannot contain a capacity provider that is not "
                  "associated with the cluster. Associate the capacity provider with the cluster or specify "
                  "a valid capacity provider and try again.")
BOTH = ("Specifying both a launch type and capacity provider strategy is not supported. "
        "Remove one and try again.")
SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
WINDOW = 0.5  # seconds a cluster's capacity providers take to attach in these tests


class EcsRules(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        ecs_rules.configure(cluster_update_seconds=WINDOW)
        self.addCleanup(ecs_rules.configure, ecs_rules.DEFAULT_CLUSTER_UPDATE_SECONDS)

    def refused(self, code: str, call: Callable[[], Any]) -> str:
        with self.assertRaises(ClientError) as caught:
            call()
        self.assertEqual(caught.exception.response["Error"]["Code"], code, caught.exception)
        return caught.exception.response["Error"]["Message"]

    def network(self) -> dict:
        return {"awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": [self.sg],
                                        "assignPublicIp": "ENABLED"}}

    def spot_task(self, td: str, **extra: Any) -> dict:
        return self.ecs.run_task(cluster=self.cluster, taskDefinition=td, capacityProviderStrategy=SPOT,
                                 networkConfiguration=self.network(), **extra)

    def add_spot(self) -> None:
        self.ecs.put_cluster_capacity_providers(cluster=self.cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"],
                                                defaultCapacityProviderStrategy=[])
        time.sleep(WINDOW + 0.1)

    def register(self, family: str = "app", container: str = "app", **extra: Any) -> dict:
        return self.ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": container, "image": "app:1", "essential": True}], **extra)

    # Capacity providers

    def test_run_task_with_spot_needs_spot_on_the_cluster(self):
        td = self.task_definition(RUNS)
        self.assertEqual(self.refused("InvalidParameterException", lambda: self.spot_task(td)), NOT_ASSOCIATED)
        self.add_spot()
        self.assertEqual(len(self.spot_task(td)["tasks"]), 1)

    def test_a_strategy_and_a_launch_type_together_are_refused(self):
        td = self.task_definition(RUNS)
        self.add_spot()
        self.assertEqual(self.refused("InvalidParameterException", lambda: self.spot_task(td, launchType="FARGATE")),
                         BOTH)
        self.assertEqual(self.refused("InvalidParameterException", lambda: self.ecs.create_service(
            cluster=self.cluster, serviceName="both", taskDefinition=td, desiredCount=0, launchType="FARGATE",
            capacityProviderStrategy=SPOT, networkConfiguration=self.network())), BOTH)

    def test_create_and_update_service_check_the_strategy_against_the_cluster(self):
        td = self.task_definition(RUNS)
        self.assertEqual(self.refused("InvalidParameterException", lambda: self.ecs.create_service(
            cluster=self.cluster, serviceName="spot", taskDefinition=td, desiredCount=0,
            capacityProviderStrategy=SPOT, networkConfiguration=self.network())), NOT_ASSOCIATED)
        self.service(td, 0)
        self.assertEqual(self.refused("InvalidParameterException", lambda: self.ecs.update_service(
            cluster=self.cluster, service="app", capacityProviderStrategy=SPOT)), NOT_ASSOCIATED)
        self.add_spot()
        self.ecs.update_service(cluster=self.cluster, service="app", capacityProviderStrategy=SPOT,
                                forceNewDeployment=True)

    # A cluster attaching its capacity providers

    def test_capacity_providers_put_twice_at_once_meet_an_update_in_progress(self):
        self.ecs.put_cluster_capacity_providers(cluster=self.cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"],
                                                defaultCapacityProviderStrategy=[])
        cluster = self.ecs.describe_clusters(clusters=[self.cluster])["clusters"][0]
        self.assertEqual(cluster["attachmentsStatus"], "UPDATE_IN_PROGRESS")
        message = self.refused("UpdateInProgressException", lambda: self.ecs.put_cluster_capacity_providers(
            cluster=self.cluster, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[]))
        self.assertTrue(message.startswith("The specified cluster is in a busy state."), message)
        time.sleep(WINDOW + 0.1)
        cluster = self.ecs.describe_clusters(clusters=[self.cluster])["clusters"][0]
        self.assertEqual(cluster["attachmentsStatus"], "UPDATE_COMPLETE")
        self.ecs.put_cluster_capacity_providers(cluster=self.cluster, capacityProviders=["FARGATE"],
                                                defaultCapacityProviderStrategy=[])

    def test_a_cluster_made_with_capacity_providers_is_busy_a_moment_and_one_made_without_is_not(self):
        self.ecs.create_cluster(clusterName="with-providers", capacityProviders=["FARGATE"])
        self.refused("UpdateInProgressException", lambda: self.ecs.put_cluster_capacity_providers(
            cluster="with-providers", capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[]))
        # What the stack does: CreateCluster without providers, then PutClusterCapacityProviders.
        self.ecs.create_cluster(clusterName="without-providers")
        self.ecs.put_cluster_capacity_providers(
            cluster="without-providers", capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[])

    # Names

    def test_family_and_container_names_are_letters_digits_hyphens_underscores_up_to_255(self):
        self.register(family="prefect_my-pool_0123", container="prefect")
        self.register(family="f" * 255, container="c" * 255)
        for family in ("prefect_ecs.prod_0123", "pool*", "f" * 256, "a b"):
            with self.subTest(family=family):
                self.assertEqual(self.refused("ClientException", lambda: self.register(family=family)),
                                 "Family contains invalid characters.")
        for name in ("side.car", "c" * 256):
            with self.subTest(container=name):
                self.assertEqual(self.refused("ClientException", lambda: self.register(container=name)),
                                 "Container.name contains invalid characters.")

    def test_cluster_and_service_names_are_letters_digits_hyphens_underscores_up_to_255(self):
        self.ecs.create_cluster(clusterName="c" * 255)
        message = self.refused("InvalidParameterException", lambda: self.ecs.create_cluster(clusterName="ecs.prod"))
        self.assertEqual(message, r"Cluster must match ^[a-zA-Z0-9\-_]{1,255}$, but was ecs.prod")
        td = self.task_definition(RUNS)
        self.refused("InvalidParameterException", lambda: self.service(td, 0, name="my.service"))
        self.refused("InvalidParameterException", lambda: self.service(td, 0, name="s" * 256))
        self.service(td, 0, name="s" * 255)

    # Tags

    def test_tags_keep_to_the_documented_lengths_characters_and_reserved_prefix(self):
        fine = [{"key": "k" * 128, "value": "v" * 256}, {"key": "prefect-tui:stack", "value": ""},
                {"key": "Owner name", "value": "équipe @ 5 + x = y/z"}]
        self.ecs.create_cluster(clusterName="tagged", tags=fine)
        bad = {
            "a key too long": {"key": "k" * 129, "value": "v"},
            "a value too long": {"key": "k", "value": "v" * 257},
            "a reserved key": {"key": "aws:owner", "value": "v"},
            "a reserved key in capitals": {"key": "AWS:owner", "value": "v"},
            "a reserved value": {"key": "k", "value": "aws:x"},
            "a character outside the pattern": {"key": "cost*centre", "value": "v"},
        }
        for what, tag in bad.items():
            with self.subTest(what):
                message = self.refused("InvalidParameterException",
                                       lambda: self.ecs.create_cluster(clusterName="refused", tags=[tag]))
                self.assertTrue(message.startswith("1 validation error detected: Value "), message)
        td = self.task_definition(RUNS)
        reserved = [{"key": "aws:x", "value": "v"}]
        self.refused("InvalidParameterException", lambda: self.register(tags=reserved))
        self.refused("InvalidParameterException", lambda: self.service(td, 0, name="tagged", tags=reserved))
        self.refused("InvalidParameterException", lambda: self.run_task(td, tags=reserved))

    def test_a_resource_has_at_most_50_tags_counting_those_it_has(self):
        fifty = [{"key": f"k{i}", "value": "v"} for i in range(50)]
        self.refused("InvalidParameterException", lambda: self.ecs.create_cluster(
            clusterName="too-many", tags=fifty + [{"key": "one-more", "value": "v"}]))
        arn = self.ecs.create_cluster(clusterName="full", tags=fifty)["cluster"]["clusterArn"]
        self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "changed"}])  # replaces one
        self.refused("InvalidParameterException",
                     lambda: self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "k50", "value": "v"}]))
        self.refused("InvalidParameterException",
                     lambda: self.ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:k", "value": "v"}]))


if __name__ == "__main__":
    unittest.main()
