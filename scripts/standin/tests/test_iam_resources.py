"""Resources a scoped policy names are checked as AWS names them, also before they exist.

moto names the resource of an IAM role request only once the role exists, of an SQS
request only from a QueueUrl, and of Secrets Manager and most CloudWatch Logs requests
never; iam.py names them, so that a statement scoped to the stack's names grants what it
grants on AWS (CreateRole of prefect-tui-x, GetSecretValue of prefect-tui/x) and nothing
else (the deployer policy in assets/iam is scoped this way, tests/deployer_policy.rs runs
the program under it).
"""

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from standin.tests.harness import StandInTest

ACCOUNT = "123456789012"
SCOPED = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetRole", "iam:CreateRole"],
     "Resource": "arn:aws:iam::*:role/prefect-tui-*"},
    {"Effect": "Allow", "Action": ["sqs:CreateQueue", "sqs:GetQueueUrl"], "Resource": "arn:aws:sqs:*:*:prefect-tui-*"},
    {"Effect": "Allow", "Action": ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue"],
     "Resource": "arn:aws:secretsmanager:*:*:secret:prefect-tui/*"},
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:DeleteLogGroup"],
     "Resource": "arn:aws:logs:*:*:log-group:/ecs/prefect-tui/*"},
]}
TRUST_ACCOUNT = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}


class ScopedResources(StandInTest):
    def setUp(self) -> None:
        super().setUp()
        admin = self.session.client("iam", endpoint_url=self.url)
        arn = admin.create_role(RoleName="scoped-deployer", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
        admin.put_role_policy(RoleName="scoped-deployer", PolicyName="only", PolicyDocument=json.dumps(SCOPED))
        sts = self.session.client("sts", endpoint_url=self.url)
        keys = sts.assume_role(RoleArn=arn["Role"]["Arn"], RoleSessionName="deployer")["Credentials"]
        self.assumed = {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"],
                        "aws_session_token": keys["SessionToken"], "endpoint_url": self.url}

    def client(self, service: str):
        return self.session.client(service, **self.assumed)

    def denied(self, call, **kwargs) -> str:
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        return caught.exception.response["Error"]["Code"]

    def test_a_role_is_named_before_it_exists(self):
        iam = self.client("iam")
        made = iam.create_role(RoleName="prefect-tui-s-worker", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
        self.assertEqual(made["Role"]["Arn"], f"arn:aws:iam::{ACCOUNT}:role/prefect-tui-s-worker")
        self.assertEqual(self.denied(iam.get_role, RoleName="prefect-tui-s-missing"), "NoSuchEntity",
                         "a missing role of the allowed names is missing, not denied")
        self.assertEqual(self.denied(iam.create_role, RoleName="someone-elses",
                                     AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT)), "AccessDenied")

    def test_a_queue_is_named_from_its_name_on_create(self):
        sqs = self.client("sqs")
        self.assertIn("prefect-tui-s-ecs-events", sqs.create_queue(QueueName="prefect-tui-s-ecs-events")["QueueUrl"])
        self.assertTrue(self.denied(sqs.create_queue, QueueName="someone-elses").startswith("AccessDenied"))

    def test_a_secret_is_named_by_name_or_arn(self):
        secrets = self.client("secretsmanager")
        arn = secrets.create_secret(Name="prefect-tui/s/api-key", SecretString="k")["ARN"]
        self.assertEqual(secrets.get_secret_value(SecretId=arn)["SecretString"], "k")
        self.assertEqual(secrets.get_secret_value(SecretId="prefect-tui/s/api-key")["SecretString"], "k")
        self.session.client("secretsmanager", endpoint_url=self.url).create_secret(Name="other/db", SecretString="x")
        self.assertEqual(self.denied(secrets.get_secret_value, SecretId="other/db"), "AccessDeniedException")
        self.assertEqual(self.denied(secrets.create_secret, Name="other/new", SecretString="x"),
                         "AccessDeniedException")

    def test_a_log_group_is_named_by_its_name(self):
        logs = self.client("logs")
        logs.create_log_group(logGroupName="/ecs/prefect-tui/s")
        logs.delete_log_group(logGroupName="/ecs/prefect-tui/s")
        self.session.client("logs", endpoint_url=self.url).create_log_group(logGroupName="/other")
        self.assertEqual(self.denied(logs.delete_log_group, logGroupName="/other"), "AccessDeniedException")

    def test_a_form_body_encoded_as_rfc_3986_is_checked_against_its_own_bytes(self):
        # The Rust SDK encodes a form's space as %20, Python as "+"; moto re-encodes the
        # parsed form the Python way, so it would refuse every such request it did not sign.
        fields = [("Action", "CreateRole"), ("Version", "2010-05-08"), ("RoleName", "prefect-tui-s-execution"),
                  ("Description", "prefect-tui stack s"), ("AssumeRolePolicyDocument", json.dumps(TRUST_ACCOUNT))]
        body = urlencode(fields, quote_via=quote, safe="-_.~")
        self.assertIn("%20", body)
        self.assertEqual(self.post_signed("iam", body), 200)
        self.assertEqual(self.post_signed("iam", body, tamper=True), 403, "a body changed after signing is refused")

    def post_signed(self, service: str, body: str, tamper: bool = False) -> int:
        """POSTs `body` as a form, SigV4-signed over exactly these bytes with the assumed keys."""
        keys = Credentials(self.assumed["aws_access_key_id"], self.assumed["aws_secret_access_key"],
                           self.assumed["aws_session_token"])
        request = AWSRequest(method="POST", url=self.url + "/", data=body.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(keys, service, "us-east-1").add_auth(request)
        sent = body.replace("stack%20s", "stack%20t") if tamper else body
        prepared = urllib.request.Request(self.url + "/", data=sent.encode(), method="POST",
                                          headers=dict(request.headers.items()))
        try:
            with urllib.request.urlopen(prepared) as answer:
                return answer.status
        except urllib.error.HTTPError as e:
            return e.code
