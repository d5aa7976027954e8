"""Access: the token proves who is calling, the account directory says what they may do (never the token's claims).

The directory here is the fold the leads and history services keep of the router's integration events, fed the
events the router publishes; the router's own tables answer the same questions in tests/integration/router.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from leadline.events import REGISTRY
from leadline.events.router_integration import AccountSettingsChangedV1, AgentRole, AgentUpsertedV1, TeamUpsertedV1
from leadline.platform.access import Access, AgentInactive, AgentNotInDirectory, AgentRights, DirectoryUnavailable
from leadline.platform.auth import TokenVerifier
from leadline.platform.directory import DirectoryFold, DirectoryProjection
from leadline.platform.settings import KafkaSettings
from leadline.platform.tokens import Role, mint_token

SECRET = "access-unit-test-secret-access-unit-test"
AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Directory:
    """The account's directory as its events tell it, numbered as the router numbers them."""

    def __init__(self, account_id: str = "acme") -> None:
        self.account_id, self.sequence, self.fold = account_id, 0, DirectoryFold()

    def event(self, payload):
        self.sequence += 1
        return REGISTRY.encode(payload, account_id=self.account_id, sequence=self.sequence, occurred_at=AT)

    def tell(self, payload) -> bool:
        return self.fold.apply(self.event(payload))

    def agent(self, agent_id: str, role: str, teams: tuple[str, ...], *, active: bool = True) -> bool:
        return self.tell(
            AgentUpsertedV1(
                agent_id=agent_id, name=agent_id.title(), role=AgentRole(role), team_ids=teams, active=active
            )
        )

    async def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        return self.fold.rights(account_id, agent_id)


def token(
    agent_id: str = "ana", *, role: str = "admin", account_id: str = "acme", teams=("vendas", "seminovos"), **more
) -> str:
    return mint_token(
        secret=SECRET,
        agent_id=agent_id,
        name=agent_id.title(),
        role=role,
        account_id=account_id,
        teams=list(teams),
        **more,
    )


def access(directory: Directory) -> Access:
    return Access(TokenVerifier(secret=SECRET), directory)


def test_the_fold_keeps_each_agents_latest_state_as_the_events_tell_it():
    directory = Directory()
    directory.tell(TeamUpsertedV1(team_id="vendas", name="Vendas"))
    directory.agent("ana", "seller", ("vendas",))
    directory.agent("ana", "seller", ("seminovos",))
    directory.agent("bruno", "attendant", ("vendas",), active=False)

    assert directory.fold.rights("acme", "ana") == AgentRights("Ana", Role.SELLER, frozenset({"seminovos"}), True)
    assert directory.fold.rights("acme", "bruno").active is False
    assert directory.fold.rights("acme", "nobody") is None
    assert directory.fold.rights("other-account", "ana") is None, "an agent belongs to one account's directory"


def test_an_event_delivered_twice_or_late_changes_nothing():
    directory = Directory()
    directory.agent("ana", "seller", ("vendas",))
    first_again = directory.event(AgentUpsertedV1(agent_id="ana", name="Ana", role=AgentRole.ADMIN, team_ids=()))
    directory.agent("ana", "seller", ("seminovos",))
    first_again = first_again.model_copy(update={"sequence": 1})

    assert directory.fold.apply(first_again) is False
    assert directory.fold.rights("acme", "ana").team_ids == {"seminovos"}


def test_a_retired_team_gives_its_members_no_pool_until_it_is_back():
    directory = Directory()
    directory.agent("ana", "seller", ("vendas", "seminovos"))
    directory.tell(TeamUpsertedV1(team_id="vendas", name="Vendas", active=False))
    assert directory.fold.rights("acme", "ana").team_ids == {"seminovos"}
    directory.tell(TeamUpsertedV1(team_id="vendas", name="Vendas"))
    assert directory.fold.rights("acme", "ana").team_ids == {"vendas", "seminovos"}


def test_events_that_say_nothing_about_rights_are_applied_but_change_none():
    directory = Directory()
    assert (
        directory.tell(AccountSettingsChangedV1(process_type=2, lead_unification=True, pool_wait_alert_seconds=60))
        is False
    )
    assert directory.agent("ana", "seller", ("vendas",)) is True


async def test_the_rights_are_the_directorys_whatever_the_token_claims():
    directory = Directory()
    directory.agent("ana", "seller", ("vendas",))
    agent = await access(directory).of_token(token("ana", role="admin", teams=("vendas", "seminovos")))
    assert (agent.agent_id, agent.role, agent.team_ids, agent.account_id) == ("ana", Role.SELLER, {"vendas"}, "acme")
    assert not agent.is_admin


async def test_an_agent_the_directory_does_not_hold_is_refused_with_401_and_its_own_code():
    directory = Directory()
    directory.agent("ana", "seller", ("vendas",))
    with pytest.raises(AgentNotInDirectory) as unknown:
        await access(directory).of_token(token("zeca"))
    with pytest.raises(AgentNotInDirectory):
        await access(directory).of_token(token("ana", account_id="another-account"))
    assert (unknown.value.status, unknown.value.code) == (401, "agent_not_in_directory")


async def test_an_agent_who_left_is_refused_from_the_event_on():
    directory = Directory()
    directory.agent("ana", "seller", ("vendas",))
    ana = token("ana")
    assert (await access(directory).of_token(ana)).agent_id == "ana"
    directory.agent("ana", "seller", ("vendas",), active=False)
    with pytest.raises(AgentInactive) as refused:
        await access(directory).of_token(ana)
    assert (refused.value.status, refused.value.code) == (401, "agent_inactive")


async def test_a_services_own_token_acts_as_an_administrator_of_its_account_without_the_directory():
    agent = await access(Directory()).of_token(token("leadline-leads", role="seller", teams=(), service=True))
    assert (agent.agent_id, agent.role, agent.team_ids) == ("leadline-leads", Role.ADMIN, frozenset())


async def test_a_directory_not_loaded_in_time_answers_503_rather_than_guessing():
    projection = DirectoryProjection(kafka=KafkaSettings(kafka_bootstrap_servers="unused:9092"), ready_within_s=0.05)
    with pytest.raises(DirectoryUnavailable) as refused:
        await projection.rights("acme", "ana")
    assert refused.value.status == 503
    projection.caught_up.set()
    assert await asyncio.wait_for(projection.rights("acme", "ana"), 1) is None
