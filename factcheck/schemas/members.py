"""An organization's desk on the wire: members and roles, API keys, the audit log, the review
policy, and the review step's bodies."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from factcheck.schemas.fields import Text

# What each role may do, as the scopes its keys act with: a writer drafts and submits, an editor
# also approves, publishes and corrects, an admin also runs the desk (members, keys, settings).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "writer": frozenset({"write"}),
    "editor": frozenset({"write", "publish"}),
    "admin": frozenset({"write", "publish", "admin"}),
}
ROLES = tuple(ROLE_SCOPES)
# A tool's key carries its scopes itself; a member's key acts with the member's role.
SCOPES = ("write", "publish", "admin")
ROLE_DESCRIPTION = (
    "writer: drafts and submits; editor: also approves, rejects, publishes, corrects and "
    "retracts; admin: also manages members, keys, webhooks and the review policy"
)


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(100, min_length=1, required=True)
    role = fields.String(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata={"enum": list(ROLES), "description": ROLE_DESCRIPTION},
    )
    version = fields.Integer(dump_only=True)
    date_created = fields.AwareDateTime(data_key="dateCreated", dump_only=True)
    date_modified = fields.AwareDateTime(data_key="dateModified", dump_only=True)


class MemberPatchSchema(Schema):
    name = Text(100, min_length=1)
    role = fields.String(validate=validate.OneOf(ROLES), metadata={"enum": list(ROLES)})


class KeyMemberSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class NewKeySchema(Schema):
    """A key for a member (`memberId`) or for a named tool (`scopes`): exactly one of them."""

    name = Text(100, min_length=1, required=True)
    member_id = fields.Integer(
        data_key="memberId",
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The member whose key it is: it acts with their role."},
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": "A tool's key: what it may do."},
    )

    @validates_schema
    def _one_owner(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("member_id" in data) == ("scopes" in data):
            raise ValidationError(
                "Send memberId (a member's key) or scopes (a tool's key), not both or neither.",
                "memberId",
            )


def _scopes(key: Any) -> list[str]:
    """A member's key acts with its member's role; a tool's key with its own scopes."""
    return sorted(ROLE_SCOPES[key.member.role] if key.member else key.scope_set)


class KeySchema(Schema):
    prefix = fields.String(metadata={"description": "The key's public part, which names it."})
    name = fields.String()
    member = fields.Nested(KeyMemberSchema, allow_none=True)
    scopes = fields.Function(
        _scopes,
        metadata={"description": "A member's key: its member's role's; a tool's key: its own."},
    )
    date_created = fields.AwareDateTime(data_key="dateCreated")
    date_last_used = fields.AwareDateTime(data_key="dateLastUsed", allow_none=True)
    date_expires = fields.AwareDateTime(
        data_key="dateExpires",
        allow_none=True,
        metadata={"description": "Set once rotated: the key works until then."},
    )


class IssuedKeySchema(Schema):
    """A key just issued or rotated in (core/keys.Issued): the only time the whole key is shown."""

    token = fields.String(data_key="key", metadata={"description": "fck_<prefix>_<secret>"})
    prefix = fields.String(attribute="key.prefix")
    name = fields.String(attribute="key.name")
    member = fields.Nested(KeyMemberSchema, attribute="key.member", allow_none=True)
    scopes = fields.Function(lambda issued: _scopes(issued.key))
    date_created = fields.AwareDateTime(data_key="dateCreated", attribute="key.date_created")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    actor = fields.String(metadata={"description": "The key (or the CLI) that acted."})
    member_id = fields.Integer(data_key="memberId", allow_none=True)
    action = fields.String()
    target = fields.String()
    details = fields.Dict()
    date_created = fields.AwareDateTime(data_key="dateCreated")


class ReviewPolicySchema(Schema):
    approval_required = fields.Boolean(
        required=True,
        data_key="approvalRequired",
        metadata={
            "description": "Publishing needs an approval by a member other than the last editor."
        },
    )


class SubmitSchema(Schema):
    """Submitting or approving takes no fields: no body, or `{}`."""

    # Read by parsing.StrictJSONParser: a request without a body is fine here.
    body_optional = True


class RejectSchema(Schema):
    comment = Text(
        2000,
        min_length=1,
        required=True,
        metadata={"description": "For the writer; kept with the revision, never public."},
    )
