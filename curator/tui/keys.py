"""Every key binding of the app, each with an id: the footer, the help screen, the command palette and
`[review.keys]` in curator.toml (binding id = key, e.g. `accept = "y"`) all read this one table."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from curator.errors import ConfigError


@dataclass(frozen=True)
class Key:
    id: str
    key: str            # Textual key names; several keys separated by commas
    action: str
    description: str
    show: bool = True   # shown in the footer (movement keys are not, to leave room)


APP_KEYS = (
    Key("screen_pipeline", "f2", "app.open_screen('pipeline')", "Pipeline"),
    Key("screen_sources", "f3", "app.open_screen('sources')", "Sources"),
    Key("screen_review", "f4", "app.open_screen('review')", "Review"),
    Key("screen_versions", "f5", "app.open_screen('versions')", "Versions"),
    Key("screen_train", "f6", "app.open_screen('train')", "Train"),
    Key("help", "question_mark,f1", "app.help", "Help"),
    Key("quit", "q,ctrl+q", "app.quit", "Quit"),
)

REVIEW_KEYS = (
    Key("down", "j,down", "cursor(1)", "Next pair", show=False),
    Key("up", "k,up", "cursor(-1)", "Previous pair", show=False),
    Key("page_down", "pagedown,ctrl+d", "page(1)", "Page down", show=False),
    Key("page_up", "pageup,ctrl+u", "page(-1)", "Page up", show=False),
    Key("first", "home", "jump('first')", "First pair", show=False),
    Key("last", "end,G", "jump('last')", "Last pair", show=False),
    Key("accept", "a", "accept", "Accept"),
    Key("reject", "r", "reject", "Reject"),
    Key("edit", "e", "edit", "Edit"),
    Key("regenerate", "g", "regenerate", "Regenerate"),
    Key("undo", "u", "undo", "Undo"),
    Key("select", "space,x", "select", "Select", show=False),
    Key("bulk_accept", "A", "bulk('accepted')", "Bulk accept", show=False),
    Key("bulk_reject", "R", "bulk('rejected')", "Bulk reject", show=False),
    Key("search", "slash", "search", "Search"),
    Key("filter", "f", "filter", "Filter"),
    Key("status_pending", "1", "status_filter('pending')", "Show pending", show=False),
    Key("status_accepted", "2", "status_filter('accepted')", "Show accepted", show=False),
    Key("status_rejected", "3", "status_filter('rejected')", "Show rejected", show=False),
    Key("status_all", "4", "status_filter('all')", "Show all", show=False),
    Key("status_superseded", "5", "status_filter('superseded')", "Show superseded", show=False),
    Key("restore", "o", "restore", "Restore", show=False),
    Key("regenerate_chunk", "ctrl+g", "regenerate_chunk", "Regenerate chunk", show=False),
    Key("clear_filter", "c", "clear_filter", "Clear filter", show=False),
    Key("cluster", "d", "cluster", "Duplicates"),
    Key("explain", "w", "explain", "Why flagged"),
    Key("uncertain_order", "U", "toggle_order", "Uncertain first"),
    Key("calibration", "J", "calibration", "Judge"),
    Key("review_refresh", "ctrl+l", "refresh", "Read again", show=False),
)

PIPELINE_KEYS = (
    Key("stage_down", "j,down", "move(1)", "Next stage", show=False),
    Key("stage_up", "k,up", "move(-1)", "Previous stage", show=False),
    Key("stage_run", "enter,r", "run_stage", "Run"),
    Key("stage_skip", "s", "skip_stage", "Skip"),
    Key("stage_cancel", "x", "cancel_stage", "Cancel"),
    Key("stage_run_rest", "ctrl+r", "run_rest", "Run the rest"),
)

SOURCES_KEYS = (
    Key("sources_down", "j", "move(1)", "Next source", show=False),
    Key("sources_up", "k", "move(-1)", "Previous source", show=False),
    Key("sources_add", "plus,a", "add_files", "Add files"),
    Key("sources_crawl", "w", "crawl", "Crawl"),
    Key("sources_refresh", "ctrl+l", "refresh", "Refresh"),
)

VERSIONS_KEYS = (
    Key("versions_down", "j", "move(1)", "Next version", show=False),
    Key("versions_up", "k", "move(-1)", "Previous version", show=False),
    Key("version_create", "n", "create", "New version"),
    Key("version_mark", "space", "mark", "Mark for diff"),
    Key("version_diff", "d", "diff", "Diff marked"),
    Key("version_export", "x", "export", "Export"),
    Key("version_verify", "v", "verify", "Verify"),
    Key("versions_refresh", "ctrl+l", "refresh", "Refresh"),
)

TRAIN_KEYS = (
    Key("train_launch", "ctrl+t", "launch", "Launch training"),
    Key("train_eval", "ctrl+e", "evaluate", "Evaluate"),
    Key("train_cancel", "ctrl+x", "cancel", "Cancel"),
    Key("train_send_low", "ctrl+b", "send_low", "Low scorers to review"),
    Key("train_dpo", "ctrl+o", "launch_dpo", "DPO on the chosen run", show=False),
)

# Keys of the dialogs (confirm, reason picker, edit, filter, export, ...), remappable like the others.
DIALOG_KEYS = (
    Key("help_close", "escape,q,question_mark", "dismiss", "Close"),
    Key("regen_keep", "ctrl+s", "keep", "Keep the new pairs"),
    Key("regen_discard", "escape", "discard", "Discard"),
    Key("cluster_filter", "f", "show_in_list", "Show in list"),
    Key("cluster_close", "escape,q", "dismiss", "Close"),
    Key("export_submit", "ctrl+s", "submit", "Export"),
    Key("export_cancel", "escape", "cancel", "Cancel"),
    Key("filter_apply", "ctrl+s", "apply", "Apply"),
    Key("filter_cancel", "escape", "cancel", "Cancel"),
    Key("add_submit", "ctrl+s", "submit", "Add"),
    Key("add_cancel", "escape", "cancel", "Cancel"),
    Key("crawl_submit", "ctrl+s", "submit", "Crawl"),
    Key("crawl_cancel", "escape", "cancel", "Cancel"),
    Key("confirm_yes", "y,enter", "answer(True)", "Yes"),
    Key("confirm_no", "n,escape", "answer(False)", "No"),
    Key("reason_cancel", "escape", "cancel", "Cancel"),
    Key("edit_save", "ctrl+s", "save", "Save"),
    Key("edit_cancel", "escape", "cancel", "Cancel"),
    Key("prompt_cancel", "escape", "cancel", "Cancel"),
    Key("message_close", "escape,enter,q", "close", "Close"),
)

ALL_KEYS = {"app": APP_KEYS, "review": REVIEW_KEYS, "pipeline": PIPELINE_KEYS, "sources": SOURCES_KEYS,
            "versions": VERSIONS_KEYS, "train": TRAIN_KEYS, "dialogs": DIALOG_KEYS}


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    return [Binding(k.key, k.action, k.description, show=k.show, id=k.id) for k in keys]


def dialog_bindings(*ids: str) -> list[Binding]:
    """The bindings of a dialog, by id, from the table above."""
    return bindings(tuple(k for k in DIALOG_KEYS if k.id in ids))


def known_ids() -> list[str]:
    return [k.id for group in ALL_KEYS.values() for k in group]


def keymap_from_config(config: dict) -> dict[str, str]:
    """`[review.keys]` as a Textual keymap, refusing an id no binding has (a typo would do nothing)."""
    wanted = dict(config.get("review", {}).get("keys", {}))
    ids = known_ids()
    unknown = sorted(set(wanted) - set(ids))
    if unknown:
        raise ConfigError(f"curator.toml [review.keys]: unknown binding id {', '.join(unknown)}; "
                          f"the ids are: {', '.join(ids)}")
    _refuse_clashes(wanted)
    return wanted


def _refuse_clashes(wanted: dict[str, str]) -> None:
    """A remapped key that another binding of the same screen (or the app) also answers is refused: one of the
    two would silently win over the other (`accept = "j"` would steal the next-pair key)."""
    def keys_of(key: Key) -> set[str]:
        return {k.strip() for k in wanted.get(key.id, key.key).split(",") if k.strip()}

    for screen, group in ALL_KEYS.items():
        if screen in ("app", "dialogs"):
            continue
        scope = list(group) + list(APP_KEYS)
        for key in scope:
            if key.id not in wanted:
                continue
            for other in scope:
                if other.id != key.id and keys_of(key) & keys_of(other):
                    shared = ", ".join(sorted(keys_of(key) & keys_of(other)))
                    raise ConfigError(f'curator.toml [review.keys]: {key.id} = "{wanted[key.id]}" clashes with '
                                      f"{other.id} ({shared}) on the {screen} screen; choose another key, or "
                                      f"remap {other.id} too")
