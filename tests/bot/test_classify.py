import io
import json

from bot.classify import run
from bot.decision import IntentScore


class FakeModel:
    def rank(self, text):
        return (IntentScore("greet", 0.99),) if "chào" in text else (IntentScore("out_of_scope", 0.9),)


def test_every_input_line_gets_one_output_line(understanding):
    lines = [
        json.dumps({"text": "xin chào"}, ensure_ascii=False),
        "not json",
        json.dumps({"no_text": 1}),
        json.dumps({"text": ""}),
        json.dumps({"text": "giá vàng hôm nay"}, ensure_ascii=False),
    ]
    out = io.StringIO()
    run(io.StringIO("\n".join(lines) + "\n"), out, FakeModel(), understanding)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["decision"] for r in records] == ["smalltalk", None, None, "out_of_scope", "out_of_scope"]
    assert "error" in records[1] and "error" in records[2]
    first = records[0]
    assert set(first) == {"text", "decision", "faq_id", "intent", "confidence", "department", "candidates", "latency_ms"}
