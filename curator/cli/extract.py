"""`curator extract` and `curator llm ...`: LLM extraction and the endpoint."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, llm_app, not_built


@app.command(context_settings=PASS_ARGS)
def extract(ctx: typer.Context) -> None:
    """Ask an LLM for schema-valid question/answer pairs from each pending chunk (cached, resumable)."""
    not_built("extract", "LLM extraction")


@llm_app.command("serve", context_settings=PASS_ARGS)
def llm_serve(ctx: typer.Context) -> None:
    """Start the bundled local model (llama.cpp server, Gemma 3 270M) on 127.0.0.1."""
    not_built("llm serve", "local LLM")


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
    except CuratorError as exc:
        err.print("[bold red]error:[/] " + escape(str(exc)), highlight=False)
        sys.exit(exc.exit_code)
    except sqlite3.DatabaseError as exc:
        err.print("[bold red]error:[/] " + escape(f"the workspace database could not be read ({exc}). "
                  "Run `curator status --check` to diagnose it."), highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; everything committed so far is kept.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's usage errors arrive here with standalone_mode off
        import click
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
