"""What the backend's fences (backend/_aiosqlite.py, backend/_strawberry.py,
backend/api/_strawberry_ws.py, backend/api/_graphql_core.py) need of the private parts
of aiosqlite, strawberry and graphql-core, pinned one behaviour per test: an upgrade
that changes one fails here, by name, instead of somewhere in the product."""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import re
import sqlite3
import threading
import tomllib
import warnings
import weakref
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import strawberry
from graphql import (
    ExecutionResult,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    ValidationRule,
    parse,
    specified_rules,
    subscribe,
    validate,
)
from graphql import execute as core_execute
from graphql.execution import Executor
from packaging.requirements import Requirement
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    _OperationStreamClosed,
)

from backend._aiosqlite import on_thread, sqlite_connection
from backend._strawberry import (
    STRAWBERRY_RULES,
    ExecutionContext,
    OperationType,
    core_schema,
    field_arguments,
    is_same_origin,
    normalize_allowed_origins,
    normalize_origin,
    optimized_is_awaitable,
    resolve_info,
    validate_document,
)
from backend.api._graphql_core import ValidationAborted, detach_helpers, forget_memo
from backend.api._strawberry_ws import (
    PreExecutionError,
    TransportWSBase,
    WebSocketAdapter,
    aclosing,
)
from backend.api.schema import MeteredExecutor

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# -- the pinned versions ----------------------------------------------------------------


def test_the_installed_libraries_are_within_the_ranges_pyproject_pins() -> None:
    """The fences are checked against the installed versions; the ranges in
    pyproject.toml must say which those are (aiosqlite's and graphql-core's have an
    upper bound for the private parts they lean on)."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pinned = {}
    for line in dependencies:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            pinned[requirement.name] = requirement
    for name in ("aiosqlite", "graphql-core", "strawberry-graphql"):
        assert pinned[name].specifier.contains(version(name)), (name, version(name))
    assert pinned["aiosqlite"].specifier.contains("0.23") is False
    assert pinned["graphql-core"].specifier.contains("3.4") is False
    assert pinned["strawberry-graphql"].specifier.contains("0.342") is False


# -- aiosqlite: Connection._execute and Connection._conn --------------------------------


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    async with aiosqlite.connect(tmp_path / "pins.sqlite", isolation_level=None) as conn:
        yield conn


async def test_aiosqlite_execute_runs_a_function_whole_on_the_connection_thread(
    connection: aiosqlite.Connection,
) -> None:
    def statements(conn: sqlite3.Connection) -> tuple[int, int]:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
        return threading.get_ident(), conn.execute("SELECT sum(x) FROM t").fetchone()[0]

    thread, total = await on_thread(connection, statements, sqlite_connection(connection))
    assert (thread != threading.get_ident(), total) == (True, 3)
    # The same connection aiosqlite's public methods use, on the same thread.
    async with connection.execute("SELECT count(*) FROM t") as cursor:
        assert await cursor.fetchone() == (2,)
    assert await on_thread(connection, threading.get_ident) == thread


async def test_aiosqlite_execute_raises_the_function_s_own_error(
    connection: aiosqlite.Connection,
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT * FROM nowhere")

    with pytest.raises(sqlite3.OperationalError, match="no such table: nowhere"):
        await on_thread(connection, broken, sqlite_connection(connection))
    assert await on_thread(connection, lambda: "still usable") == "still usable"


async def test_aiosqlite_conn_is_the_threads_sqlite3_connection(
    connection: aiosqlite.Connection,
) -> None:
    conn = sqlite_connection(connection)
    assert isinstance(conn, sqlite3.Connection)
    assert sqlite_connection(connection) is conn
    # It belongs to aiosqlite's thread: used from another, sqlite3 refuses.
    with pytest.raises(sqlite3.ProgrammingError, match="thread"):
        conn.execute("SELECT 1")


# -- strawberry: Schema._schema, Info._raw_info, Info._field -----------------------------

seen: dict[str, Any] = {}


@strawberry.type
class PinQuery:
    @strawberry.field
    def greeting(self, info: strawberry.Info, name: str = "you", loud: bool = False) -> str:
        seen["raw"] = resolve_info(info)
        seen["arguments"] = [argument.python_name for argument in field_arguments(info)]
        return f"hello {name}"


def test_strawberry_schema_keeps_the_graphql_core_schema_it_executes() -> None:
    schema = strawberry.Schema(query=PinQuery)
    core = core_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None and "greeting" in core.query_type.fields
    seen.clear()
    result = schema.execute_sync("query Q { ...F } fragment F on PinQuery { greeting }")
    assert result.errors is None
    assert seen["raw"].schema is core


def test_strawberry_info_holds_graphql_core_info_and_the_declared_arguments() -> None:
    schema = strawberry.Schema(query=PinQuery)
    seen.clear()
    result = schema.execute_sync(
        'query Q { ...F } fragment F on PinQuery { hi: greeting(name: "Ada") }'
    )
    assert result.data == {"hi": "hello Ada"}
    raw = seen["raw"]  # graphql-core's info, or a NamedTuple of strawberry's with its fields
    assert [node.name.value for node in raw.field_nodes] == ["greeting"]
    assert list(raw.fragments) == ["F"]
    assert raw.schema is core_schema(schema)
    # Every declared argument, given or not, by its Python name.
    assert seen["arguments"] == ["name", "loud"]


def test_strawberry_schema_runs_graphql_core_with_its_execution_context() -> None:
    """The API's executors (schema.py) subclass it, keeping what strawberry's does."""
    assert strawberry.Schema(query=PinQuery).execution_context_class is ExecutionContext
    built: list[str] = []

    class Recording(ExecutionContext):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self.operation.operation.value)

    schema = strawberry.Schema(query=PinQuery, execution_context_class=Recording)
    assert schema.execute_sync("{ greeting }").data == {"greeting": "hello you"}
    assert built == ["query"]


def test_strawberry_validate_document_validates_against_a_core_schema() -> None:
    """documents.py validates a cached document with it, as strawberry would."""
    core = core_schema(strawberry.Schema(query=PinQuery))
    rules = tuple(specified_rules)  # documents.py passes strawberry's, these among them
    assert validate_document(core, parse("{ greeting }"), rules) == []
    (error,) = validate_document(core, parse("{ farewell }"), rules)
    assert "farewell" in error.message


def test_strawberry_validate_document_adds_the_rules_strawberry_validates_with() -> None:
    """inprocess.py validates with the same rules, once per document."""
    source = inspect.getsource(validate_document)
    assert [rule.__name__ for rule in STRAWBERRY_RULES if rule.__name__ not in source] == []


async def test_strawberry_optimized_is_awaitable_tells_coroutines_from_values() -> None:
    coroutine = _word("x")
    assert optimized_is_awaitable(coroutine) is True
    values: tuple[object, ...] = (1, "x", None, [])
    assert [optimized_is_awaitable(value) for value in values] == [False] * 4
    assert await coroutine == "x"


def test_strawberry_operation_type_holds_the_three_operation_kinds() -> None:
    assert {kind.value for kind in OperationType} == {"query", "mutation", "subscription"}


def test_strawberry_normalize_origin_writes_an_origin_as_browsers_send_it() -> None:
    assert normalize_origin("https://Example.com:443") == "https://example.com"
    assert normalize_origin("http://127.0.0.1:8787") == "http://127.0.0.1:8787"
    assert normalize_origin("null") is None


def test_strawberry_is_same_origin_compares_host_and_port() -> None:
    assert is_same_origin("http://127.0.0.1:8787", "127.0.0.1:8787") is True
    assert is_same_origin("http://127.0.0.1:8787", "127.0.0.1:9000") is False
    assert is_same_origin("https://example.com", "example.com:443") is True
    assert is_same_origin("http://evil.example", None) is False


def test_strawberry_normalize_allowed_origins_refuses_what_is_not_an_origin() -> None:
    assert normalize_allowed_origins(["HTTP://A.example:80", "*"]) == {"http://a.example", "*"}
    with pytest.raises(ValueError, match="Invalid origin"):
        normalize_allowed_origins(["http://a.example/path"])


# strawberry's documented modules; anything else of it is imported by a fence only.
STRAWBERRY_PUBLIC = {
    "strawberry",
    "strawberry.asgi",
    "strawberry.dataloader",
    "strawberry.exceptions",
    "strawberry.extensions",
    "strawberry.http",
    "strawberry.permission",
    "strawberry.scalars",
    "strawberry.schema.name_converter",  # StrawberryConfig(name_converter=...)'s type
    "strawberry.subscriptions",
    "strawberry.tools",
    "strawberry.types",
}
STRAWBERRY_FENCES = {"backend/_strawberry.py", "backend/api/_strawberry_ws.py"}


def test_only_the_fences_import_strawberry_s_private_modules() -> None:
    root = PYPROJECT.parent
    found = []
    for path in sorted(root.glob("backend/**/*.py")):
        where = str(path.relative_to(root))
        if where in STRAWBERRY_FENCES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [
                f"{where}: {name}"
                for name in names
                if name.split(".")[0] == "strawberry" and name not in STRAWBERRY_PUBLIC
            ]
    assert found == [], "import these through backend/_strawberry.py or api/_strawberry_ws.py"


# -- strawberry: the graphql-transport-ws handler's private steps -------------------------


@strawberry.type
class PinSubscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[int]:
        yield 1


@pytest.mark.parametrize("name", ["_get_pre_execution_close_reason", "_send_result_stream"])
def test_strawberry_ws_handler_has_the_private_methods_the_fence_overrides(name: str) -> None:
    """_strawberry_ws.py overrides them to call public hooks; one renamed upstream would
    silently stop being called."""
    theirs = inspect.signature(getattr(BaseGraphQLTransportWSHandler, name))
    ours = inspect.signature(getattr(TransportWSBase, name))
    assert [p for p in theirs.parameters if p != "self"] == [
        p for p in ours.parameters if p != "self"
    ]


@pytest.mark.parametrize(
    ("caller", "callee"),
    [
        ("run_operation", "_send_result_stream"),
        ("_handle_pre_execution_error", "_get_pre_execution_close_reason"),
    ],
)
def test_strawberry_ws_handler_calls_the_overridden_methods_through_self(
    caller: str, callee: str
) -> None:
    """Called through ``self``, an override is what runs (a static method too)."""
    assert f"self.{callee}(" in inspect.getsource(getattr(BaseGraphQLTransportWSHandler, caller))


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("_handle_pre_execution_error", ["self", "operation", "result"]),
        ("_reject_incremental_delivery", ["self", "operation"]),
    ],
)
def test_strawberry_ws_handler_has_the_private_methods_the_fence_calls(
    name: str, parameters: list[str]
) -> None:
    method = getattr(BaseGraphQLTransportWSHandler, name)
    assert inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters) == parameters


def test_strawberry_ws_handler_keeps_its_running_operations_by_id() -> None:
    """has_operation and forget_operation read and change ``operations``."""
    handler: TransportWSBase[None, None] = TransportWSBase(
        None,  # type: ignore[arg-type]  # the view and socket are not used here
        None,  # type: ignore[arg-type]
        None,
        None,
        strawberry.Schema(query=PinQuery),
        timedelta(seconds=1),
    )
    assert handler.operations == {} and not handler.has_operation("1")
    source = inspect.getsource(BaseGraphQLTransportWSHandler.handle_subscribe)
    assert 'self.operations[message["id"]] = operation' in source
    assert 'message["id"] in self.operations' in source  # a second subscribe of an id


def test_strawberry_ws_operation_stream_closed_ends_the_operation_quietly() -> None:
    """websocket.py raises it after closing the socket for a subscriber that fell behind:
    the operation's task returns, with no error logged and no ``complete`` sent."""
    assert issubclass(_OperationStreamClosed, Exception)
    source = inspect.getsource(BaseGraphQLTransportWSHandler.run_operation)
    assert re.search(r"except _OperationStreamClosed:\s+return\b", source), source


async def test_strawberry_stream_yields_a_pre_execution_error_first_for_a_bad_document() -> None:
    """What websocket.py tells apart from a result on a subscription's first item."""
    schema = strawberry.Schema(query=PinQuery, subscription=PinSubscription)
    for document in ("subscription {", "subscription { nope }"):
        source = await schema.stream(document)
        async with aclosing(source):
            first = await anext(aiter(source))
        assert isinstance(first, PreExecutionError) and first.errors, document
    source = await schema.stream("subscription { ticks }")
    async with aclosing(source):
        (result,) = [result async for result in source]
    assert isinstance(result, strawberry.types.ExecutionResult), result
    assert result.data == {"ticks": 1}


async def test_strawberry_aclosing_closes_and_swallows_an_error_of_aclose() -> None:
    closed: list[bool] = []

    async def stream() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)
            raise RuntimeError("aclose failed")

    source = stream()
    async with aclosing(source):
        assert await anext(source) == 1
    assert closed == [True]


def test_strawberry_asgi_websocket_adapter_keeps_starlette_s_socket_as_ws() -> None:
    """WebSocketAdapter.send_text writes to it directly."""

    async def nothing(*_: Any) -> Any:
        return None

    socket = WebSocket({"type": "websocket", "headers": [], "path": "/"}, nothing, nothing)
    adapter = WebSocketAdapter(None, socket, socket)  # type: ignore[arg-type]  # no view needed
    assert adapter.ws is socket


# -- graphql-core: the executor's async helpers ------------------------------------------


class Detached(Executor[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        detach_helpers(self)


async def _word(text: str, delay: float = 0) -> str:
    await asyncio.sleep(delay)
    return text


async def _fail() -> str:
    raise ValueError("one failed")


cancelled: list[str] = []
settled: list[str] = []


async def _slow() -> str:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append("slow")
        raise
    return "slow"


async def _settle() -> None:
    settled.append("tracked")


async def _both(_: Any, info: GraphQLResolveInfo[Any]) -> str:
    return " ".join(await info.async_helpers.gather([_word("a", 0.01), _word("b")]))


async def _one_fails(_: Any, info: GraphQLResolveInfo[Any]) -> str:
    return " ".join(await info.async_helpers.gather([_slow(), _fail()]))


def _tracks(_: Any, info: GraphQLResolveInfo[Any]) -> str:
    info.async_helpers.track([_settle(), "not awaitable"])
    return "tracked"


async def _events(*_: Any) -> AsyncIterator[str]:
    for word in ("one", "two"):
        yield word


ITEM_EVENTS = 20


async def _items(*_: Any) -> AsyncIterator[dict[str, str]]:
    for n in range(ITEM_EVENTS):
        yield {"name": f"item {n}"}


ITEM = GraphQLObjectType("Item", {"name": GraphQLField(GraphQLString)})


CORE = GraphQLSchema(
    GraphQLObjectType(
        "Query",
        {
            "both": GraphQLField(GraphQLString, resolve=_both),
            "oneFails": GraphQLField(GraphQLString, resolve=_one_fails),
            "tracks": GraphQLField(GraphQLString, resolve=_tracks),
            "plain": GraphQLField(GraphQLString, resolve=lambda *_: "plain"),
        },
    ),
    subscription=GraphQLObjectType(
        "Subscription",
        {
            "word": GraphQLField(GraphQLString, subscribe=_events, resolve=lambda w, _: w),
            "item": GraphQLField(ITEM, subscribe=_items, resolve=lambda i, _: i),
        },
    ),
)


async def _run(document: str, cls: type[Executor[Any]]) -> ExecutionResult:
    result = core_execute(CORE, parse(document), executor_class=cls)
    return await result if inspect.isawaitable(result) else result


def _executor(document: str, cls: type[Executor[Any]] = Executor) -> Executor[Any]:
    built = cls.build(CORE, parse(document))
    assert isinstance(built, Executor), built
    return built


def test_graphql_core_executor_builds_its_helpers_from_its_own_methods() -> None:
    """The cycle _graphql_core.py removes: if upstream drops it, so can we."""
    executor = _executor("{ plain }")
    assert executor.async_helpers.gather.__self__ is executor  # type: ignore[attr-defined]
    assert executor.async_helpers.track.__func__ is Executor.track_async_work
    gc.disable()
    try:
        ref = weakref.ref(executor)
        del executor
        assert ref() is not None  # kept by the cycle until a collection
        gc.collect()
        assert ref() is None
        detached = _executor("{ plain }", Detached)
        ref = weakref.ref(detached)
        del detached
        assert ref() is None  # gone on its last reference, no collection needed
    finally:
        gc.enable()


@pytest.fixture
def executor_class() -> Iterator[type[Executor[Any]]]:
    cancelled.clear()
    settled.clear()
    yield Detached


async def test_detached_gather_returns_the_results_in_order(
    executor_class: type[Executor[Any]],
) -> None:
    result = await _run("{ both }", executor_class)
    assert (result.data, result.errors) == ({"both": "a b"}, None)


async def test_detached_gather_cancels_the_rest_when_one_fails(
    executor_class: type[Executor[Any]],
) -> None:
    result = await _run("{ oneFails }", executor_class)
    assert result.errors is not None and result.errors[0].message == "one failed"
    assert cancelled == ["slow"]  # settled before the error was propagated


async def test_detached_track_settles_the_awaitables_it_is_given(
    executor_class: type[Executor[Any]],
) -> None:
    result = await _run("{ tracks }", executor_class)
    assert result.data == {"tracks": "tracked"}
    for _ in range(3):  # settled in the background, within a few loop turns
        if settled:
            break
        await asyncio.sleep(0)
    assert settled == ["tracked"]


def test_graphql_core_calls_execute_field_for_each_field() -> None:
    """MeteredExecutor (schema.py) meters each field in ``execute_field``."""
    fields: list[str] = []

    class Counting(Executor[Any]):
        def execute_field(self, *args: Any, **kwargs: Any) -> Any:
            fields.append(args[2][0].node.name.value)
            return super().execute_field(*args, **kwargs)

    result = core_execute(CORE, parse("{ plain again: plain }"), executor_class=Counting)
    assert result == ({"plain": "plain", "again": "plain"}, None)
    assert fields == ["plain", "plain"]


async def test_graphql_core_builds_an_executor_per_subscription_event() -> None:
    """MeteredExecutor gives each event a loop budget of its own there."""
    built: list[Any] = []

    class PerEvent(Executor[Any]):
        def build_per_event_executor(self, payload: Any) -> Executor[Any]:
            built.append(payload)
            return super().build_per_event_executor(payload)

    stream = subscribe(CORE, parse("subscription { word }"), executor_class=PerEvent)
    if inspect.isawaitable(stream):
        stream = await stream
    assert not isinstance(stream, ExecutionResult), stream
    assert [result.data async for result in stream] == [{"word": "one"}, {"word": "two"}]
    assert built == ["one", "two"]


async def _subscription_memo(executor_class: type[Executor[Any]]) -> int:
    """The entries in a subscription's memo of collected subfields after its events."""
    parents: list[Executor[Any]] = []

    class Recording(executor_class):  # type: ignore[valid-type,misc]
        def build_per_event_executor(self, payload: Any) -> Executor[Any]:
            parents.append(self)
            return super().build_per_event_executor(payload)  # type: ignore[no-any-return]

    stream = subscribe(CORE, parse("subscription { item { name } }"), executor_class=Recording)
    if inspect.isawaitable(stream):
        stream = await stream
    assert not isinstance(stream, ExecutionResult), stream
    assert len([result async for result in stream]) == ITEM_EVENTS
    (parent,) = set(parents)
    return len(parent._relevant_sub_fields)


async def test_graphql_core_s_event_executors_grow_the_subscription_s_memo() -> None:
    """What forget_memo (_graphql_core.py) undoes: each event's execution adds its own
    field lists to the memo the per-event copies share with the subscription's."""
    assert await _subscription_memo(Executor) == ITEM_EVENTS


async def test_forget_memo_keeps_the_subscription_s_memo_from_growing() -> None:
    class Forgetting(Executor[Any]):
        def build_per_event_executor(self, payload: Any) -> Executor[Any]:
            executor = super().build_per_event_executor(payload)
            forget_memo(executor)
            return executor

    assert await _subscription_memo(Forgetting) == 0
    assert await _subscription_memo(MeteredExecutor) == 0  # the API's


# -- graphql-core: a validation rule that stops the validation ----------------------------


def test_graphql_core_validate_stops_at_a_rule_s_validation_aborted() -> None:
    """limits.py refuses a document over the limits so, before other rules walk it."""
    entered: list[str] = []

    class Refusing(ValidationRule):
        def enter_operation_definition(self, *_: Any) -> None:
            raise ValidationAborted("refused")

    class Walking(ValidationRule):
        def enter_field(self, node: Any, *_: Any) -> None:
            entered.append(node.name.value)

    errors = validate(CORE, parse("{ plain nope }"), [Refusing, Walking, *specified_rules])
    assert [error.message for error in errors] == ["refused"]
    assert isinstance(errors[0], ValidationAborted)
    assert entered == []  # no rule went further


# -- graphql-core: field coroutines left unstarted by a cancellation ---------------------


@strawberry.type
class Leaf:
    @strawberry.field
    async def a(self) -> int:
        return 1

    @strawberry.field
    async def b(self) -> int:
        return 2


@strawberry.type
class TreeQuery:
    @strawberry.field
    def leaves(self) -> list[Leaf]:
        return [Leaf(), Leaf()]


def _ignored_coroutines() -> re.Pattern[str]:
    """The pattern of pyproject.toml's filter for graphql-core's unstarted coroutines."""
    filters = tomllib.loads(PYPROJECT.read_text())["tool"]["pytest"]["ini_options"]
    (line,) = [f for f in filters["filterwarnings"] if f.startswith("ignore:coroutine")]
    return re.compile(line.split(":")[1])


async def test_graphql_core_leaves_field_coroutines_unstarted_when_cancelled_early() -> None:
    """Why pyproject.toml lets these RuntimeWarnings through (and only these).

    graphql-core calls each field's resolver at once, and awaits the coroutines it gets
    later, from a coroutine of its own per object (``execute_fields``' ``get_results``),
    which a list's ``gather_with_cancel`` wraps in a task per item. Cancelled before
    those tasks' first step (a subscription's task, as the server closes its socket,
    between an event's list being gathered and its items starting), each item's
    coroutine gets the CancelledError at its first line: the coroutines it holds never
    start, and Python warns when it frees them. Nothing of ours is left undone
    (they were to be cancelled); if upstream stops leaving them, this test fails and
    the filter can go.
    """
    schema = strawberry.Schema(query=TreeQuery)
    before = len(asyncio.all_tasks())
    messages: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # Only the text: a recorded warning keeps its coroutine, and what it holds, alive.
        warnings.showwarning = lambda message, *_: messages.add(str(message))
        task = asyncio.ensure_future(schema.execute("{ leaves { a b } }"))
        # One task per listed object: cancel while they wait for their first step (a
        # turn of the loop at a time, so as not to give them one).
        for _ in range(100):
            if len(asyncio.all_tasks()) == before + 1 + 2:
                break
            await asyncio.sleep(0)
        objects = asyncio.all_tasks() - {task, asyncio.current_task()}
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.gather(*objects, return_exceptions=True)
        del task, objects
        gc.collect()
    assert messages == {
        "coroutine 'Executor.execute_fields.<locals>.get_results' was never awaited",
        "coroutine 'Executor.complete_awaitable_value' was never awaited",
        "coroutine 'GraphQLCoreConverter.from_resolver.<locals>._async_resolver' was never awaited",
    }
    assert all(_ignored_coroutines().match(message) for message in messages)
