"""A connection's webhooks (``Capabilities.webhooks``): the broker's subscriptions, the
app's receiver and what reaches it, and test / enable / disable / delete per webhook.

One action at a time (a double click sends one request); deleting asks first
(``confirmationRequested`` until ``confirm``): the broker keeps no copy.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.types import Webhook, WebhookAction, WebhookOverview
from desktop_app.viewmodels.account_lifecycle_vm import ActionState
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel
from desktop_app.viewmodels.tasks import error_text, resolve_with, settled

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

DONE = {
    WebhookAction.TEST: "Test delivery requested: the deliveries count shows when it arrives.",
    WebhookAction.ENABLE: "Enabled: events are delivered again.",
    WebhookAction.DISABLE: "Disabled: no events are delivered; the app polls.",
    WebhookAction.DELETE: "Deleted.",
}

COLUMNS: tuple[Column[Webhook], ...] = (
    Column("Title", ("title", "ours"),
           lambda w: f"{w.title} (this app)" if w.ours else w.title, lambda w: w.title),
    Column("URL", ("url",), lambda w: w.url, lambda w: w.url),
    Column("Events", ("events",), lambda w: ", ".join(w.events), lambda w: len(w.events)),
    Column("State", ("enabled",), lambda w: "enabled" if w.enabled else "disabled",
           lambda w: w.enabled),
)


class WebhookTableModel(KeyedTableModel[Webhook]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(COLUMNS, "webhook_id", parent)


class WebhooksViewModel(HubViewModel):
    changed = Signal()
    resultChanged = Signal(str, bool)
    confirmationRequested = Signal(object)  # Confirmation: answer confirm()

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent, listen=False)
        self.model = WebhookTableModel(self)
        self.connection_id: str | None = None
        self.overview: WebhookOverview | None = None
        self.selected_id = ""
        self.busy = False
        self.result_text = ""
        self._pending: tuple[str, asyncio.Future[Any]] | None = None

    def set_connection(self, connection_id: str | None) -> None:
        if connection_id != self.connection_id:
            self.connection_id = connection_id
            self.overview = None
            self.selected_id = ""
            self.model.apply([])
            self._cancel_pending()
        self.changed.emit()

    def offered(self) -> ActionState:
        cid = self.connection_id
        caps = self.hub.capabilities(cid) if cid else None
        if caps is None:
            return ActionState(False, False, "No connected account selected.")
        if not caps.webhooks:
            return ActionState(False, False, caps.why_not("webhooks"))
        return ActionState(True, True, "The broker's webhooks for this connection.")

    def select(self, webhook_id: str) -> None:
        self.selected_id = webhook_id
        self.changed.emit()

    def selected(self) -> Webhook | None:
        hooks = self.overview.webhooks if self.overview else ()
        return next((h for h in hooks if h.webhook_id == self.selected_id), None)

    def action_state(self, action: WebhookAction) -> ActionState:
        offered = self.offered()
        if not offered.enabled:
            return offered
        if self.busy:
            return ActionState(True, False, "A request is being sent…")
        if self._pending is not None:
            return ActionState(True, False, "Waiting for your answer…")
        hook = self.selected()
        if hook is None:
            return ActionState(True, False, "Select a webhook first.")
        if action is WebhookAction.ENABLE and hook.enabled:
            return ActionState(True, False, "It is enabled.")
        if action is WebhookAction.DISABLE and not hook.enabled:
            return ActionState(True, False, "It is disabled.")
        if action is WebhookAction.TEST and not hook.enabled:
            return ActionState(True, False, "Enable it first: a disabled webhook gets "
                                            "no deliveries.")
        return ActionState(True, True, "")

    def summary(self) -> str:
        overview = self.overview
        if overview is None:
            return ""
        where = (f"This app listens at {overview.receiver_url}; "
                 f"{overview.deliveries} signed deliveries received this session."
                 if overview.receiver_url else "This app does not listen for webhooks.")
        return f"{overview.note} {where}".strip()

    # --- reading --------------------------------------------------------------------

    def refresh(self) -> asyncio.Future[Any]:
        return self._run(None, self._read())

    async def _read(self) -> WebhookOverview | None:
        if self.connection_id is None:
            return None
        return await self.hub.webhooks(self.connection_id)

    # --- actions --------------------------------------------------------------------

    def act(self, action: WebhookAction) -> asyncio.Future[Any]:
        """Test, enable, disable or delete the selected webhook (delete asks first)."""
        state = self.action_state(action)
        hook = self.selected()
        if not state.enabled or hook is None or self.connection_id is None:
            return self._refuse(state.why)
        if action is WebhookAction.DELETE:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending = (hook.webhook_id, future)
            self.changed.emit()
            extra = (" It is this app's own: events stop until the connection is made "
                     "again.") if hook.ours else ""
            self.confirmationRequested.emit(Confirmation(
                title="Delete webhook", summary=f"Delete the webhook “{hook.title}”?{extra}",
                yes_text="Delete", no_text="Keep it",
            ))
            return future
        return self._run(action, self.hub.webhook_action(self.connection_id, hook.webhook_id,
                                                         action))

    def confirm(self, accepted: bool) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        webhook_id, future = pending
        if not accepted or self.connection_id is None:
            self._set_result("Not deleted.", False)
            self.changed.emit()
            if not future.done():
                future.set_result(None)
            return
        call = self.hub.webhook_action(self.connection_id, webhook_id, WebhookAction.DELETE)
        self.busy = True
        resolve_with(self.tasks.start(self._guarded(WebhookAction.DELETE, call)), future)
        self.changed.emit()

    @property
    def awaiting_answer(self) -> bool:
        return self._pending is not None

    def _run(self, action: WebhookAction | None, call: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.busy:
            call.close()
            return self._refuse("A request is being sent…")
        # Busy at once, before the task runs: a second click in between sends nothing.
        self.busy = True
        resolve_with(self.tasks.start(self._guarded(action, call)), future)
        self.changed.emit()
        return future

    async def _guarded(self, action: WebhookAction | None, call: Any) -> Any:
        if action is not None:
            self._set_result("Sending…", True)
        try:
            overview = await call
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._set_result(f"Failed: {error_text(exc)}", False)
            return None
        finally:
            self.busy = False
            self.changed.emit()
        self._show(overview)
        if action is not None:
            self._set_result(DONE[action], True)
        return overview

    def _show(self, overview: WebhookOverview | None) -> None:
        self.overview = overview
        hooks = list(overview.webhooks) if overview else []
        self.model.apply(hooks)
        if self.selected() is None:
            self.selected_id = next((h.webhook_id for h in hooks if h.ours),
                                    hooks[0].webhook_id if hooks else "")
        self.changed.emit()

    def _cancel_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending[1].done():
            pending[1].set_result(None)

    def _refuse(self, why: str) -> asyncio.Future[Any]:
        self._set_result(f"Not sent: {why}", False)
        return settled(None)

    def _set_result(self, text: str, ok: bool) -> None:
        self.result_text = text
        self.resultChanged.emit(text, ok)

    def close(self) -> None:
        self._cancel_pending()
        super().close()
