"""Paper arrivals from the web: the văn thư uploads the scan (or none), the reader proposes the fields, she confirms
or corrects them and the document goes through the spool like mail (intake/paper.py), taking the next số đến in
order of receipt. Between the proposal and her click the scans wait as a draft of hers in the data folder."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from gateway.core.config import Config
from gateway.core.durable import write_new
from gateway.core.errors import NotFound
from gateway.intake import paper
from gateway.register.accounts import Principal
from gateway.register.changes import EditError
from gateway.register.service import Register
from gateway.spool import Spool, quarantine
from gateway.web import forms
from gateway.web.access import require_edit

DRAFT_HOURS = 24  # an abandoned draft is removed after this long
TOKEN = 24  # bytes of randomness naming a draft
# The fields of the form, in the order of the văn bản; dates dd/mm/yyyy, levels and type by select list.
FORM_FIELDS = ("organ_parent", "organ_name", "code_number", "code_notation", "issued_date", "place", "type_name",
               "subject", "addressees", "signer_position", "signer_name", "to_places", "urgency", "secrecy",
               "page_amount", "description")
assert set(FORM_FIELDS) == set(paper.PAPER_FIELDS)


@dataclass(frozen=True)
class Draft:
    """A paper document between the reader's proposal and the văn thư's confirmation."""

    token: str
    names: tuple[str, ...]  # the scans' file names
    fields: dict[str, str]  # as the form shows them (dates dd/mm/yyyy, levels "0"-"3")
    sure: dict[str, float]  # the reader's confidence per field it proposed


@dataclass(frozen=True)
class PaperState:
    """Where a paper document handed to the spool is now."""

    state: str  # "registered", "waiting", "bad", "quarantine"
    document_id: int | None = None
    reason: str = ""


class PaperDesk:
    """The văn thư's paper arrivals: propose, confirm, and follow the document into the register."""

    def __init__(self, config: Config, register: Register, spool: Spool) -> None:
        self.config = config
        self.register = register
        self.spool = spool
        self.root = config.data_dir / "paper-drafts"

    def propose(self, who: Principal, files: list[tuple[str, bytes]]) -> Draft:
        """Read the first scan and keep the scans as a draft of ``who``'s; EditError when a file is no scan."""
        require_edit(who)
        scans = tuple((Path(name).name or f"ban-quet-{k + 1}", data) for k, (name, data) in enumerate(files) if data)
        try:
            paper.check_scans(scans)
        except paper.PaperError as err:
            raise EditError(f"Tệp {err}") from err
        proposed = paper.propose(scans, self.config)
        fields = {name: value.value for name, value in proposed.fields.items() if name in FORM_FIELDS and value.value}
        fields.update(urgency=str(proposed.urgency), secrecy=str(proposed.secrecy))
        if fields.get("issued_date"):
            fields["issued_date"] = _shown_date(fields["issued_date"])
        sure = {name: value.confidence for name, value in proposed.fields.items() if name in FORM_FIELDS}
        self._sweep()
        token = secrets.token_urlsafe(TOKEN)
        folder = self.root / token
        folder.mkdir(parents=True, mode=0o750)
        for index, (_name, data) in enumerate(scans):
            write_new(folder / f"{index}.scan", data)
        write_new(folder / "draft.json", json.dumps({"owner": who.name, "names": [n for n, _ in scans],
                                                     "fields": fields, "sure": sure}, ensure_ascii=False).encode())
        return Draft(token, tuple(n for n, _ in scans), fields, sure)

    def draft(self, who: Principal, token: str) -> Draft:
        """The draft ``token`` of ``who``; NotFound for another's, an expired or an unknown one."""
        require_edit(who)
        folder = self._folder(token)
        try:
            saved = json.loads((folder / "draft.json").read_text("utf-8"))
        except (OSError, ValueError) as err:
            raise NotFound("Không còn bản nháp này (đã vào sổ hoặc quá hạn); hãy tải bản quét lên lại.") from err
        if saved.get("owner") != who.name:
            raise NotFound("Không còn bản nháp này (đã vào sổ hoặc quá hạn); hãy tải bản quét lên lại.")
        return Draft(token, tuple(saved["names"]), dict(saved["fields"]), dict(saved["sure"]))

    def take(self, who: Principal, token: str, typed: dict[str, str]) -> str:
        """Hand the confirmed document to the spool (its time of receipt is now); returns its spool id."""
        found = self.draft(who, token)
        fields = {name: typed.get(name, "") for name in FORM_FIELDS}
        if fields["issued_date"].strip():
            fields["issued_date"] = forms.parse_date(fields["issued_date"]).isoformat()
        if fields["page_amount"].strip() and not fields["page_amount"].strip().isdigit():
            raise EditError(f"Số trang: «{fields['page_amount']}» không phải một số nguyên.")
        if not fields["subject"].strip():
            raise EditError("Văn bản giấy cần có trích yếu.")
        try:
            confirmed = paper.confirmed_fields(paper.propose((), self.config), fields)
        except paper.PaperError as err:
            raise EditError(str(err)) from err
        folder = self._folder(token)
        scans = tuple((name, (folder / f"{index}.scan").read_bytes()) for index, name in enumerate(found.names))
        spool_id = paper.take(self.spool, paper.PaperDocument(scans, confirmed), who.name,
                              self.config)
        shutil.rmtree(folder, ignore_errors=True)
        self.register.record_event("paper-submitted", who.name, {"spool_id": spool_id, "files": list(found.names),
                                                                 "subject": confirmed["subject"]})
        return spool_id

    def state(self, who: Principal, spool_id: str) -> PaperState:
        """Whether the paper document is in the register yet (or why not)."""
        require_edit(who)
        documents = self.register.documents_of_arrival(spool_id)
        if documents:
            return PaperState("registered", documents[0])
        try:
            held = quarantine.record_of(self.spool, spool_id)
            return PaperState("quarantine", reason=str(held.get("reason", "")))
        except NotFound:
            pass
        failed = next((e for e in self.spool.list("bad") if e.spool_id == spool_id), None)
        if failed is not None:
            return PaperState("bad", reason=failed.reason)
        return PaperState("waiting")

    def _folder(self, token: str) -> Path:
        if not token or not all(c.isalnum() or c in "-_" for c in token) or len(token) > 64:
            raise NotFound("Không còn bản nháp này (đã vào sổ hoặc quá hạn); hãy tải bản quét lên lại.")
        return self.root / token

    def _sweep(self) -> None:
        """Remove drafts older than DRAFT_HOURS (abandoned after the proposal)."""
        if not self.root.is_dir():
            return
        limit = dt.datetime.now().timestamp() - DRAFT_HOURS * 3600
        for folder in self.root.iterdir():
            try:
                if folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue


def _shown_date(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso
