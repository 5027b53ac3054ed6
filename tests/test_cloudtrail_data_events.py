"""S3 data events split into read and write (issue 16): the shared CloudTrail normaliser, for
classic selectors (ReadWriteType) and advanced ones (readOnly), fed as every source feeds it."""

import pytest

from enamel_hipaa.sources.normalise.aws.cloudtrail_trail import data_events

ALL = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
DATA = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]


def classic(rw):
    sel = {"DataResources": ALL}
    if rw is not None:
        sel["ReadWriteType"] = rw
    return {"EventSelectors": [sel]}


def advanced(*extra):
    return {"AdvancedEventSelectors": [{"FieldSelectors": DATA + list(extra)}]}


def kinds(sel):
    d = data_events(sel)
    return d["read"]["all_buckets"], d["write"]["all_buckets"]


@pytest.mark.parametrize(
    "sel,read,write",
    [
        (classic("All"), True, True),
        (classic(None), True, True),  # ReadWriteType defaults to All
        (classic("ReadOnly"), True, False),
        (classic("WriteOnly"), False, True),
        (advanced(), True, True),
        (advanced({"Field": "readOnly", "Equals": ["true"]}), True, False),
        (advanced({"Field": "readOnly", "Equals": ["false"]}), False, True),
        (advanced({"Field": "readOnly", "NotEquals": ["true"]}), False, True),
        (advanced({"Field": "readOnly", "Equals": ["true"], "NotEquals": None}), True, False),  # CloudFormation's Nones
        (advanced({"Field": "readOnly", "StartsWith": ["t"]}), False, False),  # not modelled: neither
        (advanced({"Field": "eventName", "Equals": ["PutObject"]}), False, False),  # only some calls
    ],
    ids=lambda v: str(v)[:40],
)
def test_pass_fail_read_and_write_follow_the_selector(sel, read, write):
    assert kinds(sel) == (read, write)


def test_pass_named_buckets_are_split_too():
    sel = advanced(
        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::bsd-xrays/"]},
        {"Field": "readOnly", "Equals": ["false"]},
    )
    d = data_events(sel)
    assert d["s3_buckets"] == ["bsd-xrays"] and d["write"]["buckets"] == ["bsd-xrays"] and d["read"]["buckets"] == []


def test_error_unreadable_selectors_make_the_property_a_marker_via_prop():
    from enamel_hipaa.sources.normalise.values import prop

    failed = {"$error": "GetEventSelectors: AccessDenied"}
    assert prop(data_events, failed) == failed
