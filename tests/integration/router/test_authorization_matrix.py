"""The authorization matrix: role x status x team link x process type x ownership, on every endpoint and the live stream.

The oracle is the product's rules written down here, not imported from the service:
- an unclaimed conversation (in the pool) is seen by every agent of the teams linked to its business number, and by admins;
- once claimed, only its owner and the admins see it; in process-2 accounts, after the lead moved from its attendant to
  its seller, the attendant (the previous owner) keeps seeing it;
- whoever may not see it gets exactly what a conversation that does not exist gets, on every endpoint, and the live
  stream never mentions it, not even by id;
- a late claim by an agent whose team's pool it was in is told who owns it (409);
- answering and finishing need it claimed; the owner answers if their team may send on the number, the process-2
  attendant answers, admins answer anything; a finished conversation takes no messages.

Each situation is built through the real handlers and API on a fresh account per process type. Refusals are checked on
the situation itself; what the oracle says succeeds (a claim, a reply, a finish) is done on a fresh copy of the
situation, so every agent's success is checked from the same starting point.

The same situations are also checked over real HTTP (uvicorn on a free port, httpx to 127.0.0.1), sampled: each cell
once, by the first agent found in it, successes on copies too.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import TypeVar

import httpx
import pytest

from leadline.platform.serve import CLIENT_KEEP_ALIVE_S
from leadline.platform.tokens import mint_token
from leadline.router.domain.agents import AccountSettings, Agent, Role
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, apply_configuration
from tests.integration.router.conftest import JWT_SECRET, new_customer
from tests.integration.router.test_live_stream import SETTLE_S, live_replica, streaming, transfer_lead, until

STATUSES = ("new", "unanswered", "no_reply", "finished")
NOT_FOUND = "the answer for a conversation that does not exist"
EXTRA_AGENTS = (  # the fixture's dealer has one attendant and one admin, both linked to every number
    Agent("gabi", "Gabriela Nunes", Role.ATTENDANT, frozenset({"seminovos"})),
    Agent("fabio", "Fábio Melo", Role.ATTENDANT, frozenset({"oficina"})),
    Agent("hugo", "Hugo Prado", Role.ADMIN, frozenset({"oficina"})),
)
VIEWERS = ("ana", "bruno", "carla", "gabi", "diego", "hugo", "elisa", "fabio")
AT_ONCE = 4  # situations checked at once, and copies at once within each: 16 at most, under the router's 20 connections
T = TypeVar("T")


# ---- the oracle --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    teams: frozenset[str]


@dataclass(frozen=True)
class Recipe:
    """How a situation is reached: a customer writes to ``number``; ``claimer`` adds the lead; the lead may move."""

    number: str  # "shared" (vendas + seminovos) | "used_cars" (seminovos)
    status: str
    claimer: str | None = None
    lead_moves_to: tuple[str, str] | None = None  # (agent, team)


@dataclass
class Picture:
    """What the oracle knows of one conversation."""

    id: str
    recipe: Recipe
    process_type: int
    number_teams: frozenset[str]
    status: str = "new"
    owner: str | None = None
    owner_may_send: bool = True
    attendants: frozenset[str] = frozenset()  # process 2: the lead's previous owner keeps it
    former_owners: frozenset[str] = frozenset()
    ever_seen_by: set[str] = field(default_factory=set)


def sees(who: Person, c: Picture) -> bool:
    if who.role == "admin":
        return True
    if c.owner is None:
        return bool(who.teams & c.number_teams)
    return who.id == c.owner or (c.process_type == 2 and who.id in c.attendants)


def may_answer(who: Person, c: Picture) -> bool:
    if who.role == "admin":
        return True
    if c.owner is None:
        return False
    if who.id == c.owner:
        return c.owner_may_send
    return c.process_type == 2 and who.id in c.attendants


def claim_answer(who: Person, c: Picture, owner_name: str | None):
    if not (sees(who, c) or who.teams & c.number_teams):
        return NOT_FOUND
    if c.owner is not None:
        return 409, "already_claimed", {"owner": {"id": c.owner, "name": owner_name}}
    if c.status == "finished":
        return 409, "conversation_finished", None
    return 200, None, None


def reply_answer(who: Person, c: Picture):
    if not sees(who, c):
        return NOT_FOUND
    if c.status == "finished":
        return 409, "conversation_finished", None
    return (202, None, None) if may_answer(who, c) else (403, "cannot_send", None)


def finish_answer(who: Person, c: Picture):
    if not sees(who, c):
        return NOT_FOUND
    if c.status == "finished":
        return 200, None, None  # nothing left to do
    return (200, None, None) if may_answer(who, c) else (403, "cannot_send", None)


def relation(who: Person, c: Picture) -> str:
    if who.id == c.owner:
        return "owner"
    if who.id in c.attendants:
        return "collaborator"
    return "former owner" if who.id in c.former_owners else "other"


def cell(who: Person, c: Picture) -> tuple:
    linked = "linked" if who.teams & c.number_teams else "not linked"
    return (
        f"process {c.process_type}",
        who.role,
        c.status,
        linked,
        relation(who, c),
        "claimed" if c.owner else "in the pool",
    )


def recipes() -> list[Recipe]:
    pool = [Recipe(number, status) for number, status in product(("shared", "used_cars"), STATUSES)]
    owners = [  # every role as owner, with its team linked to the number and not
        ("shared", "ana", None),  # seller, linked
        ("used_cars", "carla", None),  # attendant, linked
        ("shared", "diego", None),  # admin, linked
        ("used_cars", "hugo", None),  # admin, not linked
        ("shared", "carla", ("ana", "vendas")),  # attendant -> seller, linked: the process-2 pair
        ("used_cars", "carla", ("ana", "vendas")),  # to a seller whose team is not linked: readable, no sending
        ("shared", "ana", ("fabio", "oficina")),  # to an attendant whose team is not linked
    ]
    claimed = [
        Recipe(number, status, claimer, moves)
        for (number, claimer, moves), status in product(owners, ("unanswered", "no_reply", "finished"))
    ]
    return pool + claimed


# ---- the driver: builds situations through the service and checks each answer against the oracle -------------


@dataclass
class Matrix:
    dealer: object
    process_type: int
    people: dict[str, Person]
    clients: dict[str, object]
    pictures: list[Picture] = field(default_factory=list)
    cells: set[tuple] = field(default_factory=set)
    checks: int = 0
    failures: list[str] = field(default_factory=list)
    missing: dict[tuple[str, str], tuple] = field(default_factory=dict)

    def check(self, ok: bool, what: str) -> None:
        self.checks += 1
        if not ok:
            self.failures.append(what)

    def number(self, recipe: Recipe) -> str:
        return getattr(self.dealer, recipe.number)

    def seen(self, c: Picture) -> None:
        c.ever_seen_by |= {p.id for p in self.people.values() if sees(p, c)}

    # -- building
    async def build(self, recipe: Recipe) -> Picture:
        customer = new_customer()
        number = self.number(recipe)
        published = await self.dealer.customer_writes(customer, number=number)
        c = Picture(
            published[0].stream_id,
            recipe,
            self.process_type,
            frozenset({"shared": {"vendas", "seminovos"}, "used_cars": {"seminovos"}}[recipe.number]),
        )
        self.pictures.append(c)
        self.seen(c)
        if recipe.claimer is None:  # an admin may answer or finish straight from the pool
            if recipe.status in ("no_reply", "unanswered"):
                assert (await self.act("diego", "reply", c)).status_code == 202
            if recipe.status == "unanswered":
                await self.dealer.customer_writes(customer, "E o preço?", number=number)
                c.status = "unanswered"
            if recipe.status == "finished":
                assert (await self.act("diego", "finish", c)).status_code == 200
            return c
        lead_id = str(uuid.uuid4())
        answer = await self.clients[recipe.claimer].post(f"/conversations/{c.id}/claim", json={"lead_id": lead_id})
        assert answer.status_code == 200, answer.text
        c.owner, c.status = recipe.claimer, "unanswered"
        self.seen(c)
        if recipe.lead_moves_to:
            to, team = recipe.lead_moves_to
            await transfer_lead(self.dealer, lead_id, frm=c.owner, to=to, to_team=team)
            if self.process_type == 2:
                c.attendants = c.attendants | {c.owner}
            else:
                c.former_owners = c.former_owners | {c.owner}
            c.owner, c.owner_may_send = to, team in c.number_teams
            self.seen(c)
        if recipe.status in ("no_reply", "finished"):
            actor = c.owner if may_answer(self.people[c.owner], c) else "diego"
            answer = await self.act(actor, "reply" if recipe.status == "no_reply" else "finish", c)
            assert answer.status_code < 300, answer.text
        return c

    async def act(self, agent_id: str, action: str, c: Picture):
        client = self.clients[agent_id]
        if action == "claim":
            answer = await client.post(f"/conversations/{c.id}/claim", json={})
        elif action == "reply":
            answer = await client.post(
                f"/conversations/{c.id}/messages",
                json={"idempotency_key": uuid.uuid4().hex, "content": {"kind": "text", "body": "Bom dia!"}},
            )
        else:
            answer = await client.post(f"/conversations/{c.id}/finish")
        if answer.status_code < 300:
            if action == "claim":
                c.owner, c.status = agent_id, "unanswered" if c.status == "new" else c.status
            else:
                c.status = "no_reply" if action == "reply" else "finished"
            self.seen(c)
        return answer

    # -- checking
    async def nonexistent(self, who: str) -> None:
        """What each endpoint answers this agent about a conversation that does not exist."""
        ghost = str(uuid.uuid4())
        client = self.clients[who]
        for endpoint, request in self.requests(ghost).items():
            answer = await request(client)
            self.missing[who, endpoint] = (answer.status_code, answer.json())

    @staticmethod
    def requests(conversation_id: str):
        path = f"/conversations/{conversation_id}"
        return {
            "read": lambda client: client.get(path),
            "messages": lambda client: client.get(f"{path}/messages"),
            "claim": lambda client: client.post(f"{path}/claim", json={}),
            "reply": lambda client: client.post(
                f"{path}/messages",
                json={"idempotency_key": uuid.uuid4().hex, "content": {"kind": "text", "body": "Posso ajudar?"}},
            ),
            "finish": lambda client: client.post(f"{path}/finish"),
        }

    def expect(self, who: str, endpoint: str, answer, expected, c: Picture) -> None:
        where = f"{who} {endpoint} {cell(self.people[who], c)} {c.recipe}"
        if expected == NOT_FOUND:
            self.check(
                (answer.status_code, answer.json()) == self.missing[who, endpoint],
                f"{where}: a leak, {answer.status_code} {answer.text[:200]}",
            )
            return
        status, code, details = expected
        body = answer.json()
        self.check(
            answer.status_code == status, f"{where}: {answer.status_code} {answer.text[:200]}, expected {status}"
        )
        if code is not None:
            self.check(body.get("error", {}).get("code") == code, f"{where}: {body}, expected {code}")
        if details is not None:
            self.check(body.get("error", {}).get("details") == details, f"{where}: {body}, expected {details}")

    def owner_name(self, c: Picture) -> str | None:
        return self.people[c.owner].name if c.owner else None

    async def check_situation(self, c: Picture, viewers: Sequence[str] = VIEWERS) -> list[tuple[str, str]]:
        """Every endpoint for every agent (or these); returns the (agent, action) the oracle says succeed, left for copies."""
        succeeding = []
        for who in viewers:
            person = self.people[who]
            self.cells.add(cell(person, c))
            requests, client = self.requests(c.id), self.clients[who]
            visible = sees(person, c)
            read = await requests["read"](client)
            if visible:
                row = read.json()
                self.check(
                    read.status_code == 200 and (row["status"], row["owner_id"]) == (c.status, c.owner),
                    f"{who} read {cell(person, c)}: {read.status_code} {read.text[:200]}",
                )
            else:
                self.expect(who, "read", read, NOT_FOUND, c)
            messages = await requests["messages"](client)
            if visible:
                self.check(
                    messages.status_code == 200 and len(messages.json()["items"]) >= 1,
                    f"{who} messages {cell(person, c)}: {messages.status_code}",
                )
            else:
                self.expect(who, "messages", messages, NOT_FOUND, c)
            for endpoint, expected in (
                ("claim", claim_answer(person, c, self.owner_name(c))),
                ("reply", reply_answer(person, c)),
                ("finish", finish_answer(person, c)),
            ):
                if (
                    expected != NOT_FOUND
                    and expected[0] < 300
                    and not (endpoint == "finish" and c.status == "finished")
                ):
                    succeeding.append((who, endpoint))  # it would change the situation: done on a copy
                    continue
                self.expect(who, endpoint, await requests[endpoint](client), expected, c)
        return succeeding

    async def check_success_on_a_copy(self, recipe: Recipe, who: str, action: str) -> None:
        c = await self.build(recipe)
        before = cell(self.people[who], c)
        answer = await self.act(who, action, c)
        expected = {"claim": 200, "reply": 202, "finish": 200}[action]
        self.check(answer.status_code == expected, f"{who} {action} {before}: {answer.status_code} {answer.text[:200]}")
        if action == "claim":
            self.check(answer.json().get("owner", {}).get("id") == who, f"{who} claim {before}: {answer.text[:200]}")
        after = (await self.clients[who].get(f"/conversations/{c.id}")).json()
        self.check(
            (after.get("status"), after.get("owner_id")) == (c.status, c.owner),
            f"{who} {action} {before}: now {after}, expected {(c.status, c.owner)}",
        )

    async def check_inbox_lists(self) -> None:
        for who in VIEWERS:
            person, listed = self.people[who], {}
            while True:
                page = (
                    await self.clients[who].get("/conversations", params={"limit": 200, "offset": len(listed)})
                ).json()
                listed |= {item["conversation_id"]: item for item in page["items"]}
                if len(page["items"]) < 200:
                    break
            for c in self.pictures:
                visible = sees(person, c)
                self.check((c.id in listed) == visible, f"{who} list {cell(person, c)}: listed={c.id in listed}")
                if visible and c.id in listed:
                    self.check(listed[c.id]["status"] == c.status, f"{who} list status {cell(person, c)}")
            expected = Counter(c.status for c in self.pictures if sees(person, c))
            self.check(
                page["counts"] == {s: expected[s] for s in STATUSES},
                f"{who} counts {page['counts']}, expected {dict(expected)}",
            )

    def check_streams(self, streams, versions: dict[str, int]) -> None:
        for who, stream in streams.items():
            person = self.people[who]
            self.check(not any(name == "dropped" for name, _ in stream.events), f"{who}'s stream was dropped")
            for c in self.pictures:
                about = stream.about(c.id)
                where = f"{who} stream {cell(person, c)} {c.recipe}"
                if sees(person, c):
                    last = about[-1] if about else (None, {})
                    self.check(
                        last[0] == "conversation"
                        and (last[1]["status"], last[1]["owner_id"], last[1]["version"])
                        == (c.status, c.owner, versions[c.id]),
                        f"{where}: last {last}",
                    )
                elif who in c.ever_seen_by:
                    self.check(bool(about) and about[-1][0] == "removed", f"{where}: had it, then {about[-1:]}")
                else:
                    self.check(not stream.mentions(c.id), f"{where}: a leak on the stream")


async def open_matrix(
    stack: contextlib.AsyncExitStack,
    router,
    process_type: int,
    client_for: Callable[[object, str], httpx.AsyncClient] | None = None,
) -> Matrix:
    """A fresh account and a client per agent: in-process (ASGI) by default, or whatever ``client_for`` gives."""
    dealer = await router.dealer(process_type=process_type)
    await apply_configuration(
        AccountConfiguration(dealer.account_id, agents=tuple(AgentRecord(a) for a in EXTRA_AGENTS)),
        uow=router.config_uow,
        clock=router.clock,
    )
    dealer.agents.update({agent.id: agent for agent in EXTRA_AGENTS})
    people = {a.id: Person(a.id, a.name, str(a.role), a.team_ids) for a in dealer.agents.values()}
    clients = {
        who: await stack.enter_async_context(client_for(dealer, who) if client_for else dealer.client(who))
        for who in VIEWERS
    }
    matrix = Matrix(dealer, process_type, people, clients)
    for who in VIEWERS:
        await matrix.nonexistent(who)
    return matrix


@pytest.fixture(scope="module")
async def replica(router):
    async with live_replica(router) as running:
        yield running


def over_http(base_url: str) -> Callable[[object, str], httpx.AsyncClient]:
    def client_for(dealer, who: str) -> httpx.AsyncClient:
        agent = dealer.agents[who]
        token = mint_token(
            secret=JWT_SECRET,
            agent_id=agent.id,
            name=agent.name,
            role=str(agent.role),
            account_id=dealer.account_id,
            teams=sorted(agent.team_ids),
        )
        # idle connections dropped before the server closes them (a request on one it is closing fails)
        return httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
            limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S),
        )

    return client_for


async def same_matrix_over_http(stack: contextlib.AsyncExitStack, matrix: Matrix, base_url: str) -> Matrix:
    """The same account, people and situations, with each agent's requests sent to a real HTTP server."""
    client_for = over_http(base_url)
    clients = {who: await stack.enter_async_context(client_for(matrix.dealer, who)) for who in VIEWERS}
    http = Matrix(matrix.dealer, matrix.process_type, matrix.people, clients, pictures=matrix.pictures)
    for who in VIEWERS:
        await http.nonexistent(who)
    return http


async def at_once(steps: Iterable[Awaitable[T]], *, at_most: int = AT_ONCE) -> list[T]:
    """Independent situations and copies checked concurrently, as many agents' requests arrive at once in a real
    inbox; each situation's own checks stay in order."""
    slots = asyncio.Semaphore(at_most)

    async def one(step: Awaitable[T]) -> T:
        async with slots:
            return await step

    return list(await asyncio.gather(*(one(step) for step in steps)))


def sampled_over_http(http: Matrix, c: Picture) -> list[str]:
    """The agents whose view of this situation is also checked over HTTP: those in a cell HTTP has not checked yet,
    so every cell the matrix reaches is checked over HTTP at least once (asserted), each only once."""
    first = {}
    for who in VIEWERS:
        first.setdefault(cell(http.people[who], c), who)
    return [who for at, who in first.items() if at not in http.cells]


@pytest.mark.parametrize("process_type", [1, 2], ids=["process 1", "process 2"])
async def test_every_agent_sees_and_does_exactly_what_the_product_rules_allow(
    router, replica, router_url, process_type, capsys
):
    async with contextlib.AsyncExitStack() as stack:
        matrix = await open_matrix(stack, router, process_type)
        http = await same_matrix_over_http(stack, matrix, router_url)
        clients = matrix.clients
        streams = {who: await stack.enter_async_context(streaming(replica, matrix.dealer, who)) for who in VIEWERS}

        situations = await at_once(matrix.build(recipe) for recipe in recipes())

        async def check(c: Picture) -> None:
            succeeding = await matrix.check_situation(c)
            await at_once(matrix.check_success_on_a_copy(c.recipe, who, action) for who, action in succeeding)
            succeeding = await http.check_situation(c, sampled_over_http(http, c))
            await at_once(http.check_success_on_a_copy(c.recipe, who, action) for who, action in succeeding)

        await at_once(check(c) for c in situations)
        await matrix.check_inbox_lists()
        await http.check_inbox_lists()

        versions = {}
        for c in matrix.pictures:
            versions[c.id] = (await clients["diego"].get(f"/conversations/{c.id}")).json()["version"]
        await until(
            lambda: all(
                any(n == "conversation" and d["version"] == versions[c.id] for n, d in streams["diego"].about(c.id))
                for c in matrix.pictures
            ),
            "the admin's stream has every conversation's last state",
            within_s=30,
        )
        await asyncio.sleep(SETTLE_S)
        matrix.check_streams(streams, versions)

    required = {
        (f"process {process_type}", role, status, linked, rel)
        for role, status, linked, rel in product(
            ("attendant", "seller", "admin"), STATUSES, ("linked", "not linked"), ("owner", "other")
        )
        if not (rel == "owner" and status == "new")
    }  # a new conversation has no owner yet
    covered = {c[:5] for c in matrix.cells}
    with capsys.disabled():
        print(
            f"\nauthorization matrix, process {process_type}: {len(matrix.cells)} cells "
            f"({len(matrix.pictures)} conversations, {len(VIEWERS)} agents), {matrix.checks} checks in-process, "
            f"{http.checks} over HTTP, {len(matrix.failures) + len(http.failures)} failed"
        )
    assert required <= covered, f"cells the matrix never built: {sorted(required - covered)}"
    assert matrix.cells <= http.cells, f"cells never checked over HTTP: {sorted(matrix.cells - http.cells)}"
    if process_type == 2:
        assert {c for c in covered if c[4] == "collaborator"}, "the process-2 attendant case is in the matrix"
    assert not matrix.failures, "\n".join(matrix.failures[:40])
    assert not http.failures, "over HTTP:\n" + "\n".join(http.failures[:40])


async def test_when_an_account_leaves_process_two_the_attendants_lose_the_conversations_of_leads_they_passed_on(
    router, capsys
):
    async with contextlib.AsyncExitStack() as stack:
        matrix = await open_matrix(stack, router, process_type=2)
        passed_on = [await matrix.build(recipe) for recipe in recipes() if recipe.lead_moves_to]
        assert all(c.attendants for c in passed_on)
        await apply_configuration(
            AccountConfiguration(matrix.dealer.account_id, settings=AccountSettings(process_type=1)),
            uow=router.config_uow,
            clock=router.clock,
        )
        for c in matrix.pictures:
            c.process_type = 1
        for c in passed_on:
            await matrix.check_situation(c)  # reads and refusals; what succeeds is the process-1 matrix's business
        await matrix.check_inbox_lists()
    with capsys.disabled():
        print(
            f"\nprocess 2 switched to 1: {len(matrix.cells)} cells, {matrix.checks} checks, {len(matrix.failures)} failed"
        )
    assert any(cell[4] == "collaborator" and cell[0] == "process 1" for cell in matrix.cells)
    assert not matrix.failures, "\n".join(matrix.failures[:40])


async def test_an_agent_who_never_had_it_in_their_pool_cannot_learn_its_owner_by_claiming_it(router):
    dealer = await router.dealer()
    async with dealer.client("ana") as ana, dealer.client("bruno") as bruno:
        started = await ana.post(
            "/conversations",
            json={
                "lead_id": str(uuid.uuid4()),
                "customer_name": "Marta Lopes",
                "phone": "+55 11 98765-1234",
                "idempotency_key": "start-1",
                "content": {"kind": "template", "name": "follow_up", "language": "pt_BR"},
            },
        )
        assert started.status_code == 201, started.text
        conversation_id = started.json()["conversation_id"]
        assert (await bruno.get(f"/conversations/{conversation_id}")).status_code == 404, "it never was in a pool"
        hidden = await bruno.post(f"/conversations/{conversation_id}/claim", json={})
        missing = await bruno.post(f"/conversations/{uuid.uuid4()}/claim", json={})
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
