"""Configuration: ``initializationOptions``, then ``workspace/configuration`` (section ``unmask``), then
``workspace/didChangeConfiguration``.

The effective settings are the defaults, overlaid by ``initializationOptions``, overlaid by what the client
answers to ``workspace/configuration`` (or pushes in ``didChangeConfiguration``'s ``settings.unmask``).
Invalid keys keep their previous value and are reported in one ``window/showMessage``. A change of model
path, backend or device reloads the model in the background.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from unmask.server.settings import SECTION, Settings, parse_settings, unknown_keys

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

logger = logging.getLogger(__name__)

#: How long to wait for the client's answer to workspace/configuration before going on without it.
PULL_TIMEOUT_S = 5.0


def initialize(ls: UnmaskServer, params: types.InitializeParams) -> None:
    """Read the client's capabilities and initializationOptions (the model loads on ``initialized``)."""
    ls.loop = asyncio.get_running_loop()
    ls.read_client_capabilities(params.capabilities)
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        options = options[SECTION]  # clients may nest their options under "unmask" too
    settings, problems = parse_settings(options)
    _log_unknown(options)
    ls.initial_settings = settings
    apply_settings(ls, settings, problems, load=False)


async def _pull(ls: UnmaskServer) -> Any:
    if not ls.client_supports_configuration:
        return None
    try:
        answer = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            ),
            PULL_TIMEOUT_S,
        )
    except Exception as exc:  # noqa: BLE001 - any client failure: keep the settings we have
        logger.warning("workspace/configuration failed: %s", exc)
        return None
    return answer[0] if answer else None


async def initialized(ls: UnmaskServer, params: types.InitializedParams) -> None:
    pulled = await _pull(ls)
    settings, problems = parse_settings(pulled, base=ls.initial_settings)
    _log_unknown(pulled)
    apply_settings(ls, settings, problems, load=True)


async def did_change_configuration(ls: UnmaskServer, params: types.DidChangeConfigurationParams) -> None:
    pushed = params.settings
    if isinstance(pushed, dict) and SECTION in pushed:
        raw = pushed[SECTION]
    else:
        raw = await _pull(ls)
    settings, problems = parse_settings(raw, base=ls.initial_settings)
    _log_unknown(raw)
    apply_settings(ls, settings, problems, load=True)


def _log_unknown(raw: object) -> None:
    if keys := unknown_keys(raw):
        logger.info("ignoring settings the server does not know (client-side or typos): %s", ", ".join(keys))


def apply_settings(ls: UnmaskServer, settings: Settings, problems: list[str], *, load: bool) -> None:
    """Make ``settings`` current; report problems once; reload the model if its identity changed."""
    if problems:
        message = "unmask: invalid settings ignored (defaults used): " + "; ".join(problems)
        ls.show_once(message, message, types.MessageType.Warning)
    previous = ls.settings
    ls.settings = settings
    ls.set_log_level(settings.log_level)
    if load and (ls.host.loaded_key != settings.engine_key() or ls.host.state == "error"):
        if ls.host.loaded_key is not None:
            logger.info("model settings changed: reloading")
        ls.host.load(settings)
    elif previous != settings:
        logger.info("settings updated")
