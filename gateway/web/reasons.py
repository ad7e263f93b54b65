"""Reasons and errors written in English by the lower layers (trust, limits, spool, extraction), put in Vietnamese
for people by a table of the shapes they take. The stored text never changes; what is unknown is shown as a
technical detail beside a Vietnamese sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gateway.core.config import TRUST_ACTION_NAMES
from gateway.core.text import has_diacritics
from gateway.web.labels import AUTH, iso_date


class Data(str):
    """A value shown as it is (an address, a file name, a spool id, a technical detail): never translated."""


@dataclass(frozen=True)
class Said:
    """A text for people: Vietnamese words and values (Data) in order."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return "".join(self.parts)


def said(*parts: str) -> Said:
    return Said(tuple(p for p in parts if p))


_POLICY = TRUST_ACTION_NAMES
_LIMITS = {
    "max_message_size": "thư lớn quá giới hạn", "max_headers": "quá nhiều trường tiêu đề",
    "max_header_length": "một trường tiêu đề dài quá giới hạn", "max_parts": "quá nhiều phần trong thư",
    "max_depth": "thư hoặc tệp nén lồng nhau quá sâu", "max_attachment_size": "tệp đính kèm lớn quá giới hạn",
    "zip_max_members": "tệp nén có quá nhiều tệp", "zip_max_total_size": "tệp nén giải ra quá lớn",
    "zip_max_ratio": "tệp nén có tỉ lệ nén bất thường (có thể là bom nén)", "pdf_max_pages": "PDF quá nhiều trang",
    "pdf_max_objects": "PDF quá nhiều đối tượng", "text_max_chars": "chữ trong tệp quá dài",
    "max_attachments": "quá nhiều tệp đính kèm",
}


_IMAP = {"login refused": "máy chủ từ chối đăng nhập", "TLS failed": "lỗi TLS", "connection lost": "mất kết nối",
         "timed out": "quá thời gian chờ", "cannot reach the server": "không kết nối được máy chủ",
         "server refused": "máy chủ từ chối"}
_IMAP_DOING = {"connecting": "kết nối", "login": "đăng nhập", "listing folders": "liệt kê thư mục",
               "STARTTLS": "STARTTLS", "IDLE": "chờ thư (IDLE)"}


_MUST = {"positive": "số dương", "an integer": "số nguyên", "a number": "một số", "a string": "một chuỗi",
         "true or false": "true hoặc false", "0 or more": "từ 0 trở lên", "a list of strings": "một danh sách chuỗi",
         "between 0 and 1": "từ 0 đến 1", "a table": "một bảng",
         "0 (one per CPU) or more": "từ 0 trở lên (0: mỗi CPU một tiến trình)",
         "an e-mail address": "một địa chỉ thư điện tử", "HOST:PORT": "dạng MÁY:CỔNG",
         "a time HH:MM": "một giờ dạng GG:PP (giờ:phút)",
         "a sqlite:// or postgresql:// URL": "một URL sqlite:// hoặc postgresql://",
         "1-64 letters, digits, '.', '_' or '-'": "1–64 chữ cái, chữ số, '.', '_' hoặc '-'",
         "empty or one character such as + or -": "trống hoặc một ký tự như + hay -",
         "seen, keyword:<kw>, move:<folder> or delete": "seen, keyword:<từ khoá>, move:<thư mục> hoặc delete",
         "FULL NAME=SHORT": "dạng TÊN ĐẦY ĐỦ=TÊN NGẮN",
         "PATTERN=accept|quarantine|reject": "dạng MẪU=accept|quarantine|reject"}


def _must(what: str) -> tuple[str, ...]:
    """What a configuration key must be, as a config problem says it."""
    if what in _MUST:
        return (_MUST[what],)
    if what.startswith("one of "):
        return ("một trong ", Data(what.removeprefix("one of ")))
    if what.startswith("an array of tables "):
        return ("một mảng bảng ", Data(what.removeprefix("an array of tables ")))
    if re.fullmatch(r"[\w.:/-]+(?:, [\w.:/-]+)* or [\w.:/-]+", what):  # values: "mark or quarantine"
        first, _, last = what.rpartition(" or ")
        return (Data(first), " hoặc ", Data(last))
    return (Data(what),)


def _auth(result: str) -> str:
    return AUTH.get(result, result)


def _limit(text: str) -> Said:
    name = re.match(r"(?:[^:]+: )??(\w+?)(?:-reached)?[ :(]", text + " ")
    key = name.group(1) if name else ""
    if key in _LIMITS:
        where = text.partition(f": {key}")[0] if f": {key}" in text else ""
        return said("Vượt giới hạn: ", _LIMITS[key], " (", Data(f"limits.{key}"), ")",
                    *((" khi đọc tệp ", Data(where)) if where else ()))
    return said("Vượt giới hạn: ", Data(text))


# (pattern, what to say) — the shapes the trust check, the limits, the routing rules, the spool and the
# pipeline write their reasons in.
_SHAPES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Said]], ...] = (
    (re.compile(r"sender domain (\S+) is not allowed(?: \(policy: (\w+)\))?"),
     lambda m: said("Tên miền người gửi ", Data(m[1]), " không nằm trong danh sách được nhận",
                    *((" (chính sách: ", _POLICY.get(m[2], m[2]), ")") if m[2] else ()))),
    (re.compile(r"no sender address \(policy: (\w+)\)"),
     lambda m: said("Thư không có địa chỉ người gửi (chính sách: ", _POLICY.get(m[1], m[1]), ")")),
    (re.compile(r"sender (\S+) failed authentication: dkim=(\S+) spf=(\S+) dmarc=(\S+)"),
     lambda m: said("Người gửi ", Data(m[1]), " không xác thực được: DKIM ", _auth(m[2]), ", SPF ", _auth(m[3]),
                    ", DMARC ", _auth(m[4]))),
    (re.compile(r"released from quarantine by (.+)"),
     lambda m: said("Được ", Data(m[1]), " cho vào sổ từ thư cách ly")),
    (re.compile(r"quarantined by rule"), lambda m: said("Bị cách ly theo luật định tuyến")),
    (re.compile(r"limit: (.+)", re.S), lambda m: _limit(m[1])),
    (re.compile(r"cannot parse: (.+)", re.S), lambda m: said("Không tách được thư: ", Data(m[1]))),
    (re.compile(r"no spool entry '?([^' ]*)'?(?: in (\w+))?"),
     lambda m: said("Không có thư ", Data(m[1]), " trong hàng đợi")),
    (re.compile(r"spool entry (\S+) was taken by another process.*"),
     lambda m: said("Thư ", Data(m[1]), " đang được xử lý ở nơi khác")),
    (re.compile(r"no text layer on (\d+) of (\d+) pages \(scanned\?\)"),
     lambda m: said(f"{m[1]}/{m[2]} trang không có lớp chữ (bản quét?)")),
    (re.compile(r"no text layer on pages? (.+)"), lambda m: said("Trang ", Data(m[1]), " không có lớp chữ")),
    (re.compile(r"no text was extracted from this part"), lambda m: said("Không đọc chữ của phần này")),
    (re.compile(r"password required.*"), lambda m: said("Tệp có mật khẩu")),
    (re.compile(r"the member is password-protected"), lambda m: said("Tệp trong gói nén có mật khẩu")),
    # Why mail was not sent (routing/plan.py) and why a message waits (spool/deferral.py).
    (re.compile(r"no mailbox"), lambda m: said("Đơn vị chưa có hộp thư")),
    (re.compile(r"mailbox is one of the gateway's own addresses.*"),
     lambda m: said("Hộp thư của đơn vị là địa chỉ của chính gateway (tránh vòng lặp thư)")),
    (re.compile(r"same mailbox as another unit: one forward"),
     lambda m: said("Cùng hộp thư với đơn vị khác: chỉ chuyển một lần")),
    (re.compile(r"sender domain not in outbox.receipt_domains"),
     lambda m: said("Tên miền người gửi không thuộc danh sách được báo nhận")),
    (re.compile(r"sender not authenticated.*"),
     lambda m: said("Người gửi chưa được xác thực: không trả lời một địa chỉ có thể bị giả mạo")),
    (re.compile(r"sender is one of the gateway's own addresses.*"),
     lambda m: said("Người gửi là địa chỉ của chính gateway (tránh vòng lặp thư)")),
    (re.compile(r"the sender already gets a forward of this document"),
     lambda m: said("Người gửi đã nhận bản chuyển tiếp của văn bản này")),
    (re.compile(r"(RegisterUnavailable|TemporaryError|StorageFull): (.+)", re.S),
     lambda m: said("Lỗi tạm thời, sẽ thử lại (chi tiết kỹ thuật: ", Data(f"{m[1]}: {m[2]}"), ")")),
    # What the sysadmin's commands meet: backup and restore (ops/backup.py), IMAP accounts (intake/imap_session.py),
    # the register's schema (register/db.py).
    (re.compile(r"(.+) is not empty: restore only into an empty data folder"),
     lambda m: said("Thư mục dữ liệu ", Data(m[1]), " không trống: chỉ phục hồi vào thư mục dữ liệu trống")),
    (re.compile(r"(.+) is not empty: back up into a new folder"),
     lambda m: said(Data(m[1]), " không trống: hãy sao lưu vào một thư mục mới")),
    (re.compile(r"(.+) is inside the data folder (.+): back up somewhere else"),
     lambda m: said(Data(m[1]), " nằm trong thư mục dữ liệu ", Data(m[2]), ": hãy sao lưu ra nơi khác")),
    (re.compile(r"(.+): no (\S+): not a gateway backup"),
     lambda m: said(Data(m[1]), ": không có ", Data(m[2]), ", không phải bản sao lưu của gateway")),
    (re.compile(r"(.+): checksum mismatch: the backup is damaged"),
     lambda m: said(Data(m[1]), ": tổng kiểm không khớp, bản sao lưu đã hỏng")),
    (re.compile(r"(\S+) holds a (\w+) register but database.url is (\w+)"),
     lambda m: said("Bản sao lưu ", Data(m[1]), " chứa sổ ", Data(m[2]), " nhưng database.url là ", Data(m[3]))),
    (re.compile(r"imap (.+?): (login refused|TLS failed|connection lost|timed out|cannot reach the server|server "
                r"refused)(?: while)? ?(connecting|login|STARTTLS|listing folders|IDLE)?(?:: (.+))?", re.S),
     lambda m: said("IMAP ", Data(m[1]), ": ", _IMAP[m[2]],
                    *((" khi ", _IMAP_DOING.get(m[3], m[3])) if m[3] else ()),
                    *((" (chi tiết kỹ thuật: ", Data(m[4]), ")") if m[4] else ()))),
    (re.compile(r"imap (\S+): environment variable (\S+) is not set"),
     lambda m: said("IMAP ", Data(m[1]), ": chưa đặt biến môi trường ", Data(m[2]))),
    (re.compile(r"cannot create (\S+) for the register database: (.+)"),
     lambda m: said("Không tạo được thư mục ", Data(m[1]), " cho cơ sở dữ liệu của sổ (chi tiết kỹ thuật: ",
                    Data(m[2]), ")")),
    (re.compile(r"cannot open register database (\S+): (.+)", re.S),
     lambda m: said("Không mở được cơ sở dữ liệu của sổ ", Data(m[1]), " (chi tiết kỹ thuật: ", Data(m[2]), ")")),
    (re.compile(r"register schema is at (\S+), code needs (\S+): run `gateway db upgrade`"),
     lambda m: said("Cơ sở dữ liệu của sổ ", "chưa có cấu trúc" if m[1] == "nothing" else "ở phiên bản ",
                    Data("" if m[1] == "nothing" else m[1]), ", chương trình cần phiên bản ", Data(m[2]),
                    ": chạy `gateway db upgrade`")),
    # The configuration's problems (core/config.py, ops/preflight.py), each after the file and the key it names.
    (re.compile(r"(\S+): unknown key (\S+); known keys: (.+)", re.S),
     lambda m: said(Data(m[1]), ": không có khoá ", Data(m[2]), "; các khoá có: ", Data(m[3]))),
    (re.compile(r"(.+): cannot create (\S+): (\S+) is not a folder"),
     lambda m: said(Data(m[1]), ": không tạo được ", Data(m[2]), ": ", Data(m[3]), " không phải thư mục")),
    (re.compile(r"(.+?): (?:cannot create (\S+): )?(\S+) is not writable for this user \((.+)\); check its owner "
                r"and mode"),
     lambda m: said(Data(m[1]), ": ", Data(m[3]), " không ghi được với người dùng này (chi tiết kỹ thuật: ",
                    Data(m[4]), "); hãy xem chủ sở hữu và quyền")),
    (re.compile(r"(.+): cannot (read|load) (\S+): (.+)", re.S),
     lambda m: said(Data(m[1]), ": không ", "đọc" if m[2] == "read" else "nạp", " được ", Data(m[3]),
                    " (chi tiết kỹ thuật: ", Data(m[4]), ")")),
    (re.compile(r"(.+): no such config file"), lambda m: said(Data(m[1]), ": không có tệp cấu hình này")),
    (re.compile(r"(.+): cannot read: (.+)", re.S),
     lambda m: said(Data(m[1]), ": không đọc được (chi tiết kỹ thuật: ", Data(m[2]), ")")),
    (re.compile(r"(.+): not valid TOML: (.+)", re.S),
     lambda m: said(Data(m[1]), ": không phải TOML hợp lệ (chi tiết kỹ thuật: ", Data(m[2]), ")")),
    (re.compile(r"(\S+): \[(\S+)\] must be a table"),
     lambda m: said(Data(m[1]), ": ", Data(f"[{m[2]}]"), " phải là một bảng")),
    (re.compile(r"(\S+): (\S+) and (\S+) must be given together"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " và ", Data(m[3]), " phải được ghi cùng nhau")),
    (re.compile(r"(\S+): (\S+) or (\S+) must name at least one address"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " hoặc ", Data(m[3]), " phải ghi ít nhất một địa chỉ")),
    (re.compile(r"(\S+): (\S+) must name at least one folder"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " phải ghi ít nhất một thư mục")),
    (re.compile(r"(\S+): (\S+) needs (\S+) (and|or) (\S+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " cần ", Data(m[3]), " và " if m[4] == "and" else " hoặc ",
                    Data(m[5]))),
    (re.compile(r"(\S+): (\S+) needs (\S+)"), lambda m: said(Data(m[1]), ": ", Data(m[2]), " cần ", Data(m[3]))),
    (re.compile(r"(\S+): (\S+): no such file (.+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": không có tệp ", Data(m[3]))),
    (re.compile(r"(\S+): (\S+): unknown time zone (.+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": không có múi giờ ", Data(m[3]))),
    (re.compile(r"(\S+): (\S+): unknown role (.+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": không có vai trò ", Data(m[3]))),
    (re.compile(r"(\S+): (\S+): (.+) is not an address or network"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", Data(m[3]), " không phải một địa chỉ hay một mạng")),
    (re.compile(r"(\S+): (\S+): (.+) is not IP or IP:PORT"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", Data(m[3]), " không phải dạng IP hoặc IP:CỔNG")),
    (re.compile(r"(\S+): (\S+): (.+) has a bad port"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", Data(m[3]), " có cổng không hợp lệ")),
    (re.compile(r"(\S+): (\S+): (.+) is not a valid IMAP keyword"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", Data(m[3]), " không phải một từ khoá IMAP hợp lệ")),
    (re.compile(r"(\S+): (\S+): (.+) must be (FULL NAME=SHORT|PATTERN=accept\|quarantine\|reject)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", Data(m[3]), " phải có ", _MUST[m[4]])),
    (re.compile(r"(\S+): (\S+) (.+) is used twice"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " ", Data(m[3]), " được dùng hai lần")),
    (re.compile(r"(\S+): (\S+): host and username are required"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": phải ghi host và username")),
    (re.compile(r"(\S+): (\S+): give (exactly|at most) one of (\S+) and (\S+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), ": ", "ghi đúng " if m[3] == "exactly" else "chỉ ghi nhiều nhất ",
                    "một trong hai khoá ", Data(m[4]), ", ", Data(m[5]))),
    (re.compile(r'(\S+): (\S+) = "none" is allowed only for loopback hosts, not (.+)'),
     lambda m: said(Data(m[1]), ": ", Data(f'{m[2]} = "none"'), " chỉ được dùng với máy chủ ngay trên máy này, "
                    "không phải ", Data(m[3]))),
    (re.compile(r"(\S+): outbox: a password goes to (\S+) only over STARTTLS"),
     lambda m: said(Data(m[1]), ": outbox: mật khẩu chỉ được gửi tới ", Data(m[2]), " qua STARTTLS")),
    (re.compile(r"(\S+): ([a-z_]+\.[a-z_]+): .+? must be HOST:PORT, not (.+)"),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " phải có dạng MÁY:CỔNG, không phải ", Data(m[3]))),
    (re.compile(r"(\S+): ([a-z_]+(?:\[[^\]]*\])?\.[\w.\[\]-]+) must be (.+?)(?:, not (.+))?", re.S),
     lambda m: said(Data(m[1]), ": ", Data(m[2]), " phải là ", *_must(m[3]),
                    *((", không phải ", Data(m[4])) if m[4] else ()))),
    # What the field reader noticed (DocumentMeta.notes).
    (re.compile(r"edXML (.+?): (\w+): (.+)", re.S),
     lambda m: said("Gói edXML ", Data(m[1]), ": ", Data(f"{m[2]}: {m[3]}"))),
    (re.compile(r"người ký: OCR read (.+), the signing certificate says (.+)"),
     lambda m: said("Người ký: nhận dạng ảnh đọc được ", Data(m[1].strip("'\"")), ", chứng thư ký số ghi ",
                    Data(m[2].strip("'\"")))),
    (re.compile(r"file name says số (.+), the document says (.+)"),
     lambda m: said("Tên tệp ghi số ", Data(m[1]), ", văn bản ghi ", Data(m[2]))),
    (re.compile(r"OCR read số (.+), the file name says (.+): the file name decided"),
     lambda m: said("Nhận dạng ảnh đọc số ", Data(m[1]), ", tên tệp ghi ", Data(m[2]), ": lấy theo tên tệp")),
    (re.compile(r"OCR read số (.+), the e-mail subject says (.+): the subject decided"),
     lambda m: said("Nhận dạng ảnh đọc số ", Data(m[1]), ", tiêu đề thư ghi ", Data(m[2]),
                    ": lấy theo tiêu đề thư")),
    (re.compile(r"ngày ban hành: the handwritten day with the month and year of the first signature"),
     lambda m: said("Ngày ban hành: ngày viết tay, tháng và năm theo chữ ký số đầu tiên")),
    (re.compile(r"handwritten day read as (\S+) is after the first signature \((\S+)\): the signature's day decided"),
     lambda m: said("Ngày viết tay đọc được (", iso_date(m[1]), ") sau ngày ký số đầu tiên (", iso_date(m[2]),
                    "): lấy theo ngày ký số")),
    (re.compile(r"ngày ban hành: only the handwritten day's last digit \((\d)\) was legible.*\((\S+)\) was taken",
                re.S),
     lambda m: said("Ngày ban hành: chỉ đọc được chữ số cuối của ngày viết tay (", m[1],
                    "); lấy ngày gần nhất như vậy của tháng in trên văn bản, không sau ngày ký số đầu tiên (",
                    iso_date(m[2]), ")")),
    (re.compile(r"ngày ban hành taken from the first signature's time \(the printed day was unreadable\)"),
     lambda m: said("Ngày ban hành lấy theo thời điểm ký số đầu tiên (không đọc được ngày in trên văn bản)")),
    (re.compile(r"(\w+Error|\w+Exception): (.+)", re.S),
     lambda m: said("Lỗi khi xử lý (chi tiết kỹ thuật: ", Data(f"{m[1]}: {m[2]}"), ")")),
)


def translate(text: str) -> Said:
    """A reason or error for people: a known shape in Vietnamese, Vietnamese text as it is, anything else as a
    technical detail behind a Vietnamese sentence."""
    text = (text or "").strip()
    if not text:
        return said()
    for pattern, say in _SHAPES:
        match = pattern.fullmatch(text)
        if match:
            return say(match)
    if has_diacritics(text):
        return said(text)
    return said("Chi tiết kỹ thuật: ", Data(text))


# Keys of a quarantine reason's details (trust check and limits), as people read them.
DETAIL_KEYS = {
    "from": "Địa chỉ người gửi ghi trong thư", "domain": "Tên miền người gửi", "spf": "SPF", "dkim": "DKIM",
    "dmarc": "DMARC", "auth_source": "Nguồn kết quả xác thực", "limit": "Giới hạn", "limits": "Các giới hạn",
    "rule": "Luật", "reason": "Lý do", "kind": "Loại", "document": "Văn bản trong sổ (mã)",
    "about": "Mã định danh văn bản (edXML)",
}


def detail_key(key: str) -> str:
    return DETAIL_KEYS.get(key, key)


def detail_value(key: str, value: object) -> Said:
    """One detail of a quarantine record: authentication results in Vietnamese, limits by their shape."""
    if key in ("spf", "dkim", "dmarc") and isinstance(value, str):
        return said(_auth(value))
    if key == "limit" and isinstance(value, str):
        return _limit(value)
    if key == "auth_source" and not value:
        return said("không có (không tin kết quả xác thực nào)")
    if isinstance(value, list):
        parts: list[str] = []
        for n, item in enumerate(value):
            parts += (["; "] if n else []) + list(translate(str(item)).parts)
        return said(*parts)
    return said(Data("" if value is None else str(value)))
