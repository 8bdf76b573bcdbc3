"""The fine-tuned model answers through an OpenAI-compatible endpoint on 127.0.0.1, as any client expects."""

from __future__ import annotations

import threading

import httpx
import openai
import pytest

from trainer.run import execute, plan
from trainer.serve import Chatbot, make_server


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory, make_version, pairs):
    root = tmp_path_factory.mktemp("serve")
    version = make_version(root / "versions", pairs)
    run_dir = plan(version, root / "runs", base=str(tiny_model), preset_name="smoke", overrides={"max_steps": 2},
                   run_id="served", on_gpu=False)
    execute(run_dir, log=lambda _: None)
    bot = Chatbot(run_dir, device="cpu")
    srv = make_server(bot, 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1", bot
    srv.shutdown()
    srv.server_close()


def test_openai_client_gets_a_chat_completion(server):
    base_url, bot = server
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    reply = client.chat.completions.create(model=bot.name, max_tokens=6, messages=[
        {"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is FOB?"}])
    assert reply.choices[0].message.role == "assistant"
    assert isinstance(reply.choices[0].message.content, str)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.completion_tokens <= 6 and reply.usage.prompt_tokens > 3
    assert [m.id for m in client.models.list().data] == [bot.name]


def test_completions_route_and_bad_requests(server):
    base_url, _ = server
    done = httpx.post(f"{base_url}/completions", json={"prompt": "What is demurrage?", "max_tokens": 3}).json()
    assert done["object"] == "text_completion" and isinstance(done["choices"][0]["text"], str)
    bad = httpx.post(f"{base_url}/chat/completions", json={"messages": []})
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]
    streamed = httpx.post(f"{base_url}/chat/completions", json={"stream": True, "messages": [
        {"role": "user", "content": "hi"}]})
    assert streamed.status_code == 400
    assert httpx.get(f"{base_url}/nothing").status_code == 404
