"""The Textual app: five screens (pipeline, sources, review, versions, train), the help screen, the
command palette, the keymap from curator.toml, and the one place where worker errors become notices."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from curator.errors import CuratorError
from curator.store.review_queries import ReviewFilter
from curator.tui.context import AppContext
from curator.tui.keys import ALL_KEYS, APP_KEYS, Key, bindings
from curator.tui.workers import WorkFailed

ERROR_LOG = "tui-errors.log"


class CuratorApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "curator"
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP_KEYS)
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, ctx: AppContext, *, screen: str = "review", keymap: dict[str, str] | None = None,
                 review_filter: ReviewFilter | None = None) -> None:
        super().__init__()
        from curator.tui.screens.pipeline import PipelineScreen
        from curator.tui.screens.review import ReviewScreen
        from curator.tui.screens.sources import SourcesScreen
        from curator.tui.screens.train import TrainScreen
        from curator.tui.screens.versions import VersionsScreen

        screens = {"pipeline": PipelineScreen, "sources": SourcesScreen,
                   "review": lambda: ReviewScreen(initial_filter=review_filter), "versions": VersionsScreen,
                   "train": TrainScreen}
        self.ctx = ctx
        self._start = screen
        for name, factory in screens.items():
            self.add_mode(name, factory)
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.switch_mode(self._start)

    def on_unmount(self) -> None:
        for stage in list(self.ctx.jobs.by_stage):
            self.ctx.jobs.cancel(stage)  # a stage never outlives the app that shows its log
        self.ctx.store.close()

    async def action_quit(self) -> None:
        running = [s for s in self.ctx.jobs.by_stage if self.ctx.jobs.running(s)]
        if not running:
            self.exit()
            return
        from curator.tui.widgets.dialogs import ConfirmDialog

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()
        self.push_screen(ConfirmDialog("Quit?", f"{', '.join(running)} still running: quitting cancels "
                                       f"{'it' if len(running) == 1 else 'them'} (recorded as cancelled)."), answer)

    # -- keys -------------------------------------------------------------------------------------

    def key_for(self, binding_id: str) -> str:
        """The key that triggers a binding now (the keymap's, else the default): what tests press."""
        keys = self._keymap.get(binding_id) or next(k.key for group in ALL_KEYS.values() for k in group
                                                    if k.id == binding_id)
        return keys.split(",")[0]

    def key_display_for(self, binding_id: str) -> str:
        return self.get_key_display(Binding(self.key_for(binding_id), ""))

    async def action_open_screen(self, name: str) -> None:
        """Switch to a screen; the review list is read again, as other stages may have changed the pairs."""
        await self.switch_mode(name)
        refresh = getattr(self.screen, "action_refresh", None)
        if name == "review" and refresh is not None:
            refresh()

    def action_help(self) -> None:
        from curator.tui.screens.help import HelpScreen
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action of the current screen and of the app, by its description, with its key."""
        scope = getattr(screen, "name", None) or ""
        seen = set()
        for key in (*ALL_KEYS.get(scope, ()), *APP_KEYS):
            if key.id in seen:
                continue
            seen.add(key.id)
            yield SystemCommand(f"{key.description}  ({self.key_display_for(key.id)})", f"binding id {key.id}",
                                self._runner(screen, key))
        yield from super().get_system_commands(screen)

    def _runner(self, screen: Screen, key: Key):
        async def run() -> None:
            action = key.action.removeprefix("app.")
            target = self if key.action.startswith("app.") else screen
            await target.run_action(action)
        return run

    # -- the one place worker errors go -----------------------------------------------------------------

    def on_work_failed(self, message: WorkFailed) -> None:
        error = message.error
        if isinstance(error, CuratorError):
            text = str(error)
        else:
            text = f"{type(error).__name__}: {error} (details in .curator/{ERROR_LOG})"
            self._log_error(message.description, error)
        self.notify(f"{message.description} failed: {text}", title="Error", severity="error", timeout=12)

    def _log_error(self, description: str, error: BaseException) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        try:
            with open(self.ctx.ws.root / ".curator" / ERROR_LOG, "a", encoding="utf-8") as fh:
                fh.write(f"{stamp} {description}\n{''.join(lines)}\n")
        except OSError:
            pass
