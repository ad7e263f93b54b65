"""One TOML file read into frozen dataclasses; every key has a default and a help line."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import socket
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from gateway.core.errors import ConfigError

SEARCH_PATHS = (Path("gateway.toml"), Path("/etc/gateway/gateway.toml"))
MiB = 1024 * 1024


def _help(text: str, default, **kw):
    return field(default=default, metadata={"help": text}, **kw)


def _path(text: str, default, kind: str = "file"):
    """A key naming a file or folder: relative values in a config file mean relative to that file's folder."""
    return field(default=default, metadata={"help": text, "path": kind})


def _help_factory(text: str, factory):
    return field(default_factory=factory, metadata={"help": text})


@dataclass(frozen=True)
class PathsConfig:
    data_dir: str = _path("thư mục chứa hàng đợi, nội dung tệp và sổ SQLite (đường dẫn tương đối trong tệp cấu hình "
                          "tính từ thư mục của tệp đó)", "./gateway-data", kind="folder")
    min_free_space: int = _help(
        "số byte phải còn trống trên ổ đĩa của thư mục dữ liệu: dưới mức đó nơi nhận thư tạm từ chối thư mới (SMTP "
        "452, IMAP chờ) để các tiến trình xử lý luôn còn chỗ vào sổ những thư đã nhận", 100 * MiB)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = _path(
        "địa chỉ SQLAlchemy của sổ; để trống là SQLite trong thư mục dữ liệu "
        "(postgresql+psycopg://người_dùng:mật_khẩu@máy/csdl cho PostgreSQL; đường dẫn sqlite:/// tương đối tính từ thư "
        "mục của tệp cấu hình)",
        "", kind="url",
    )
    blobs: str = _help(
        "nơi giữ nội dung thư và tệp: \"filesystem\" (thư mục blobs/ trong thư mục dữ liệu) hoặc \"database\" (bảng "
        "`blobs` của sổ: với PostgreSQL mọi máy và máy dự phòng đều có; mọi máy phải ghi giống nhau)", "filesystem")


@dataclass(frozen=True)
class HostConfig:
    name: str = _help("tên của máy này giữa các máy dùng chung một sổ PostgreSQL (`gateway status` liệt kê chúng); để "
                      "trống: tên máy của hệ thống; mỗi máy một tên khác nhau", "")
    heartbeat_interval: float = _help("số giây giữa hai lần máy này báo hoạt động vào sổ", 10.0)
    imap_lease: float = _help("số giây một tài khoản IMAP còn thuộc máy đang lấy thư của nó sau lần gia hạn cuối; quá "
                              "thời gian đó, nếu máy ấy đã ngừng, máy khác nhận tài khoản", 30.0)
    numbering_wait: float = _help(
        "số giây các máy khác còn chờ đánh số đến sau một máy đã ngừng báo hoạt động (thư trong hàng đợi của nó đến "
        "trước thư của chúng); quá thời gian đó chúng đánh số tiếp, thư của máy ấy nhận số khi máy trở lại", 300.0)


@dataclass(frozen=True)
class SmtpConfig:
    listen: str = _help("MÁY:CỔNG nơi nhận thư SMTP lắng nghe", "127.0.0.1:2525")
    hostname: str = _help("tên xưng trong lời chào SMTP; để trống là tên máy", "")
    accept_recipients: tuple[str, ...] = _help(
        "các địa chỉ người nhận được chấp nhận (địa chỉ khác nhận mã 550: không bao giờ chuyển tiếp thư hộ "
        "ai)", ("vanthu@localhost",)
    )
    accept_domains: tuple[str, ...] = _help("các tên miền được chấp nhận trọn làm người nhận, ví dụ "
                                            "sct.example.gov.vn", ())
    max_message_size: int = _help("thư lớn nhất được nhận, tính bằng byte (lớn hơn nhận mã 552)", 50 * MiB)
    max_recipients: int = _help("số RCPT TO nhiều nhất cho một thư (nhiều hơn nhận mã 452)", 100)
    idle_timeout: int = _help("số giây giữ một máy gửi im lặng trước khi đóng kết nối", 300)
    tls_cert: str = _path("tệp chứng thư PEM; có cùng tls_key thì STARTTLS được mời dùng", "")
    tls_key: str = _path("tệp khoá riêng PEM cho STARTTLS", "")
    require_tls: bool = _help("từ chối thư cho tới khi máy gửi đã dùng STARTTLS", False)
    recipient_delimiter: str = _help(
        "ký tự tách phần mở rộng của địa chỉ, như recipient_delimiter của Postfix: với \"+\", vanthu+bất_kỳ@ được nhận "
        "ở nơi vanthu@ được nhận (thư báo lỗi quay về địa chỉ trả về `vanthu+ob-ID-TOKEN@` của thư đi); để trống: "
        "không có phần mở rộng", "+",
    )


@dataclass(frozen=True)
class WorkersConfig:
    count: int = _help("số tiến trình xử lý đưa thư trong hàng đợi vào sổ; 0 là mỗi CPU một tiến trình", 0)
    max_attempts: int = _help("số lần xử lý hỏng trước khi thư trong hàng đợi chuyển vào bad/", 3)
    poll_interval: float = _help("số giây một tiến trình xử lý rảnh chờ trước khi xem lại hàng đợi", 0.1)
    batch_size: int = _help(
        "số thư chờ nhiều nhất một tiến trình xử lý đưa vào sổ trong một giao dịch (một lần ghi cho tất cả; 1 là "
        "tắt)", 8
    )
    drain_timeout: float = _help(
        "số giây các tiến trình xử lý có khi nhận SIGTERM để xong những thư đang làm (phần còn lại ở nguyên trong hàng "
        "đợi)", 30.0
    )
    retry_first: float = _help(
        "số giây trước khi thử lại một thư bị hoãn vì lỗi bên ngoài thư (cơ sở dữ liệu không truy cập được, đầy ổ "
        "đĩa); thời gian chờ gấp đôi sau mỗi lần hoãn", 10.0)
    retry_longest: float = _help("thời gian chờ dài nhất giữa hai lần thử một thư bị hoãn, tính bằng giây", 600.0)
    retry_lifetime: float = _help(
        "số giây một thư được hoãn trước khi chuyển vào bad/ cho người xem (`maximal_queue_lifetime` của "
        "Postfix)", 2 * 24 * 3600.0)
    numbering_hold: float = _help(
        "số giây một thư bị hoãn giữ số đến của các văn bản nhận sau nó; quá thời gian đó chúng được cấp số và thư ấy "
        "lấy số trống kế tiếp khi vào sổ", 3600.0)
    stall_timeout: float = _help(
        "số giây thư chờ lâu nhất được nằm chưa ai nhận xử lý trước khi tiến trình gateway ngừng báo cho watchdog của "
        "systemd, để systemd khởi động lại nó (0 là tắt kiểm tra này)", 300.0
    )


@dataclass(frozen=True)
class LimitsConfig:
    max_parts: int = _help("số phần MIME nhiều nhất được duyệt trong một thư", 1000)
    max_depth: int = _help("độ lồng sâu nhất của MIME hoặc tệp nén được theo", 20)
    max_attachment_size: int = _help("tệp đính kèm lớn nhất được đọc chữ, tính bằng byte", 100 * MiB)
    zip_max_members: int = _help("số tệp nhiều nhất được đọc trong một tệp nén", 1000)
    zip_max_total_size: int = _help("số byte nhiều nhất được giải ra từ một tệp nén", 500 * MiB)
    zip_max_ratio: int = _help("tỉ lệ kích thước giải nén/nén lớn nhất được chấp nhận cho một tệp trong tệp nén", 200)
    pdf_max_pages: int = _help("số trang PDF nhiều nhất được đọc lớp chữ", 2000)
    text_max_chars: int = _help("số ký tự nhiều nhất giữ lại cho mỗi tệp đính kèm", 5_000_000)
    max_message_size: int = _help("thư lớn nhất nhận từ bất kỳ nguồn nào, tính bằng byte (lớn hơn: cách ly)", 50 * MiB)
    max_headers: int = _help("số trường tiêu đề nhiều nhất trong một thư (nhiều hơn: cách ly)", 1000)
    max_header_length: int = _help("trường tiêu đề dài nhất, kể cả các dòng gập, tính bằng byte (dài hơn: cách ly)",
                                   64 * 1024)
    pdf_max_objects: int = _help("số đối tượng gián tiếp nhiều nhất trong một tệp PDF đính kèm được đọc chữ", 500_000)
    max_attachments: int = _help("số tệp nhiều nhất được đọc chữ; các tệp còn lại được giữ mà không đọc", 200)
    extract_isolated: bool = _help(
        "đọc tệp đính kèm trong một tiến trình riêng với giới hạn thời gian và bộ nhớ dưới đây, để một tệp độc hại "
        "không làm treo hay cạn tài nguyên của tiến trình xử lý", True,
    )
    extract_timeout: float = _help("số giây được dùng để đọc một tệp đính kèm (kể cả nhận dạng ảnh)", 60.0)
    extract_memory: int = _help("vùng địa chỉ bộ nhớ của tiến trình đọc tệp, tính bằng byte", 2048 * MiB)
    on_limit: str = _help(
        "khi một phần vượt giới hạn: \"mark\" đưa thư vào sổ, phần đó được ghi là không đọc được vì giới hạn; "
        "\"quarantine\" giữ cả thư trong quarantine/", "mark",
    )


TRUST_ACTIONS = ("accept", "quarantine", "reject")
TRUST_ACTION_NAMES = {"quarantine": "cách ly", "reject": "từ chối", "accept": "nhận"}  # as people read them
DKIM_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class TrustConfig:
    allowed_domains: tuple[str, ...] = _help(
        "tên miền người gửi (`From`) được vào sổ không cần hỏi; \"*.gov.vn\" khớp gov.vn và mọi tên miền con",
        ("*.gov.vn",),
    )
    domain_overrides: tuple[str, ...] = _help(
        "cách xử lý riêng theo tên miền, được ưu tiên hơn các khoá khác, dạng \"MẪU=accept|quarantine|reject\"", ()
    )
    other_action: str = _help(
        "xử lý thư từ mọi tên miền khác: \"quarantine\" (cách ly), \"accept\" (nhận) hoặc \"reject\" (từ chối, mã 550 "
        "ngay khi nhận SMTP; với IMAP và nhập tệp không từ chối được nên là cách ly)", "quarantine",
    )
    require_auth_domains: tuple[str, ...] = _help(
        "tên miền người gửi phải đạt DKIM, SPF hoặc DMARC, nếu không thư bị cách ly (chỉ áp dụng khi "
        "trusted_authserv_ids hoặc verify_dkim cho một kết quả để xét)", ("*.gov.vn",),
    )
    trusted_authserv_ids: tuple[str, ...] = _help(
        "authserv-id của máy chủ thư của mình: chỉ tin trường Authentication-Results trên cùng, và chỉ khi nó mang một "
        "trong các id này (RFC 8601); để trống: bỏ qua mọi trường Authentication-Results", (),
    )
    trusted_mta_peers: tuple[str, ...] = _help(
        "địa chỉ IP của máy chủ thư đó: Authentication-Results trong thư SMTP từ máy khác bị bỏ qua; để trống: mọi "
        "máy", (),
    )
    verify_dkim: str = _help(
        "kiểm tra chữ ký DKIM ngay tại đây (dkimpy): \"auto\" khi không có trường Authentication-Results đáng tin cho "
        "kết quả (để người gửi giả mạo thuộc require_auth_domains vẫn bị cách ly dù không có máy chủ thư phía trước "
        "kiểm tra), \"always\" (kết quả của mình thay DKIM trong trường tiêu đề), \"never\" (không kiểm tra)", "auto",
    )
    dns_servers: tuple[str, ...] = _help(
        "máy chủ DNS để tra khoá DKIM, dạng \"IP\" hoặc \"IP:CỔNG\"; để trống: máy chủ DNS của hệ thống "
        "(/etc/resolv.conf)", ()
    )
    dns_timeout: float = _help("số giây được dùng cho một lần tra khoá DKIM", 5.0)


@dataclass(frozen=True)
class RegisterConfig:
    agency_name: str = _help("tên cơ quan nhận, in trên sổ", "")
    organ_id: str = _help("mã định danh của cơ quan nhận (OrganId của edXML), dùng trong gói trạng thái edXML", "")
    main_name: str = _help("tên sổ đăng ký văn bản đến", "Sổ đăng ký văn bản đến")
    secret_name: str = _help("tên sổ dành cho văn bản mật", "Sổ đăng ký văn bản đến (mật)")
    timezone: str = _help("múi giờ của ngày đến và của bộ đếm số đến theo năm", "Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class UnderstandConfig:
    ocr: bool = _help("nhận dạng ảnh (OCR) các trang quét (phần đầu trang 1, các trang có người ký) bằng tesseract "
                      "trước khi vào sổ", True)
    ocr_dpi: int = _help("độ phân giải khi dựng trang để nhận dạng ảnh", 300)
    ocr_max_signer_pages: int = _help("số trang nhiều nhất được tìm ngược từ cuối văn bản để thấy phần chữ ký", 2)
    trust_anchors: tuple[str, ...] = _path(
        "các tệp PEM/DER của chứng thư gốc được tin (Ban Cơ yếu Chính phủ); để trống: mọi chữ ký đều là chứng thư gốc "
        "không được tin (\"untrusted-root\")", ())


TLS_MODES = ("implicit", "starttls", "none")
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ImapAccountConfig:
    name: str = _help("tên ngắn của tài khoản, dùng trong nhật ký, sổ theo dõi thư IMAP và `gateway imap test TÊN`", "")
    host: str = _help("tên hoặc địa chỉ máy chủ IMAP", "")
    port: int = _help("cổng máy chủ IMAP; 0 là 993 khi dùng TLS ngay từ đầu, còn lại 143", 0)
    tls: str = _help("\"implicit\" (IMAPS), \"starttls\", hoặc \"none\" (chỉ với máy chủ trên chính máy "
                     "này)", "implicit")
    tls_ca_file: str = _path("tệp PEM của CA đã ký chứng thư máy chủ; để trống: các CA của hệ thống", "")
    username: str = _help("tên đăng nhập", "")
    password_file: str = _path("tệp chứa mật khẩu (dòng đầu); không bao giờ ghi vào nhật ký", "")
    password_env: str = _help("biến môi trường chứa mật khẩu, thay cho password_file", "")
    folders: tuple[str, ...] = _help("các thư mục được theo dõi để lấy thư mới", ("INBOX",))
    after_action: str = _help(
        "việc làm trên máy chủ khi một thư đã vào sổ: \"seen\" (đánh dấu đã đọc), \"keyword:<từ khoá>\", \"move:<thư "
        "mục>\" hoặc \"delete\" (xoá)",
        "seen",
    )
    poll_interval: float = _help("số giây giữa hai lần lấy thư khi IDLE tắt hoặc máy chủ không hỗ trợ", 60.0)
    idle: bool = _help("dùng IMAP IDLE để nhận thư ngay khi máy chủ hỗ trợ", True)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.tls == "implicit" else 143)


@dataclass(frozen=True)
class ImapConfig:
    accounts: tuple[ImapAccountConfig, ...] = _help("các hộp thư được lấy thư, mỗi hộp thư một bảng "
                                                    "[[imap.accounts]]", ())


@dataclass(frozen=True)
class MetricsConfig:
    listen: str = _help(
        "MÁY:CỔNG của một máy chủ HTTP nhỏ có /healthz và /metrics cho Prometheus; để trống là tắt", ""
    )


@dataclass(frozen=True)
class RoutingConfig:
    rules_dir: str = _path(
        "thư mục các tệp luật định tuyến (*.toml: đơn vị, luật, [fallback]); để trống là tắt định tuyến", "",
        kind="folder",
    )
    calendar_file: str = _path(
        "tệp TOML các ngày nghỉ thêm được công bố (`days_off = [...]`) và các ngày làm việc bù (`working_days = "
        "[...]`), ngoài ngày cuối tuần và các ngày lễ của Việt Nam", ""
    )
    decision: str = _help(
        "luật quyết định đến đâu: \"final\" (giao và chuyển tiếp ngay cho các đơn vị) hoặc \"proposal\" (chỉ đề xuất "
        "đơn vị; ý kiến chỉ đạo của lãnh đạo mới giao và chuyển tiếp, NĐ 30 Điều 24)", "final"
    )
    direction_roles: tuple[str, ...] = _help(
        "các vai trò được ghi ý kiến chỉ đạo; thêm \"van_thu\" khi quy chế của cơ quan cho văn thư ghi thay lãnh "
        "đạo", ("admin", "lanh_dao")
    )


@dataclass(frozen=True)
class FollowupConfig:
    send: bool = _help("gửi thư đôn đốc hằng ngày: mỗi đơn vị nhận danh sách việc sắp đến hạn hoặc quá hạn của "
                       "mình", False)
    at: str = _help("giờ địa phương (GG:PP, theo register.timezone) gửi thư đôn đốc hằng ngày", "07:30")
    due_within: int = _help("số ngày làm việc thư đôn đốc nhìn trước (0: chỉ việc đến hạn hôm nay hoặc quá hạn)", 3)
    summary_to: str = _help("địa chỉ nhận bản tổng hợp việc đến hạn và quá hạn của mọi đơn vị (văn thư); để trống: "
                            "không gửi bản tổng hợp", "")


@dataclass(frozen=True)
class OutboxConfig:
    relay_host: str = _help("máy chủ SMTP chuyển tiếp dùng để gửi thư chuyển tiếp và báo nhận; để trống thì thư nằm "
                            "chờ trong hàng đợi thư đi", "")
    relay_port: int = _help("cổng của máy chủ chuyển tiếp", 25)
    starttls: bool = _help("dùng STARTTLS với máy chủ chuyển tiếp (bắt buộc khi đăng nhập vào máy chủ không ở trên "
                           "chính máy này)", False)
    tls_ca_file: str = _path("tệp PEM của CA đã ký chứng thư máy chủ chuyển tiếp; để trống: các CA của hệ thống", "")
    username: str = _help("tên đăng nhập ở máy chủ chuyển tiếp; để trống là không đăng nhập (AUTH)", "")
    password_file: str = _path("tệp chứa mật khẩu máy chủ chuyển tiếp (dòng đầu); không bao giờ ghi vào nhật ký", "")
    password_env: str = _help("biến môi trường chứa mật khẩu máy chủ chuyển tiếp, thay cho password_file", "")
    from_address: str = _help("địa chỉ `From` (và người gửi trên phong bì) của thư chuyển tiếp và báo "
                              "nhận", "vanthu@localhost")
    verp: bool = _help(
        "gửi mỗi thư với địa chỉ trả về mang mã dòng thư đi của nó (local+ob-ID-TOKEN@tên_miền của from_address, với "
        "smtp.recipient_delimiter), để thư báo lỗi đánh dấu thư đó gửi không được thay vì thành một văn bản",
        True,
    )
    receipt_domains: tuple[str, ...] = _help(
        "tên miền người gửi (mẫu như *.gov.vn) được nhận báo nhận; người gửi khác không nhận (không gửi ngược cho "
        "người gửi giả mạo)", ()
    )
    retry_period: float = _help("số giây thử lại một thư sau lỗi 4xx hoặc lỗi kết nối trước khi coi là gửi không được",
                                2 * 24 * 3600.0)
    backoff_initial: float = _help("số giây trước lần thử lại đầu; gấp đôi sau mỗi lần tiếp theo", 60.0)
    backoff_max: float = _help("thời gian chờ dài nhất giữa hai lần thử lại, tính bằng giây", 3600.0)
    lease: float = _help("số giây một tiến trình gửi được giữ thư đã nhận gửi trước khi tiến trình gửi khác có thể "
                         "lấy", 300.0)
    poll_interval: float = _help("số giây tiến trình gửi chờ giữa hai lần xem hàng đợi thư đi khi rảnh", 2.0)
    timeout: float = _help("số giây một phiên SMTP với máy chủ chuyển tiếp được đứng yên", 60.0)


@dataclass(frozen=True)
class LoopConfig:
    id: str = _help(
        "mã của bản cài đặt này, ghi vào trường X-Gateway-Loop của mọi thư gateway gửi; thư quay lại mang mã này bị "
        "cách ly như một vòng lặp thư; để trống: outbox.from_address", "",
    )
    max_received: int = _help(
        "số dòng `Received` nhiều nhất một thư được mang; nhiều hơn nghĩa là thư đã đi vòng (cách ly)", 30,
    )


@dataclass(frozen=True)
class WebConfig:
    listen: str = _help("MÁY:CỔNG của giao diện web và API JSON; để trống là tắt trong `gateway serve`", "")
    session_minutes: int = _help("số phút một lần đăng nhập còn hiệu lực trước khi phải đăng nhập lại", 480)
    proxy_user_header: str = _help(
        "trường tiêu đề mang tên người dùng do máy chủ proxy ngược đã xác thực người dùng đặt vào (ví dụ "
        "`X-Remote-User`); để trống là bỏ qua các trường như vậy", ""
    )
    trusted_proxies: tuple[str, ...] = _help(
        "địa chỉ hoặc mạng của các máy chủ proxy ngược được tin proxy_user_header; của máy khác thì không tin", ()
    )
    secret_roles: tuple[str, ...] = _help(
        "các vai trò xem được sổ văn bản mật; người dùng khác chỉ khi tài khoản của họ được cho phép",
        ("admin", "van_thu"),
    )
    due_soon_days: int = _help("việc được giao đến hạn trong chừng này ngày hiện là sắp đến hạn trên trang tổng "
                               "quan", 3)
    cookie_secure: bool = _help("chỉ gửi cookie phiên qua HTTPS (bật khi đứng sau proxy TLS)", False)
    review_below: float = _help(
        "trường đọc được có độ tin cậy dưới mức này (0..1) được đánh dấu trên trang văn bản, và sổ liệt kê văn bản "
        "dưới «Cần xem lại» cho tới khi văn thư xác nhận hoặc sửa", 0.9,
    )
    short_names: tuple[str, ...] = _help(
        "tên cơ quan như danh sách sổ hiển thị, dạng \"TÊN ĐẦY ĐỦ=TÊN NGẮN\" (so khớp không phân biệt hoa thường và "
        "dấu); sổ, tệp xuất và trang văn bản giữ tên đầy đủ", (),
    )
    abbreviate_names: bool = _help(
        "viết tắt tên các cơ quan khác trong danh sách sổ theo quy tắc sẵn có (Ủy ban nhân dân → UBND, Hội đồng nhân "
        "dân → HĐND, tên viết hoa toàn bộ được viết thường như bình thường)", True,
    )
    login_max_failures: int = _help("số lần đăng nhập sai của một tên người dùng trong login_window_minutes trước khi "
                                    "các lần thử sau bị từ chối", 5)
    login_max_failures_per_address: int = _help("số lần đăng nhập sai từ một địa chỉ trong login_window_minutes trước "
                                                "khi các lần thử sau từ địa chỉ đó bị từ chối", 20)
    login_window_minutes: int = _help("số phút một lần đăng nhập sai còn được tính vào các giới hạn trên", 15)


@dataclass(frozen=True)
class LoggingConfig:
    level: str = _help("\"DEBUG\", \"INFO\", \"WARNING\" hoặc \"ERROR\"", "INFO")


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = _help_factory("nơi giữ dữ liệu", PathsConfig)
    database: DatabaseConfig = _help_factory("cơ sở dữ liệu của sổ", DatabaseConfig)
    host: HostConfig = _help_factory("máy này, khi nhiều máy dùng chung một sổ", HostConfig)
    smtp: SmtpConfig = _help_factory("nhận thư qua SMTP", SmtpConfig)
    workers: WorkersConfig = _help_factory("các tiến trình xử lý", WorkersConfig)
    limits: LimitsConfig = _help_factory("giới hạn những gì được giải nén và đọc", LimitsConfig)
    trust: TrustConfig = _help_factory("người gửi nào được vào sổ, và xác thực họ thế nào", TrustConfig)
    register: RegisterConfig = _help_factory("sổ đăng ký văn bản đến", RegisterConfig)
    understand: UnderstandConfig = _help_factory("đọc các trường của văn bản: nhận dạng ảnh (OCR) và chữ ký "
                                                 "số", UnderstandConfig)
    metrics: MetricsConfig = _help_factory("tình trạng và số đo qua HTTP", MetricsConfig)
    web: WebConfig = _help_factory("giao diện web và API JSON cho người dùng và hệ thống quản lý văn bản", WebConfig)

    imap: ImapConfig = _help_factory("nhận thư qua IMAP", ImapConfig)
    routing: RoutingConfig = _help_factory("luật định tuyến và ngày làm việc", RoutingConfig)
    outbox: OutboxConfig = _help_factory("thư gửi đi: chuyển tiếp tới các đơn vị và báo nhận", OutboxConfig)
    followup: FollowupConfig = _help_factory("đôn đốc hằng ngày công việc đến hạn", FollowupConfig)
    loop: LoopConfig = _help_factory("vòng lặp thư: trường tiêu đề đánh dấu thư của chính gateway, giới hạn số "
                                     "chặng", LoopConfig)
    logging: LoggingConfig = _help_factory("ghi nhật ký", LoggingConfig)
    source: str = field(default="(giá trị mặc định)", metadata={"help": "tệp lấy cấu hình"})

    @property
    def data_dir(self) -> Path:
        return Path(self.paths.data_dir).expanduser().resolve()

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'register.sqlite3'}"

    @property
    def host_name(self) -> str:
        return self.host.name or socket.gethostname()

    @property
    def worker_count(self) -> int:
        return self.workers.count or (os.cpu_count() or 1)

    @property
    def loop_id(self) -> str:
        """The value of the X-Gateway-Loop header this installation puts on its mail and looks for."""
        return (self.loop.id or self.outbox.from_address).strip().lower()


def find_config_file(explicit: str | os.PathLike | None) -> Path | None:
    """The file to read: the one given, else ./gateway.toml, else /etc/gateway/gateway.toml, else none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path.absolute()}: no such config file")
        return path
    for candidate in SEARCH_PATHS:
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | os.PathLike | None = None, overrides: dict[str, object] | None = None) -> Config:
    """Read the config file (see find_config_file) and apply dotted-key overrides such as ``smtp.listen``.

    Relative paths in the file are taken relative to the file's folder, so the same file means the same
    folders whatever the working directory; relative overrides (command-line options) to the working
    directory. Every problem found is reported at once, in one ConfigError.
    """
    config, problems = read_config(explicit, overrides)
    if problems:
        raise ConfigError.of(problems)
    return config


def read_config(explicit: str | os.PathLike | None = None,
                overrides: dict[str, object] | None = None) -> tuple[Config, list[str]]:
    """The configuration and every problem in it; a key with a problem keeps its default, so that a checker can
    go on to look at the rest. ConfigError only when the file cannot be found, read or parsed."""
    path = find_config_file(explicit)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path.absolute()}: cannot read: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path.absolute()}: not valid TOML: {err}") from err
        _absolute_paths(Config, data, path.absolute().parent)
    given: dict = {}
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        given.setdefault(section, {})[key] = value
    _absolute_paths(Config, given, Path.cwd())
    for section, values in given.items():
        if isinstance(data.setdefault(section, {}), dict):  # else _build reports that it must be a table
            data[section].update(values)
    _old_spellings(data)
    source = str(path.absolute()) if path else "(giá trị mặc định)"
    problems: list[str] = []
    config = dataclasses.replace(_build(Config, data, source, "", problems), source=source)
    return config, problems + config_problems(config)


def _old_spellings(data: dict) -> None:
    """Values written before a key changed type: trust.verify_dkim was true/false, now always/never (or auto)."""
    trust = data.get("trust")
    if isinstance(trust, dict) and isinstance(trust.get("verify_dkim"), bool):
        trust["verify_dkim"] = "always" if trust["verify_dkim"] else "never"


def _absolute_paths(cls, data: object, base: Path) -> None:
    """Make the relative file and folder names in ``data`` (the raw tables of ``cls``) absolute, in place."""
    if not isinstance(data, dict):
        return
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            continue
        hint, kind = hints[key], fields[key].metadata.get("path")
        if dataclasses.is_dataclass(hint):
            _absolute_paths(hint, value, base)
        elif typing.get_origin(hint) is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            for item in value if isinstance(value, list) else ():
                _absolute_paths(typing.get_args(hint)[0], item, base)
        elif kind == "url" and isinstance(value, str):
            data[key] = _absolute_sqlite(value, base)
        elif kind and isinstance(value, str):
            data[key] = _absolute(value, base)
        elif kind and isinstance(value, list):
            data[key] = [_absolute(item, base) if isinstance(item, str) else item for item in value]


def _absolute(value: str, base: Path) -> str:
    if not value.strip():
        return value
    path = Path(value).expanduser()
    return os.path.normpath(path if path.is_absolute() else base / path)


_SQLITE_RELATIVE = re.compile(r"(sqlite(?:\+\w+)?:///)(?!/)([^?]+)(\?.*)?")


def _absolute_sqlite(url: str, base: Path) -> str:
    """sqlite:///relative.db made relative to ``base``; other URLs as they are."""
    match = _SQLITE_RELATIVE.fullmatch(url.strip())
    if not match or match.group(2) == ":memory:":
        return url
    return f"{match.group(1)}{_absolute(match.group(2), base)}{match.group(3) or ''}"


def _build(cls, data: object, source: str, prefix: str, problems: list[str]):
    """An instance of ``cls`` from its raw table; a key that is unknown or of the wrong type is added to
    ``problems`` and keeps its default, so that every other key is still checked."""
    if not isinstance(data, dict):
        problems.append(f"{source}: [{prefix.rstrip('.')}] must be a table")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    values = {}
    for key, raw in data.items():
        if key not in known:
            problems.append(f"{source}: unknown key {prefix}{key!s}; known keys: {', '.join(sorted(known))}")
            continue
        try:
            values[key] = _coerce(hints[key], raw, source, f"{prefix}{key}", problems)
        except ConfigError as err:
            problems.append(str(err))
    return cls(**values)


def _coerce(hint, raw, source: str, key: str, problems: list[str]):
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw, source, f"{key}.", problems)
    origin = typing.get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        if not isinstance(raw, (list, tuple)):
            raise ConfigError(f"{source}: {key} must be an array of tables ([[{key}]]), not {raw!r}")
        item = typing.get_args(hint)[0]
        return tuple(_build(item, entry, source, f"{key}[{n}].", problems) for n, entry in enumerate(raw))
    if origin is tuple:
        if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
            raise ConfigError(f"{source}: {key} must be a list of strings, not {raw!r}")
        return tuple(raw)
    if origin in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if hint is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{source}: {key} must be true or false, not {raw!r}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{source}: {key} must be an integer, not {raw!r}")
        return raw
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{source}: {key} must be a number, not {raw!r}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{source}: {key} must be a string, not {raw!r}")
        return raw
    raise ConfigError(f"{source}: {key} has an unsupported type")  # pragma: no cover - a bug in this module


def parse_host_port(text: str, what: str = "listen address") -> tuple[str, int]:
    """Split "HOST:PORT" (or "[v6]:PORT") into its parts."""
    match = re.fullmatch(r"\[?([^\[\]]*?)\]?:(\d{1,5})", text.strip())
    if not match or not (0 <= int(match.group(2)) <= 65535):
        raise ConfigError(f"{what} must be HOST:PORT, not {text!r}")
    return match.group(1) or "127.0.0.1", int(match.group(2))


def validate(config: Config) -> None:
    """Raise ConfigError with every problem config_problems() finds."""
    problems = config_problems(config)
    if problems:
        raise ConfigError.of(problems)


def config_problems(config: Config) -> list[str]:
    """Checks that cross keys or need more than a type, each problem naming the file and the key."""
    src = config.source
    out: list[str] = []
    try:
        parse_host_port(config.smtp.listen)
    except ConfigError as err:
        out.append(f"{src}: smtp.listen: {err}")
    if config.metrics.listen:
        try:
            parse_host_port(config.metrics.listen)
        except ConfigError as err:
            out.append(f"{src}: metrics.listen: {err}")
    _validate_web(config.web, src, out)
    if bool(config.smtp.tls_cert) != bool(config.smtp.tls_key):
        out.append(f"{src}: smtp.tls_cert and smtp.tls_key must be given together")
    if config.smtp.require_tls and not config.smtp.tls_cert:
        out.append(f"{src}: smtp.require_tls needs smtp.tls_cert and smtp.tls_key")
    for key, value in (("smtp.tls_cert", config.smtp.tls_cert), ("smtp.tls_key", config.smtp.tls_key)):
        if value and not Path(value).is_file():
            out.append(f"{src}: {key}: no such file {value}")
    if not config.smtp.accept_recipients and not config.smtp.accept_domains:
        out.append(f"{src}: smtp.accept_recipients or smtp.accept_domains must name at least one address")
    for key, value in (
        ("smtp.max_message_size", config.smtp.max_message_size),
        ("smtp.max_recipients", config.smtp.max_recipients),
        ("smtp.idle_timeout", config.smtp.idle_timeout),
        ("workers.max_attempts", config.workers.max_attempts),
        ("workers.batch_size", config.workers.batch_size),
    ):
        if value <= 0:
            out.append(f"{src}: {key} must be positive, not {value}")
    for key, number in (("workers.drain_timeout", config.workers.drain_timeout),
                        ("workers.stall_timeout", config.workers.stall_timeout)):
        if number < 0:
            out.append(f"{src}: {key} must be 0 or more, not {number}")
    if config.workers.count < 0:
        out.append(f"{src}: workers.count must be 0 (one per CPU) or more")
    if config.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        out.append(f"{src}: logging.level must be DEBUG, INFO, WARNING or ERROR")
    _validate_imap(config.imap, src, out)
    _validate_trust(config.trust, src, out)
    if config.limits.on_limit not in ("mark", "quarantine"):
        out.append(f"{src}: limits.on_limit must be mark or quarantine, not {config.limits.on_limit!r}")
    for key in ("max_message_size", "max_headers", "max_header_length", "max_attachments", "extract_memory"):
        if getattr(config.limits, key) <= 0:
            out.append(f"{src}: limits.{key} must be positive")
    if config.limits.extract_timeout <= 0:
        out.append(f"{src}: limits.extract_timeout must be positive")
    _validate_outbox(config.outbox, src, out)
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", config.followup.at):
        out.append(f"{src}: followup.at must be a time HH:MM, not {config.followup.at!r}")
    if config.followup.due_within < 0:
        out.append(f"{src}: followup.due_within must be 0 or more")
    if config.routing.decision not in ("final", "proposal"):
        out.append(f"{src}: routing.decision must be final or proposal, not {config.routing.decision!r}")
    if config.loop.max_received <= 0:
        out.append(f"{src}: loop.max_received must be positive, not {config.loop.max_received}")
    if len(config.smtp.recipient_delimiter) > 1 or config.smtp.recipient_delimiter.isalnum() \
            or config.smtp.recipient_delimiter in ("@", ".", " "):
        out.append(f"{src}: smtp.recipient_delimiter must be empty or one character such as + or -, "
                   f"not {config.smtp.recipient_delimiter!r}")
    for key, seconds in (("host.heartbeat_interval", config.host.heartbeat_interval),
                         ("host.imap_lease", config.host.imap_lease),
                         ("host.numbering_wait", config.host.numbering_wait)):
        if seconds <= 0:
            out.append(f"{src}: {key} must be positive, not {seconds}")
    if 0 < config.host.numbering_wait <= config.host.heartbeat_interval:
        out.append(f"{src}: host.numbering_wait must be longer than host.heartbeat_interval, or live hosts would "
                   "look silent between their heartbeats and be numbered past")
    if config.database.blobs not in ("filesystem", "database"):
        out.append(f"{src}: database.blobs must be filesystem or database, not {config.database.blobs!r}")
    url = config.database.url
    if url and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        out.append(f"{src}: database.url must be a sqlite:// or postgresql:// URL")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(config.register.timezone)
    except Exception:  # noqa: BLE001 - zoneinfo raises several kinds for a bad name
        out.append(f"{src}: register.timezone: unknown time zone {config.register.timezone!r}")
    return out


def _validate_web(web: WebConfig, src: str, out: list[str]) -> None:
    if web.listen:
        try:
            parse_host_port(web.listen)
        except ConfigError as err:
            out.append(f"{src}: web.listen: {err}")
    if web.session_minutes <= 0:
        out.append(f"{src}: web.session_minutes must be positive, not {web.session_minutes}")
    if web.due_soon_days < 0:
        out.append(f"{src}: web.due_soon_days must be 0 or more")
    for proxy in web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            out.append(f"{src}: web.trusted_proxies: {proxy!r} is not an address or network")
    for role in web.secret_roles:
        if role not in ("admin", "van_thu", "lanh_dao", "chuyen_vien"):
            out.append(f"{src}: web.secret_roles: unknown role {role!r}")
    if web.trusted_proxies and not web.proxy_user_header:
        out.append(f"{src}: web.trusted_proxies needs web.proxy_user_header")
    if not 0.0 <= web.review_below <= 1.0:
        out.append(f"{src}: web.review_below must be between 0 and 1, not {web.review_below}")
    for entry in web.short_names:
        full, eq, short = entry.partition("=")
        if not eq or not full.strip() or not short.strip():
            out.append(f"{src}: web.short_names: {entry!r} must be FULL NAME=SHORT")
    for key in ("login_max_failures", "login_max_failures_per_address", "login_window_minutes"):
        if getattr(web, key) <= 0:
            out.append(f"{src}: web.{key} must be positive")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (where a plaintext IMAP login is acceptable)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate_imap(imap: ImapConfig, src: str, out: list[str]) -> None:
    seen: set[str] = set()
    for n, account in enumerate(imap.accounts):
        key = f"imap.accounts[{n}]"
        if not ACCOUNT_NAME.fullmatch(account.name):
            out.append(f"{src}: {key}.name must be 1-64 letters, digits, '.', '_' or '-', not {account.name!r}")
        if account.name in seen:
            out.append(f"{src}: {key}.name {account.name!r} is used twice")
        seen.add(account.name)
        key = f"imap.accounts[{account.name}]"
        _validate_account(account, key, src, out)


def _validate_trust(trust: TrustConfig, src: str, out: list[str]) -> None:
    if trust.other_action not in TRUST_ACTIONS:
        out.append(f"{src}: trust.other_action must be one of {', '.join(TRUST_ACTIONS)}, "
                   f"not {trust.other_action!r}")
    for entry in trust.domain_overrides:
        pattern, eq, action = entry.partition("=")
        if not eq or not pattern.strip() or action.strip() not in TRUST_ACTIONS:
            out.append(f"{src}: trust.domain_overrides: {entry!r} must be PATTERN=accept|quarantine|reject")
    for server in trust.dns_servers:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        try:
            ipaddress.ip_address(host or server)
        except ValueError:
            out.append(f"{src}: trust.dns_servers: {server!r} is not IP or IP:PORT")
        if port and not port.isdigit():
            out.append(f"{src}: trust.dns_servers: {server!r} has a bad port")
    if trust.dns_timeout <= 0:
        out.append(f"{src}: trust.dns_timeout must be positive")
    if trust.verify_dkim not in DKIM_MODES:
        out.append(f"{src}: trust.verify_dkim must be one of {', '.join(DKIM_MODES)}, not {trust.verify_dkim!r}")


def _validate_account(account: ImapAccountConfig, key: str, src: str, out: list[str]) -> None:
    if not account.host or not account.username:
        out.append(f"{src}: {key}: host and username are required")
    if account.tls not in TLS_MODES:
        out.append(f"{src}: {key}.tls must be one of {', '.join(TLS_MODES)}, not {account.tls!r}")
    if account.tls == "none" and not is_loopback(account.host):
        out.append(f"{src}: {key}.tls = \"none\" is allowed only for loopback hosts, not {account.host!r}")
    if account.tls_ca_file and not Path(account.tls_ca_file).is_file():
        out.append(f"{src}: {key}.tls_ca_file: no such file {account.tls_ca_file}")
    if not 0 <= account.port <= 65535:
        out.append(f"{src}: {key}.port must be 0..65535, not {account.port}")
    if bool(account.password_file) == bool(account.password_env):
        out.append(f"{src}: {key}: give exactly one of password_file and password_env")
    if not account.folders or not all(account.folders):
        out.append(f"{src}: {key}.folders must name at least one folder")
    kind, _, arg = account.after_action.partition(":")
    if not (kind in ("seen", "delete") and not arg or kind in ("keyword", "move") and arg.strip()):
        out.append(
            f"{src}: {key}.after_action must be seen, keyword:<kw>, move:<folder> or delete, "
            f"not {account.after_action!r}"
        )
    if kind == "keyword" and not re.fullmatch(r"[A-Za-z0-9$_.+-]+", arg):
        out.append(f"{src}: {key}.after_action: {arg!r} is not a valid IMAP keyword")
    if account.poll_interval <= 0:
        out.append(f"{src}: {key}.poll_interval must be positive, not {account.poll_interval}")


def _validate_outbox(outbox: OutboxConfig, src: str, out: list[str]) -> None:
    if not 0 < outbox.relay_port <= 65535:
        out.append(f"{src}: outbox.relay_port must be 1..65535, not {outbox.relay_port}")
    if outbox.password_file and outbox.password_env:
        out.append(f"{src}: outbox: give at most one of password_file and password_env")
    if outbox.username and not (outbox.password_file or outbox.password_env):
        out.append(f"{src}: outbox.username needs password_file or password_env")
    if outbox.username and not outbox.starttls and outbox.relay_host and not is_loopback(outbox.relay_host):
        out.append(f"{src}: outbox: a password goes to {outbox.relay_host} only over STARTTLS")
    if outbox.tls_ca_file and not Path(outbox.tls_ca_file).is_file():
        out.append(f"{src}: outbox.tls_ca_file: no such file {outbox.tls_ca_file}")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", outbox.from_address):
        out.append(f"{src}: outbox.from_address must be an e-mail address, not {outbox.from_address!r}")
    for key in ("retry_period", "backoff_initial", "backoff_max", "lease", "poll_interval", "timeout"):
        if getattr(outbox, key) <= 0:
            out.append(f"{src}: outbox.{key} must be positive")


def mask_secret_url(url: str) -> str:
    """Hide the password in a database URL."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1****@", url)


def render_toml(config: Config) -> str:
    """The effective configuration as TOML, each key with its help line, secrets masked."""
    lines = [f"# cấu hình đang có hiệu lực, lấy từ {config.source}"]
    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        lines.append("")
        lines.append(f"[{section.name}]  # {section.metadata['help']}")
        value = getattr(config, section.name)
        if section.name == "imap":
            lines.extend(_render_accounts(value.accounts))
            continue
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if section.name == "database" and item.name == "url":
                current = mask_secret_url(current or config.database_url)
            lines.append(f"# {item.metadata['help']}")
            lines.append(f"{item.name} = {_toml_value(current)}")
    return "\n".join(lines) + "\n"


def _render_accounts(accounts: tuple[ImapAccountConfig, ...]) -> list[str]:
    """[[imap.accounts]] tables; password_file and password_env name where the secret is, never the secret."""
    lines = [f"# {ImapConfig.__dataclass_fields__['accounts'].metadata['help']}"]
    if not accounts:
        lines.append("accounts = []")
    for account in accounts:
        lines.append("")
        lines.append("[[imap.accounts]]")
        for item in dataclasses.fields(account):
            lines.append(f"# {item.metadata['help']}")
            lines.append(f"{item.name} = {_toml_value(getattr(account, item.name))}")
    return lines


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
