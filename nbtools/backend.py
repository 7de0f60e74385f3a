"""The one place that decides which fine-tuning backend to talk to, and with which key.

Backends: ``local`` (nbtools' own OpenAI-compatible server, started on demand: the default), ``openai`` (the hosted
service at api.openai.com, with ``OPENAI_API_KEY``), ``custom`` (any OpenAI-compatible provider at
``OPENAI_BASE_URL``, with the ``OPENAI_API_KEY`` set beside it). Settings come from the environment, then from a
``.env`` file (read with python-dotenv, os.environ is left alone); the environment wins.

    >>> resolve_backend(env_file=None, environ={}).kind
    'local'
    >>> fake_key = "sk-" + "x" * 24 + "1234"  # built here so that no key-shaped text sits in the file
    >>> b = resolve_backend("openai", env_file=None, environ={"OPENAI_API_KEY": fake_key})
    >>> b
    Backend(kind='openai', base_url='https://api.openai.com/v1', api_key='sk-…1234', key_source='environment')
    >>> resolve_backend(env_file=None, environ={"NBTOOLS_BACKEND": "openai"})
    Traceback (most recent call last):
    ...
    nbtools.errors.ConfigError: the openai backend needs OPENAI_API_KEY, set in the environment or in a .env file

Keys are never printed (``repr``, ``str`` and :meth:`Backend.describe` mask them) and never sent where they were not
meant to go: :func:`connect` builds the ``openai`` client with a guard that refuses any request to another origin than
the backend's, or carrying another key than the backend's.

The backend is resolved once: :func:`connect` keeps it beside the client it returns, and :func:`client_backend`
(what ``jobs``, ``compare`` and the CLI ask) hands it back without reading a file or sending a request. A client made
elsewhere (a plain ``openai.OpenAI(...)``) is classified once from its base URL and remembered.

    >>> client = connect("openai", env_file=None, environ={"OPENAI_API_KEY": fake_key})  # no request sent
    >>> client_backend(client) is client_backend(client), client_backend(client).kind
    (True, 'openai')
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Mapping
from urllib.parse import SplitResult, urlsplit

from .errors import BackendError, ConfigError
from .settings import mask_secret

__all__ = [
    "Backend",
    "BackendKind",
    "resolve_backend",
    "ensure_backend",
    "connect",
    "client_backend",
    "OPENAI_BASE_URL",
    "ENV_BACKEND",
]

BackendKind = Literal["local", "openai", "custom"]
OPENAI_BASE_URL = "https://api.openai.com/v1"
ENV_BACKEND = "NBTOOLS_BACKEND"
ENV_KEY, ENV_URL, ENV_ORG, ENV_PROJECT = "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"
_KINDS = ("auto", "local", "openai", "custom")
_OPENAI_HOST = "api.openai.com"

# client -> (its base URL then, the Backend it talks to): filled by connect(), and by client_backend() for clients
# made elsewhere. Weak keys: an entry goes with its client.
_BACKENDS: weakref.WeakKeyDictionary[Any, tuple[str, Backend]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Backend:
    """Where fine-tuning requests go and with which credentials; the key never shows in repr or str.

    For ``local``, ``base_url`` and ``api_key`` stay None until the server runs (see :func:`ensure_backend`).
    """

    kind: BackendKind
    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    key_source: str | None = None  # "environment", the .env path, or "local server"

    def __repr__(self) -> str:
        extra = "".join(f", {name}={getattr(self, name)!r}" for name in ("organization", "project")
                        if getattr(self, name))
        return (f"Backend(kind={self.kind!r}, base_url={self.base_url!r}, api_key={mask_secret(self.api_key)!r}"
                f"{extra}, key_source={self.key_source!r})")

    __str__ = __repr__

    def describe(self) -> dict[str, Any]:
        """The settings as a table row, key masked.

        >>> Backend("local", None).describe()["base_url"]
        '(local server, started on demand)'
        """
        no_key = "(none yet)" if self.kind == "local" else "(none)"
        return {
            "kind": self.kind,
            "base_url": self.base_url or "(local server, started on demand)",
            "api_key": mask_secret(self.api_key) if self.api_key else no_key,
            "key_source": self.key_source or "",
            "organization": self.organization or "",
            "project": self.project or "",
        }

    @property
    def origin(self) -> str | None:
        """scheme://host:port of ``base_url`` (the only origin requests may go to).

        >>> Backend("openai", "https://api.openai.com/v1").origin
        'https://api.openai.com:443'
        """
        return None if self.base_url is None else _origin(self.base_url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{ENV_URL} must be an http(s) URL such as https://api.example.com/v1 (got {url!r})")
    return f"{parts.scheme}://{parts.hostname.lower()}:{_port(parts)}"


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


class _Settings:
    """Variables from the environment and a .env file, each remembering where it came from."""

    def __init__(self, environ: Mapping[str, str], dotenv: Mapping[str, str | None], dotenv_path: str | None):
        self._sources: list[tuple[str, dict[str, str | None]]] = [("environment", dict(environ)),
                                                                   (dotenv_path or ".env", dict(dotenv))]

    def get(self, name: str, *, source: str | None = None) -> tuple[str | None, str | None]:
        """(value, source) of `name`: the first non-empty source, or only `source` when given."""
        for where, values in self._sources:
            if source is not None and where != source:
                continue
            value = (values.get(name) or "").strip()
            if value:
                return value, where
        return None, None


def _read_dotenv(env_file: str | os.PathLike[str] | None) -> tuple[dict[str, str | None], str | None]:
    """The .env values and the file they came from. The default ".env" is looked up from the working directory
    upwards; a path given explicitly must exist."""
    if env_file is None:
        return {}, None
    from dotenv import dotenv_values, find_dotenv

    if str(env_file) == ".env":
        found = find_dotenv(".env", usecwd=True)
        if not found:
            return {}, None
        path = Path(found)
    else:
        path = Path(env_file).expanduser()
        if not path.is_file():
            raise ConfigError(f"env_file {str(path)!r} does not exist (pass env_file=None to read no .env file)")
    return dict(dotenv_values(path)), str(path)


def resolve_backend(kind: str = "auto", *, env_file: str | os.PathLike[str] | None = ".env",
                    environ: Mapping[str, str] | None = None) -> Backend:
    """Decide the backend from `kind` and the settings; raises ConfigError naming what is missing.

    - ``auto``: ``$NBTOOLS_BACKEND`` if set; else ``custom`` when ``OPENAI_BASE_URL`` is set; else ``local``.
      An ``OPENAI_API_KEY`` alone does not switch to OpenAI: choose it (``kind="openai"`` or
      ``NBTOOLS_BACKEND=openai``).
    - ``openai``: api.openai.com with ``OPENAI_API_KEY`` (``OPENAI_BASE_URL`` is ignored).
    - ``custom``: ``OPENAI_BASE_URL`` with the ``OPENAI_API_KEY`` from the same place (both in the environment or
      both in the .env file), so that a key is only sent to the URL it was written down with.
    - ``local``: nbtools' server with its own generated key; no OpenAI variable is used.

    `environ` defaults to ``os.environ``; `env_file` None reads no .env file.

    >>> resolve_backend(env_file=None, environ={"OPENAI_BASE_URL": "http://llm.internal:8000/v1",
    ...                                         "OPENAI_API_KEY": "team-key-0123456789"}).describe()["api_key"]
    '…6789'
    """
    environ = os.environ if environ is None else environ
    dotenv, dotenv_path = _read_dotenv(env_file)
    settings = _Settings(environ, {k: v for k, v in dotenv.items() if v is not None}, dotenv_path)
    chosen = kind
    if kind not in _KINDS:
        raise ConfigError(f"kind must be one of {', '.join(_KINDS)} (got {kind!r})")
    if kind == "auto":
        named, where = settings.get(ENV_BACKEND)
        if named is not None:
            chosen = named.strip().lower()
            if chosen not in _KINDS:
                raise ConfigError(f"{ENV_BACKEND} (from {where}) must be one of {', '.join(_KINDS)} (got {named!r})")
        if chosen == "auto":
            chosen = "custom" if settings.get(ENV_URL)[0] else "local"
    if chosen == "local":
        return Backend("local", None)
    if chosen == "openai":
        key, source = settings.get(ENV_KEY)
        if key is None:
            raise ConfigError(f"the openai backend needs {ENV_KEY}, set in the environment or in a .env file")
        return Backend("openai", OPENAI_BASE_URL, key, settings.get(ENV_ORG)[0], settings.get(ENV_PROJECT)[0],
                       key_source=source)
    url, source = settings.get(ENV_URL)
    if url is None:
        raise ConfigError(f"the custom backend needs {ENV_URL} (the provider's OpenAI-compatible /v1 URL), set in "
                          "the environment or in a .env file")
    _origin(url)
    key, _ = settings.get(ENV_KEY, source=source)
    if key is None:
        raise ConfigError(f"the custom backend at {url} needs {ENV_KEY} set in the same place as {ENV_URL} "
                          f"({source}); a key from elsewhere is not sent to it")
    return Backend("custom", url.rstrip("/"), key, settings.get(ENV_ORG, source=source)[0],
                   settings.get(ENV_PROJECT, source=source)[0], key_source=source)


def ensure_backend(backend: Backend, *, home: str | os.PathLike[str] | None = None) -> Backend:
    """`backend` ready for requests: for ``local`` without a URL, the running server's URL and key (started if
    needed); a ``local`` Backend that names its URL and key (a server started with ``nbtools serve``) is kept."""
    if backend.kind != "local" or (backend.base_url is not None and backend.api_key is not None):
        return backend
    from .server.launcher import ensure_local_server

    server = ensure_local_server(home=home)
    return replace(backend, base_url=server.base_url, api_key=server.api_key, key_source="local server")


def _guard(backend: Backend):
    """An httpx request hook: only the backend's origin, only the backend's key, no foreign organisation headers."""
    origin = backend.origin
    expected = f"Bearer {backend.api_key}"

    def check(request) -> None:
        target = _origin(str(request.url))
        if target != origin:
            raise BackendError(f"refused to send a request for the {backend.kind} backend to {target}: its key is "
                               f"only sent to {origin}")
        if request.headers.get("authorization", expected) != expected:
            raise BackendError(f"refused a request to {origin} carrying another key than the {backend.kind} "
                               "backend's (check OPENAI_CUSTOM_HEADERS)")
        for header, value in (("openai-organization", backend.organization), ("openai-project", backend.project)):
            if value is None:
                request.headers.pop(header, None)
            else:
                request.headers[header] = value

    return check


def connect(backend: Backend | str = "auto", *, env_file: str | os.PathLike[str] | None = ".env",
            environ: Mapping[str, str] | None = None, home: str | os.PathLike[str] | None = None,
            http_client: Any = None, **client_options: Any):
    """An ``openai.OpenAI`` client for `backend` (a Backend or a kind to resolve), the local server started if needed.

    ``connect("local")`` is the local server of `home` with its own key (no OpenAI variable is read for it). The
    resolved Backend stays with the client: :func:`client_backend` returns it without rebuilding it. `http_client`
    (an ``httpx2.Client``) is used as given, with the origin/key guard added to its request hooks (so give each
    backend its own); other keyword arguments (``timeout``, ``max_retries``) go to ``openai.OpenAI``.

        client = connect("local")                 # starts the server on first use
        client.models.list().data[0].id           # 'smollm2-135m-instruct'
        client_backend(client).kind               # 'local', no request sent
    """
    import openai

    if not isinstance(backend, Backend):
        backend = resolve_backend(backend, env_file=env_file, environ=environ)
    backend = ensure_backend(backend, home=home)
    client = http_client if http_client is not None else openai.DefaultHttpxClient()  # the SDK's own defaults
    client.event_hooks = {**client.event_hooks, "request": [*client.event_hooks["request"], _guard(backend)]}
    made = openai.OpenAI(api_key=backend.api_key, base_url=backend.base_url, organization=backend.organization,
                         project=backend.project, http_client=client, **client_options)
    _BACKENDS[made] = (str(made.base_url), backend)
    return made


def client_backend(client: Any, *, home: str | os.PathLike[str] | None = None) -> Backend:
    """The Backend an ``openai`` client talks to, as :func:`connect` resolved it (no file read, no request).

    A client not made by :func:`connect`, or since pointed at another URL, is classified from its base URL, then
    remembered: ``openai`` for api.openai.com, ``local`` when it is the server recorded as running for `home`
    (its ``server.json``; no request is sent), else ``custom``.

    >>> import openai
    >>> client_backend(openai.OpenAI(api_key="sk-doc-example", base_url="https://api.openai.com/v1")).kind
    'openai'
    """
    url = str(client.base_url)
    known = _remembered(client)
    if known is not None and known[0] == url:
        return known[1]
    found = _classify(client, home=home)
    with contextlib.suppress(TypeError):  # a client object that takes no weak reference is not remembered
        _BACKENDS[client] = (url, found)
    return found


def _classify(client: Any, *, home: str | os.PathLike[str] | None) -> Backend:
    """The Backend of `client` judged from its base URL and the local server's record, without a request."""
    url = str(client.base_url).rstrip("/")
    kind: BackendKind = "custom"
    if urlsplit(url).hostname == _OPENAI_HOST:
        kind = "openai"
    else:
        from .server.launcher import running_server_url

        running = running_server_url(home)
        if running is not None and _same_server(running, url):
            kind = "local"
    return Backend(kind, url, getattr(client, "api_key", None), getattr(client, "organization", None),
                   getattr(client, "project", None), key_source="client")


def _remembered(client: Any) -> tuple[str, Backend] | None:
    try:
        return _BACKENDS.get(client)
    except TypeError:  # a client object that takes no weak reference: never remembered
        return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_server(a: str, b: str) -> bool:
    """Whether two URLs reach the same server: same scheme and port, and the same host or two loopback names.

    >>> _same_server("http://127.0.0.1:8765/v1", "http://localhost:8765/v1/")
    True
    >>> _same_server("http://127.0.0.1:8765/v1", "http://127.0.0.1:8766/v1")
    False
    """
    _origin(a), _origin(b)  # both http(s) with a host, else ConfigError
    first, second = urlsplit(a), urlsplit(b)
    if (first.scheme, _port(first)) != (second.scheme, _port(second)):
        return False
    hosts = (first.hostname or "", second.hostname or "")  # urlsplit gives them lower-cased
    return hosts[0] == hosts[1] or all(_loopback(host) for host in hosts)
