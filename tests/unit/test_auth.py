"""Tokens, keys, principals, masking and log redaction — the pieces of access control
that need no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.members.policy import (
    KEY_ACTIONS,
    Action,
    reads_personal_data_from_above,
    sees_personal_data,
)
from shared.auth.keys import DEV_PRIVATE_KEY, DEV_PUBLIC_KEY, InsecureKey, resolve_key
from shared.auth.masking import mask_address, mask_id_number, mask_mobile
from shared.auth.principal import Grant, Principal
from shared.auth.roles import Role
from shared.auth.tokens import InvalidToken, TokenSigner, TokenVerifier
from shared.log import redact

NODE = uuid.uuid4()


def signer(key: str = DEV_PRIVATE_KEY, ttl: timedelta = timedelta(minutes=15)) -> TokenSigner:
    return TokenSigner(key, "gongjian", ttl)


def test_a_token_carries_the_grants_and_the_member() -> None:
    account, member = uuid.uuid4(), uuid.uuid4()
    token, _ = signer().issue(
        account_id=account,
        name="王书记",
        grants=[Grant(Role.community_admin, NODE), Grant(Role.operations)],
        member_id=member,
    )
    principal = TokenVerifier(DEV_PUBLIC_KEY, "gongjian").verify(token)
    assert principal.subject == account and principal.member_id == member
    assert principal.grants == (Grant(Role.community_admin, NODE), Grant(Role.operations))
    assert principal.actor == f"account:{account}"


def test_expired_foreign_or_tampered_tokens_are_refused() -> None:
    verifier = TokenVerifier(DEV_PUBLIC_KEY, "gongjian")
    old, _ = signer().issue(
        account_id=uuid.uuid4(),
        name="x",
        grants=[],
        member_id=None,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    other_key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    foreign, _ = signer(other_key.decode()).issue(
        account_id=uuid.uuid4(), name="x", grants=[], member_id=None
    )
    good, _ = signer().issue(account_id=uuid.uuid4(), name="x", grants=[], member_id=None)
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload[:-2]}xx.{signature}"
    for token in (old, foreign, tampered, "not-a-token"):
        with pytest.raises(InvalidToken):
            verifier.verify(token)
    with pytest.raises(InvalidToken):
        TokenVerifier(DEV_PUBLIC_KEY, "another-issuer").verify(good)


def test_the_development_key_is_refused_outside_development() -> None:
    kwargs = {"inline": None, "file": None, "dev_default": DEV_PUBLIC_KEY, "setting": "X"}
    assert resolve_key(environment="development", **kwargs) == DEV_PUBLIC_KEY  # type: ignore[arg-type]
    with pytest.raises(InsecureKey, match="must be set"):
        resolve_key(environment="production", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InsecureKey, match="development key"):
        resolve_key(**{**kwargs, "inline": DEV_PUBLIC_KEY}, environment="production")  # type: ignore[arg-type]


def test_what_each_role_may_do() -> None:
    secretary = Principal("account", uuid.uuid4(), "x", (Grant(Role.branch_secretary, NODE),))
    assert secretary.can(Action.read) and not secretary.can(Action.write)
    assert secretary.nodes_for(Action.read) == [NODE] and secretary.nodes_for(Action.write) == []
    ops = Principal("account", uuid.uuid4(), "x", (Grant(Role.operations),))
    assert ops.can(Action.operate) and not ops.can(Action.read)
    key = Principal(
        "api_key",
        uuid.uuid4(),
        "x",
        (Grant(Role.unit_admin, NODE),),
        only=KEY_ACTIONS,
    )
    assert key.can(Action.sync) and not key.can(Action.manage_keys)
    assert key.nodes_for(Action.write) == []


def account(*grants: Grant, member_id: uuid.UUID | None = None) -> Principal:
    return Principal("account", uuid.uuid4(), "x", grants, member_id=member_id)


def test_personal_data_in_full_for_the_member_and_whoever_may_change_the_record() -> None:
    """``places``: the member's home organization and community with their ancestors."""
    district, street, community, branch, unit = (uuid.uuid4() for _ in range(5))
    member = uuid.uuid4()
    community_member = {branch, community, street, district}
    in_service = {unit, district, community, street}  # a unit's, living in the community
    writers = {
        "district": account(Grant(Role.district_admin, district)),
        "street": account(Grant(Role.street_admin, street)),
        "community": account(Grant(Role.community_admin, community)),
    }
    for who, principal in writers.items():
        assert sees_personal_data(principal, member, community_member), who
        assert sees_personal_data(principal, member, in_service), who
    unit_admin = account(Grant(Role.unit_admin, unit))
    assert sees_personal_data(unit_admin, member, in_service)
    assert not sees_personal_data(unit_admin, member, community_member)
    itself = account(Grant(Role.member), member_id=member)
    assert sees_personal_data(itself, member, set())
    assert not sees_personal_data(itself, uuid.uuid4(), community_member)
    # Read-only roles, a unit system's key and admins elsewhere: masked.
    secretary = account(Grant(Role.branch_secretary, branch))
    assert not sees_personal_data(secretary, member, community_member)
    key = Principal("api_key", uuid.uuid4(), "k", (Grant(Role.unit_admin, unit),), only=KEY_ACTIONS)
    assert not sees_personal_data(key, member, in_service)
    elsewhere = account(Grant(Role.community_admin, uuid.uuid4()))
    assert not sees_personal_data(elsewhere, member, community_member)


def test_full_reads_through_a_district_or_street_grant_are_the_audited_ones() -> None:
    district, street, community, branch, unit = (uuid.uuid4() for _ in range(5))
    member = uuid.uuid4()
    places = {branch, community, street, district, unit}
    assert reads_personal_data_from_above(
        account(Grant(Role.district_admin, district)), member, places
    )
    assert reads_personal_data_from_above(account(Grant(Role.street_admin, street)), member, places)
    for local in (
        account(Grant(Role.community_admin, community)),
        account(Grant(Role.unit_admin, unit)),
        account(Grant(Role.district_admin, district), Grant(Role.community_admin, community)),
        account(Grant(Role.district_admin, district), member_id=member),
        account(Grant(Role.branch_secretary, branch)),  # masked: nothing read in full
    ):
        assert not reads_personal_data_from_above(local, member, places), local.grants


def test_masks() -> None:
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_address("东城街道幸福路8号3单元") == "东城街道…"
    assert mask_address("幸福路") == "幸福路"
    assert mask_address("8号楼") == "（已隐藏）"
    assert mask_mobile(None) is None


def test_logs_lose_mobiles_and_id_numbers_but_keep_ids() -> None:
    line = "q=13912345678 id=11010519491231002X member=4f1c2d3e-1111-2222-3333-138000012345"
    assert redact(line) == (
        "q=139****5678 id=1101**********002X member=4f1c2d3e-1111-2222-3333-138000012345"
    )
