"""Turn template.yaml into plain CloudFormation JSON with aws-sam-translator.

Usage: python transform.py TEMPLATE PARAMETERS_JSON > transformed.json

PARAMETERS_JSON is a JSON object of parameter values. It is handed to the
translator the way `sam deploy` would hand over parameter overrides. The
translator keeps the template's intrinsic functions (Fn::If, Ref, ...) in its
output; the Go tests resolve them.
"""

import json
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

# The translator accepts only S3 code locations; the function's code is
# local (CodeUri: .), as `sam validate` also works around.
FAKE_CODE_URI = "s3://ami-notify-test/bootstrap.zip"


class NoManagedPolicies:
    """Stands in for the IAM lookup of managed policy names.

    The template names no managed policy, so the translator must not need
    one; load() returning nothing makes a reference to one fail loudly.
    """

    def load(self):
        return {}


def main():
    template_path, parameters_path = sys.argv[1], sys.argv[2]
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    with open(parameters_path, encoding="utf-8") as f:
        parameters = json.load(f)

    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = FAKE_CODE_URI

    output = transform(template, parameters, NoManagedPolicies())
    json.dump(output, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
