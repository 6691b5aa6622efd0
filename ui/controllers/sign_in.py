"""Signing in to a backend elsewhere (``--connect``): its staff token, asked for until
the backend accepts it, and remembered per backend when the person asks."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from ui.client import GraphQLClient, GraphQLError
from ui.views.status_bar import StatusBar
from ui.views.token_dialog import TokenDialog

TOKENS_GROUP = "tokens"


def _key(url: str) -> str:
    # QSettings reads "/" as a group separator: the URL is one key.
    return f"{TOKENS_GROUP}/{quote(url, safe='')}"


def remembered_token(settings: QSettings, url: str) -> str | None:
    value = settings.value(_key(url))
    return value if isinstance(value, str) and value else None


def remember_token(settings: QSettings, url: str, token: str) -> None:
    settings.setValue(_key(url), token)
    settings.sync()
    # The settings file now holds a secret: readable by its owner only.
    with contextlib.suppress(OSError):
        if Path(settings.fileName()).is_file():
            os.chmod(settings.fileName(), 0o600)


async def ask_token(parent: QWidget, url: str, reason: str | None) -> tuple[str, bool] | None:
    """The token and whether to remember it, or None when the person gives up."""
    dialog = TokenDialog(url, reason, parent)
    answer: asyncio.Future[tuple[str, bool] | None] = asyncio.get_running_loop().create_future()

    def given(token: str, remember: bool) -> None:
        if not answer.done():
            answer.set_result((token, remember))

    def gave_up() -> None:
        if not answer.done():
            answer.set_result(None)

    dialog.tokenGiven.connect(given)
    dialog.rejected.connect(gave_up)
    dialog.open()
    try:
        return await answer
    finally:
        dialog.deleteLater()


async def sign_in(
    parent: QWidget, status: StatusBar, client: GraphQLClient, settings: QSettings
) -> bool:
    """Point the (not yet started) ``client`` at a token the backend accepts: the one
    given, else the remembered one, else what the person types. False: they gave up."""
    token = client.token or remembered_token(settings, client.url)
    keep = False
    reason: str | None = None
    while True:
        if token is not None:
            client.retarget(client.url, token)
            try:
                await client.verify_staff()
            except GraphQLError as error:
                if error.code is None:
                    # Out of reach is no verdict on the token: the connection says it.
                    return True
                reason = error.message
            else:
                if keep:
                    remember_token(settings, client.url, token)
                return True
        status.set_connection("signed-out", reason or "no staff token given for this backend")
        answer = await ask_token(parent, client.url, reason)
        if answer is None:
            return False
        token, keep = answer
