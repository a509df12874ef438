"""Print template.yaml as CloudFormation gets it after SAM's transform, as
JSON, with the samtranslator that the pinned SAM CLI (infra/requirements-
deploy.txt) deploys with: the template tests (internal/dev/samtemplate) read it.

Offline: no AWS call is made (no managed policy is looked up by name; the
template names none). Usage: .venv/bin/python infra/expand.py template.yaml

With --metadata it runs instead the checks sam publish makes of the
template's AWS::ServerlessRepo::Application metadata before it calls the
Serverless Application Repository (those of a new application and of a new
version), and prints the metadata as JSON.
"""

import json
import logging
import os
import sys

# The translator reads the region of a boto3 session for AWS::Region.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Without AWS's feature toggles the translator warns, once a deployment
# preference, that "deployment_preference_condition_fix" is unknown. That
# toggle matters only to a function with a Condition; ours have none.
logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)

from samcli.yamlhelper import yaml_parse  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402


class NoManagedPolicies:
    """Stands in for SAM's loader, which lists the account's IAM policies."""

    def load(self):
        return {}


def metadata(template):
    from samcli.vendor.serverlessrepo.parser import get_app_metadata

    app = get_app_metadata(template)
    # What publish.py's _create_application_request and
    # _create_application_version_request require.
    app.validate(["author", "description", "name"])
    app.validate(["semantic_version"])
    json.dump(app.template_dict, sys.stdout, indent=1, sort_keys=True)


def main(path, check_metadata=False):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    if check_metadata:
        metadata(template)
        return
    # sam package would upload each function's code: an S3 location in its
    # place, as cfn-lint does.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    expanded = transform(template, {}, NoManagedPolicies())
    json.dump(expanded, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main(sys.argv[-1], "--metadata" in sys.argv[1:-1])
