"""Backend resolution (environment and .env files), key masking, and the guard that keeps each key on its own host.

The hosted path is exercised with the real ``openai`` SDK over an ``httpx2.MockTransport`` that records requests:
nothing leaves the machine.
"""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from nbtools.backend import Backend, client_backend, connect, resolve_backend
from nbtools.errors import BackendError, ConfigError
from backend_support import ServerLookups

# fake keys, assembled at run time so that no key-shaped text sits in the repository
OPENAI_KEY = "-".join(["sk", "proj", "TESTkeyDoNotUse000000000000000000001234"])
OTHER_KEY = "-".join(["sk", "proj", "OTHERkeyDoNotUse00000000000000005678"])
TEAM_KEY = "team-secret-key-abcdefghij9999"
URL = "http://llm.internal:8000/v1"


def _write_env(tmp_path, text: str | None):
    if text is None:
        return None
    path = tmp_path / "settings.env"
    path.write_text(text, encoding="utf-8")
    return path


RESOLUTION = [
    # (id, kind, environment, .env text, expected kind, base_url, key, key source ("env"/"file"))
    ("nothing set: local", "auto", {}, None, "local", None, None, None),
    ("a key alone does not switch to OpenAI", "auto", {"OPENAI_API_KEY": OPENAI_KEY}, None, "local", None, None, None),
    ("NBTOOLS_BACKEND=openai chooses it", "auto", {"OPENAI_API_KEY": OPENAI_KEY, "NBTOOLS_BACKEND": "openai"}, None,
     "openai", "https://api.openai.com/v1", OPENAI_KEY, "env"),
    ("NBTOOLS_BACKEND from .env", "auto", {}, f"NBTOOLS_BACKEND=openai\nOPENAI_API_KEY={OPENAI_KEY}\n",
     "openai", "https://api.openai.com/v1", OPENAI_KEY, "file"),
    ("kind=openai with the key in .env", "openai", {}, f"OPENAI_API_KEY={OPENAI_KEY}\n",
     "openai", "https://api.openai.com/v1", OPENAI_KEY, "file"),
    ("the environment wins over .env", "openai", {"OPENAI_API_KEY": OPENAI_KEY}, f"OPENAI_API_KEY={OTHER_KEY}\n",
     "openai", "https://api.openai.com/v1", OPENAI_KEY, "env"),
    ("an empty variable counts as unset", "openai", {"OPENAI_API_KEY": ""}, f"OPENAI_API_KEY={OTHER_KEY}\n",
     "openai", "https://api.openai.com/v1", OTHER_KEY, "file"),
    ("kind=openai ignores OPENAI_BASE_URL", "openai", {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": URL}, None,
     "openai", "https://api.openai.com/v1", OPENAI_KEY, "env"),
    ("OPENAI_BASE_URL makes auto custom", "auto", {"OPENAI_API_KEY": TEAM_KEY, "OPENAI_BASE_URL": URL + "/"}, None,
     "custom", URL, TEAM_KEY, "env"),
    ("custom URL and key both in .env", "auto", {}, f"OPENAI_BASE_URL={URL}\nOPENAI_API_KEY={TEAM_KEY}\n",
     "custom", URL, TEAM_KEY, "file"),
    ("custom: the key beside the URL, not the environment's", "custom", {"OPENAI_API_KEY": OPENAI_KEY},
     f"OPENAI_BASE_URL={URL}\nOPENAI_API_KEY={TEAM_KEY}\n", "custom", URL, TEAM_KEY, "file"),
    ("kind=local ignores every OpenAI variable", "local", {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": URL},
     None, "local", None, None, None),
    ("NBTOOLS_BACKEND=local beats OPENAI_BASE_URL", "auto", {"NBTOOLS_BACKEND": "LOCAL", "OPENAI_BASE_URL": URL},
     None, "local", None, None, None),
]


@pytest.mark.parametrize("kind, environ, dotenv, want_kind, want_url, want_key, want_source",
                         [case[1:] for case in RESOLUTION], ids=[case[0] for case in RESOLUTION])
def test_resolution_table(tmp_path, kind, environ, dotenv, want_kind, want_url, want_key, want_source):
    env_file = _write_env(tmp_path, dotenv)
    backend = resolve_backend(kind, env_file=env_file, environ=environ)
    assert (backend.kind, backend.base_url, backend.api_key) == (want_kind, want_url, want_key)
    expected_source = {"env": "environment", "file": str(env_file), None: None}[want_source]
    assert backend.key_source == expected_source


FAILURES = [
    # (id, kind, environment, .env text, words the message must contain)
    ("openai chosen without a key", "openai", {}, None, ["OPENAI_API_KEY"]),
    ("NBTOOLS_BACKEND=openai without a key", "auto", {"NBTOOLS_BACKEND": "openai"}, None, ["OPENAI_API_KEY"]),
    ("custom without a URL", "custom", {"OPENAI_API_KEY": OPENAI_KEY}, None, ["OPENAI_BASE_URL"]),
    ("URL in the environment, key only in .env", "auto", {"OPENAI_BASE_URL": URL}, f"OPENAI_API_KEY={TEAM_KEY}\n",
     ["OPENAI_API_KEY", "same place", "environment"]),
    ("URL in .env, key only in the environment", "auto", {"OPENAI_API_KEY": OPENAI_KEY}, f"OPENAI_BASE_URL={URL}\n",
     ["OPENAI_API_KEY", "same place", "settings.env"]),
    ("a URL that is not http(s)", "custom", {"OPENAI_BASE_URL": "ftp://files.example", "OPENAI_API_KEY": TEAM_KEY},
     None, ["OPENAI_BASE_URL", "ftp://files.example"]),
    ("an unknown NBTOOLS_BACKEND", "auto", {"NBTOOLS_BACKEND": "azure"}, None, ["NBTOOLS_BACKEND", "azure"]),
    ("an unknown kind", "hosted", {}, None, ["kind", "hosted"]),
]


@pytest.mark.parametrize("kind, environ, dotenv, words", [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES])
def test_resolution_errors_name_the_missing_variable_and_never_a_key(tmp_path, kind, environ, dotenv, words):
    with pytest.raises(ConfigError) as caught:
        resolve_backend(kind, env_file=_write_env(tmp_path, dotenv), environ=environ)
    message = str(caught.value)
    assert all(word in message for word in words), message
    assert OPENAI_KEY not in message and TEAM_KEY not in message


def test_an_explicit_env_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_backend(env_file=tmp_path / "missing.env", environ={})


def test_the_default_env_file_is_found_from_the_working_directory_upwards(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(f"NBTOOLS_BACKEND=openai\nOPENAI_API_KEY={OPENAI_KEY}\n", encoding="utf-8")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    backend = resolve_backend(environ={})
    assert backend.kind == "openai" and backend.key_source == str(tmp_path / ".env")
    assert resolve_backend(env_file=None, environ={}).kind == "local"  # env_file=None reads no file


def test_reading_a_dotenv_file_leaves_os_environ_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    env_file = _write_env(tmp_path, f"OPENAI_API_KEY={OPENAI_KEY}\n")
    resolve_backend("openai", env_file=env_file)
    import os

    assert "OPENAI_API_KEY" not in os.environ


@pytest.mark.parametrize("backend", [
    Backend("openai", "https://api.openai.com/v1", OPENAI_KEY, "org-abc", key_source="environment"),
    Backend("custom", URL, TEAM_KEY, key_source=".env"),
    Backend("local", "http://127.0.0.1:8765/v1", "nb-" + "x" * 40 + "LAST", key_source="local server"),
], ids=["openai", "custom", "local"])
def test_keys_are_masked_in_repr_str_and_describe(backend):
    shown = [repr(backend), str(backend), json.dumps(backend.describe()), f"{backend}", f"{[backend]}"]
    for text in shown:
        assert backend.api_key not in text
        assert backend.api_key[-4:] in text  # the masked form keeps the last four characters
    assert backend.describe()["api_key"].endswith(backend.api_key[-4:])


# -- the guard on the wire ---------------------------------------------------------------------------------------------

class Recorder:
    """An httpx2 transport that records every request and answers like the service's model list."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(200, json={"object": "list", "data": [
            {"id": "gpt-4o-mini-2024-07-18", "object": "model", "created": 1, "owned_by": "system"}]})

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self))


def test_connect_openai_sends_the_key_to_api_openai_com_only():
    recorder = Recorder()
    client = connect("openai", env_file=None, environ={"OPENAI_API_KEY": OPENAI_KEY}, http_client=recorder.client(),
                     max_retries=0)
    assert client.models.list().data[0].id == "gpt-4o-mini-2024-07-18"
    request = recorder.requests[-1]
    assert str(request.url) == "https://api.openai.com/v1/models"
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    # the same client pointed elsewhere (a typical copy-paste mistake) must not carry the key there
    elsewhere = client.with_options(base_url="https://proxy.example.net/v1")
    with pytest.raises(BackendError, match="refused to send a request for the openai backend") as caught:
        elsewhere.models.list()
    assert OPENAI_KEY not in str(caught.value)
    assert len(recorder.requests) == 1 and all(r.url.host == "api.openai.com" for r in recorder.requests)


def test_connect_custom_sends_the_team_key_only_to_its_url():
    recorder = Recorder()
    client = connect("custom", env_file=None, environ={"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": TEAM_KEY},
                     http_client=recorder.client(), max_retries=0)
    client.models.list()
    assert [str(r.url) for r in recorder.requests] == [URL + "/models"]
    assert recorder.requests[0].headers["authorization"] == f"Bearer {TEAM_KEY}"
    with pytest.raises(BackendError, match="api.openai.com"):
        client.with_options(base_url=OPENAI_URL).models.list()
    assert len(recorder.requests) == 1


OPENAI_URL = "https://api.openai.com/v1"


def test_the_guard_refuses_a_foreign_key_injected_by_environment_headers(monkeypatch):
    # OPENAI_CUSTOM_HEADERS is read by the SDK itself; a foreign Authorization there must not go out
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", f"Authorization: Bearer {OTHER_KEY}")
    recorder = Recorder()
    client = connect("custom", env_file=None, environ={"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": TEAM_KEY},
                     http_client=recorder.client(), max_retries=0)
    with pytest.raises(BackendError, match="another key") as caught:
        client.models.list()
    assert recorder.requests == [] and OTHER_KEY not in str(caught.value)


def test_organisation_headers_follow_the_backend_not_the_process_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-the-shell")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-from-the-shell")
    recorder = Recorder()
    client = connect("custom", env_file=None, environ={"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": TEAM_KEY},
                     http_client=recorder.client(), max_retries=0)
    client.models.list()
    sent = recorder.requests[0].headers
    assert "openai-organization" not in sent and "openai-project" not in sent
    recorder = Recorder()
    client = connect("openai", env_file=None, http_client=recorder.client(), max_retries=0,
                     environ={"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_ORG_ID": "org-mine", "OPENAI_PROJECT_ID": "proj-1"})
    client.models.list()
    sent = recorder.requests[0].headers
    assert (sent["openai-organization"], sent["openai-project"]) == ("org-mine", "proj-1")


# -- one backend object: connect() keeps it, client_backend() hands it back -------------------------------------------

@pytest.fixture
def lookups(monkeypatch):
    return ServerLookups(monkeypatch)


CONNECTED = [
    # (id, kind, environment, expected base URL)
    ("openai", "openai", {"OPENAI_API_KEY": OPENAI_KEY}, OPENAI_URL),
    ("custom", "custom", {"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": TEAM_KEY}, URL),
]


@pytest.mark.parametrize("kind, environ, url", [c[1:] for c in CONNECTED], ids=[c[0] for c in CONNECTED])
def test_connect_keeps_the_resolved_backend_with_the_client(lookups, kind, environ, url):
    resolved = resolve_backend(kind, env_file=None, environ=environ)
    client = connect(resolved, http_client=Recorder().client(), max_retries=0)
    found = client_backend(client)
    assert found is resolved and client_backend(client) is resolved  # the same object, not a rebuilt one
    assert (found.kind, found.base_url, found.key_source) == (kind, url, "environment")
    assert lookups.calls == []


def test_a_local_backend_that_names_its_server_is_kept_as_given(lookups):
    given = Backend("local", "http://127.0.0.1:8765/v1", "nb-" + "k" * 30, key_source="local server")
    recorder = Recorder()
    client = connect(given, http_client=recorder.client(), max_retries=0)
    assert client_backend(client) is given and str(client.base_url) == "http://127.0.0.1:8765/v1/"
    client.models.list()
    assert [str(r.url) for r in recorder.requests] == ["http://127.0.0.1:8765/v1/models"]
    assert lookups.calls == []  # no server started, found or asked


FOREIGN = [
    # (id, base_url, expected kind, server.json reads to classify it)
    ("api.openai.com", OPENAI_URL, "openai", 0),
    ("api.openai.com with a trailing slash", OPENAI_URL + "/", "openai", 0),
    ("another provider", URL, "custom", 1),
    ("loopback with no local server recorded", "http://127.0.0.1:8765/v1", "custom", 1),
]


@pytest.mark.parametrize("base_url, kind, reads", [c[1:] for c in FOREIGN], ids=[c[0] for c in FOREIGN])
def test_a_foreign_client_is_classified_once_from_its_url_and_remembered(tmp_path, lookups, base_url, kind, reads):
    recorder = Recorder()
    client = openai.OpenAI(api_key=TEAM_KEY, base_url=base_url, http_client=recorder.client())
    found = client_backend(client, home=tmp_path)
    assert (found.kind, found.base_url, found.key_source) == (kind, base_url.rstrip("/"), "client")
    assert TEAM_KEY not in repr(found) and TEAM_KEY not in str(found.describe())
    assert lookups.calls == ["server.json read"] * reads  # never a health check
    assert client_backend(client, home=tmp_path) is found and lookups.calls == ["server.json read"] * reads
    assert recorder.requests == []  # classified without sending anything


def test_a_duck_typed_client_without_weak_references_is_classified_each_time(tmp_path, lookups):
    import types

    client = types.SimpleNamespace(base_url=URL + "/", api_key=TEAM_KEY)  # takes no weak reference
    found = [client_backend(client, home=tmp_path) for _ in range(2)]
    assert [(b.kind, b.base_url) for b in found] == [("custom", URL)] * 2
    assert lookups.calls == ["server.json read"] * 2  # not remembered, but never an error


def test_a_client_pointed_elsewhere_is_classified_again():
    client = connect("custom", env_file=None, environ={"OPENAI_BASE_URL": URL, "OPENAI_API_KEY": TEAM_KEY},
                     http_client=Recorder().client(), max_retries=0)
    copy = client.with_options(base_url=OPENAI_URL)
    assert (client_backend(copy).kind, client_backend(client).kind) == ("openai", "custom")
    client.base_url = OPENAI_URL  # the SDK allows it; the remembered backend no longer applies
    assert client_backend(client).kind == "openai"
    with pytest.raises(BackendError, match="refused to send"):  # and the guard still keeps the key at home
        client.models.list()


@pytest.mark.parametrize("a, b, same", [
    ("http://127.0.0.1:8765/v1", "http://127.0.0.1:8765/v1/", True),
    ("http://127.0.0.1:8765/v1", "http://localhost:8765/v1", True),
    ("http://[::1]:8765/v1", "http://127.0.0.1:8765/v1", True),
    ("http://127.0.0.1:8765/v1", "http://127.0.0.1:8766/v1", False),
    ("http://127.0.0.1:8765/v1", "https://127.0.0.1:8765/v1", False),
    ("http://127.0.0.1:80/v1", "http://localhost/v1", True),
    ("https://llm.example.com/v1", "https://llm.example.com:443/v1", True),
    ("http://192.168.1.5:8765/v1", "http://127.0.0.1:8765/v1", False),
])
def test_same_server(a, b, same):
    from nbtools.backend import _same_server

    assert _same_server(a, b) is same and _same_server(b, a) is same
