"""The Pulumi plan gate: a Pulumi Python program run under Pulumi's own mocks (mockrun),
or the JSON of `pulumi preview --json` / `pulumi stack export` (exports), becomes a list of
planned-resource records; `normalize` turns the records into Resources of the shared
aws.* types, joining S3 sub-resources to their bucket.

A record is a plain dict: {type, urn, name, id, inputs, outputs, provider, parent, deps}
with Pulumi's camelCase property names; values Pulumi could not know (computed at deploy
time, secrets) are already {"$unknown": why} markers.
"""

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's wire/display marker for unknowns
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
