"""The multi-agent example (graphs/multi_agent.py): two agents, each with its own Python session, exchanging
data only through graph state. Planners are recorded (offline); graph, sessions and sandboxes are real."""

from __future__ import annotations

import json

from langgraph.checkpoint.memory import InMemorySaver

from graphs.multi_agent import build_multi_agent
from langchain_wasm.chat_models.recorded import RecordedPlanner

CSV = "month,units\nJan,120\nFeb,135\nMar,160\nApr,150\n"

ANALYST = [
    {
        "reasoning": "load the data and compute statistics in my interpreter",
        "steps": [
            {
                "id": "s1",
                "tool": "python",
                "args": {
                    "code": "import pandas as pd\ndf = pd.read_csv('data.csv')\n"
                    "secret = 'analyst-only'\n"
                    "{'total': int(df.units.sum()), 'mean': float(df.units.mean()),\n"
                    " 'best': df.month[df.units.idxmax()]}"
                },
            }
        ],
    },
    {"reasoning": "done", "steps": [], "final_answer": "${s1}"},
]
REPORTER = [
    {
        "reasoning": "read the analysis handed over by the host; check I cannot see the analyst's interpreter",
        "steps": [
            {
                "id": "r1",
                "tool": "python",
                "args": {
                    "code": "import json, os\na = json.load(open('analysis.json'))\n"
                    "leak = 'secret' in globals() or os.path.exists('data.csv')\n"
                    "f\"Total {a['total']} units, best month {a['best']} (leak={leak})\""
                },
            }
        ],
    },
    {"reasoning": "done", "steps": [], "final_answer": "${r1}"},
]


def test_two_agents_exchange_data_only_through_state(sandbox):
    analyst = RecordedPlanner(responses=[json.dumps(p) for p in ANALYST])
    reporter = RecordedPlanner(responses=[json.dumps(p) for p in REPORTER])
    app = build_multi_agent(analyst, reporter, checkpointer=InMemorySaver(), sandbox=sandbox)
    out = app.invoke({"task": "Summarize the sales", "data_csv": CSV}, {"configurable": {"thread_id": "team-1"}})
    assert out["analysis"] == {"total": 565, "mean": 141.25, "best": "Mar"}
    assert out["report"] == "Total 565 units, best month Mar (leak=False)"
