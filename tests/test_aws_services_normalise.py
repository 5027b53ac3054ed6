"""The derivations behind the issue-16 services, on the API shapes (and CloudFormation's
for CloudFront): what counts as covered by Macie, HTTPS-only, a modern TLS floor."""

from enamel_hipaa.sources.normalise.aws.cloudfront_distribution import distribution_props
from enamel_hipaa.sources.normalise.aws.elb_load_balancer import classic_props
from enamel_hipaa.sources.normalise.aws.macie import bucket_coverage, selects, session_props

ACCOUNT = "111122223333"


def _job(**kw):
    return {"jobId": "j", "name": "j", "jobType": "SCHEDULED", "jobStatus": "RUNNING", **kw}


def _tag(op, key, value):
    return {"includes": {"and": [{"tagCriterion": {"comparator": op, "tagValues": [{"key": key, "value": value}]}}]}}


def test_pass_explicit_bucket_list_and_tag_criterion_select_the_bucket():
    listed = _job(bucketDefinitions=[{"accountId": ACCOUNT, "buckets": ["xrays"]}])
    assert selects(listed, "xrays", ACCOUNT, {}) is True
    assert (
        selects(_job(bucketCriteria=_tag("EQ", "data_class", "phi")), "xrays", ACCOUNT, {"data_class": "phi"}) is True
    )


def test_fail_excluded_other_account_or_ne_tag_do_not_select():
    crit = {
        "includes": {"and": [{"simpleCriterion": {"comparator": "EQ", "key": "ACCOUNT_ID", "values": [ACCOUNT]}}]},
        "excludes": {
            "and": [{"simpleCriterion": {"comparator": "STARTS_WITH", "key": "S3_BUCKET_NAME", "values": ["x"]}}]
        },
    }
    assert selects(_job(bucketCriteria=crit), "xrays", ACCOUNT, {}) is False
    other = _job(bucketDefinitions=[{"accountId": "999988887777", "buckets": ["xrays"]}])
    assert selects(other, "xrays", ACCOUNT, {}) is False
    assert selects(_job(bucketCriteria=_tag("NE", "data_class", "phi")), "x", ACCOUNT, {"data_class": "phi"}) is False


def test_unknown_unmodelled_criteria_or_unreadable_tags_never_cover():
    perm = {
        "includes": {
            "and": [
                {"simpleCriterion": {"comparator": "EQ", "key": "S3_BUCKET_EFFECTIVE_PERMISSION", "values": ["PUBLIC"]}}
            ]
        }
    }
    assert selects(_job(bucketCriteria=perm), "xrays", ACCOUNT, {}) is None
    assert selects(_job(bucketCriteria=_tag("EQ", "data_class", "phi")), "xrays", ACCOUNT, None) is None
    props = bucket_coverage("xrays", ACCOUNT, {}, True, [_job(bucketCriteria=perm)])
    assert props["covered"] is False and props["unmodelled_jobs"] == ["j"]


def test_fail_paused_cancelled_or_one_time_jobs_do_not_cover():
    listed = {"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["xrays"]}]}
    for kw in ({"jobStatus": "USER_PAUSED"}, {"jobStatus": "CANCELLED"}, {"jobType": "ONE_TIME"}):
        assert bucket_coverage("xrays", ACCOUNT, {}, True, [_job(**listed, **kw)])["covered"] is False


def test_error_macie_session_or_job_listing_failure_is_never_covered():
    err = {"$error": "ListClassificationJobs: 500"}
    assert bucket_coverage("xrays", ACCOUNT, {}, True, err)["covered"] == err
    assert session_props(err)["enabled"] == err
    assert session_props(None) == {"enabled": False, "status": "DISABLED"}
    assert session_props({"status": "PAUSED"})["enabled"] is False


def test_pass_and_fail_cloudfront_from_api_and_cloudformation_shapes():
    api = {
        "DefaultCacheBehavior": {"ViewerProtocolPolicy": "redirect-to-https"},
        "CacheBehaviors": {"Quantity": 1, "Items": [{"ViewerProtocolPolicy": "allow-all"}]},
        "Origins": {"Quantity": 1, "Items": [{"CustomOriginConfig": {"OriginProtocolPolicy": "match-viewer"}}]},
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
    }
    p = distribution_props(api, "arn")
    assert p["https_only"] is False and p["origins_https_only"] is False
    assert p["minimum_protocol_version"] == "TLSv1" and p["modern_tls"] is False  # default certificate
    cfn = {
        "DefaultCacheBehavior": {"ViewerProtocolPolicy": "https-only"},
        "CacheBehaviors": [{"ViewerProtocolPolicy": "redirect-to-https"}],
        "Origins": [{"S3OriginConfig": {}}, {"CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
        "ViewerCertificate": {
            "AcmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/c",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
        "Logging": {"Bucket": "logs.s3.amazonaws.com"},
    }
    p = distribution_props(cfn, "arn")
    assert p["https_only"] and p["origins_https_only"] and p["modern_tls"] and p["access_logging"] is True


def test_error_classic_elb_unreadable_attributes_stay_errors():
    err = {"$error": "DescribeLoadBalancerAttributes: AccessDenied"}
    lb = {"LoadBalancerName": "v", "ListenerDescriptions": []}
    p = classic_props(lb, err)
    assert p["access_logs"] == err and p["cross_zone"] == err
    assert p["tls_listeners_only"] is False  # no listener is not "TLS only"
