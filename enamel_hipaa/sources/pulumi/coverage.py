"""Which Pulumi resource types the plan gate understands, and the count of those it saw but
did not (report `unsupported_types`, per source), so a scan never reads as complete while
it judged nothing of a type. Providers, stacks and components carry no settings to judge."""

from __future__ import annotations

from collections import Counter

from enamel_hipaa.sources.pulumi.plan import canonical

UNDERSTOOD = frozenset(
    {
        "aws:alb/listener:Listener",
        "aws:alb/listenerCertificate:ListenerCertificate",
        "aws:alb/loadBalancer:LoadBalancer",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
        "aws:backup/vault:Vault",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:cloudtrail/trail:Trail",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ebs/defaultKmsKey:DefaultKmsKey",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        "aws:ebs/volume:Volume",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
        "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:guardduty/detector:Detector",
        "aws:iam/accessKey:AccessKey",
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
        "aws:iam/role:Role",
        "aws:iam/user:User",
        "aws:iam/userLoginProfile:UserLoginProfile",
        "aws:kms/alias:Alias",
        "aws:kms/key:Key",
        "aws:lb/listener:Listener",
        "aws:lb/listenerCertificate:ListenerCertificate",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:rds/instance:Instance",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "azure:storage/account:Account",
        "azure:keyvault/keyVault:KeyVault",
        "azure:monitoring/diagnosticSetting:DiagnosticSetting",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:keyvault:Vault",
        "azure-native:insights:DiagnosticSetting",
    }
)


def _native(token: str) -> str:
    """azure-native:storage/v20230101:StorageAccount -> azure-native:storage:StorageAccount."""
    parts = token.split(":")
    if len(parts) == 3 and parts[0] == "azure-native":
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def unsupported(records: list[dict]) -> Counter:
    """Custom resources whose type the gate does not understand, counted by Pulumi type."""
    out: Counter = Counter()
    for r in records:
        t = r.get("type") or ""
        if t.startswith("pulumi:") or r.get("custom") is False:
            continue
        if _native(canonical(t)) not in UNDERSTOOD:
            out[t] += 1
    return out
