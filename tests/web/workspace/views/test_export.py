"""Export streams the record contract as JSON or CSV, and is audited."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from tests.web.workspace.views.helpers import a_conversation, actions


def test_export_streams_the_contract_and_is_audited(client: Any) -> None:
    a_conversation()
    response = client.get("/review/export/download?format=json&enquiry=NR-9")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data: List[Dict[str, Any]] = json.loads(response.get_data(as_text=True))
    assert data[0]["contract"] == 4 and data[0]["enquiry_ref"] == "NR-9"
    csv = client.get("/review/export/download?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("conversation_id,")
    assert actions().count("export") == 2
    assert client.get("/review/export/download?format=xml&from=yesterday").status_code == 400
