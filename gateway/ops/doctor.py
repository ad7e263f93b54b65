"""`gateway doctor`: checks that an installation can work, each giving one OK, WARN or FAIL line."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from gateway.core.config import TRUST_ACTION_NAMES, Config
from gateway.core.errors import GatewayError
from gateway.register.service import Register
from gateway.spool import QUEUES
from gateway.trust.dkimcheck import describe_resolver

OK, WARN, FAIL = "OK", "WARN", "FAIL"
LEVELS = {OK: "ĐẠT", WARN: "CẢNH BÁO", FAIL: "LỖI"}  # as people read them
NAMES = {"config": "cấu hình", "database": "cơ sở dữ liệu", "spool": "hàng đợi thư", "rules": "luật định tuyến",
         "disk": "ổ đĩa", "antiword": "antiword", "ocr": "OCR", "clock": "đồng hồ", "trust": "xác thực người gửi"}
GiB = 1024**3
DISK_FAIL_BYTES = GiB // 4
DISK_WARN_BYTES = 2 * GiB
CLOCK_SKEW_WARN_S = 60.0
EARLIEST_PLAUSIBLE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Check:
    """One check's verdict: OK, WARN (works, but something is missing) or FAIL (the gateway cannot work)."""

    name: str
    level: str
    detail: str

    def line(self) -> str:
        return f"{LEVELS.get(self.level, self.level):<8}  {NAMES.get(self.name, self.name)}: {self.detail}"


def check_config(config: Config) -> Check:
    """The file is valid (or it would not have loaded) and what `serve` needs from it is in place."""
    from gateway.ops.preflight import preflight

    problems = preflight(config, rules=False)  # the rules get a line of their own
    if problems:
        more = f" (và {len(problems) - 1} lỗi khác: `gateway config check` liệt kê hết)" if len(problems) > 1 else ""
        return Check("config", FAIL, problems[0] + more)
    return Check("config", OK, f"{config.source} hợp lệ; các thư mục và tệp nó nêu dùng được")


def check_database(config: Config) -> Check:
    try:
        register = Register(config)
        try:
            register.check()
        finally:
            register.close()
    except GatewayError as err:
        return Check("database", FAIL, str(err))
    return Check("database", OK, "trả lời được và cấu trúc đã ở phiên bản mới nhất")


def check_spool(config: Config) -> Check:
    """Every spool folder and the blob store exist and take a new file."""
    folders = [config.spool_dir / "tmp", *(config.spool_dir / queue for queue in QUEUES), config.blob_dir]
    for folder in folders:
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        except OSError as err:
            return Check("spool", FAIL, f"không ghi được vào {folder}: {err.strerror or err} "
                                        "(`gateway serve` tạo các thư mục; xem chủ sở hữu và quyền)")
    return Check("spool", OK, f"{len(folders)} thư mục trong {config.data_dir} ghi được")


def check_disk(config: Config) -> Check:
    try:
        usage = shutil.disk_usage(config.data_dir)
    except OSError as err:
        return Check("disk", FAIL, f"không đọc được dung lượng trống của {config.data_dir}: {err}")
    free = (f"còn trống {usage.free / GiB:.1f} GiB trên {usage.total / GiB:.1f} GiB ở {config.data_dir}"
            .replace(".", ",", 2))
    if usage.free < DISK_FAIL_BYTES:
        return Check("disk", FAIL, free + " (hàng đợi sẽ từ chối nhận thư)")
    if usage.free < DISK_WARN_BYTES or usage.free < usage.total * 0.05:
        return Check("disk", WARN, free)
    return Check("disk", OK, free)


def check_antiword() -> Check:
    path = shutil.which("antiword")
    if path is None:
        return Check("antiword", FAIL, "không tìm thấy: không đọc được chữ của tệp Word 97-2003 (.doc) đính kèm "
                                       "(apt-get install antiword)")
    return Check("antiword", OK, path)


def check_tesseract() -> Check:
    """OCR reads scans through tesserocr with the Vietnamese traineddata (Debian's tesseract-ocr-vie)."""
    from gateway.understand import ocr

    try:
        import tesserocr  # noqa: F401 - only whether it loads
    except ImportError as err:
        return Check("ocr", WARN, f"không nạp được tesserocr ({err}): OCR sẽ không chạy, PDF quét không có chữ "
                                  "(cài lại các gói Python của gateway)")
    if ocr.tessdata_folder() is None:
        where = os.environ.get("TESSDATA_PREFIX") or ", ".join(ocr.TESSDATA_DIRS)
        return Check("ocr", WARN, f"không có vie.traineddata trong {where}: OCR sẽ không chạy, PDF quét không có chữ "
                                  "(apt-get install tesseract-ocr-vie)")
    return Check("ocr", OK, "tesserocr với tiếng Việt (vie)")


def check_clock(config: Config, now: dt.datetime | None = None) -> Check:
    """The clock is plausible and not behind the newest registration (số đến years come from it)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now < EARLIEST_PLAUSIBLE:
        return Check("clock", FAIL, f"giờ hệ thống {now.isoformat()} trước năm {EARLIEST_PLAUSIBLE.year}")
    try:
        register = Register(config)
        try:
            last = register.activity().last_registered_at
        finally:
            register.close()
    except GatewayError:
        last = None  # the database check reports why
    if last is not None and last > now + dt.timedelta(seconds=CLOCK_SKEW_WARN_S):
        return Check("clock", FAIL, f"giờ hệ thống {now.isoformat()} chậm hơn lần vào sổ mới nhất "
                                    f"{last.isoformat()}: chỉnh đồng hồ (timedatectl) trước khi vào sổ tiếp")
    return Check("clock", OK, f"{now:%d/%m/%Y %H:%M:%S} (UTC), múi giờ của sổ "
                              f"{config.register.timezone}")


def check_trust(config: Config) -> Check:
    """How forged senders are caught, in words: the front MTA's Authentication-Results, our own DKIM check (and
    through which resolver), or nothing (WARN); and that only authenticated senders get a receipt."""
    trust = config.trust
    guarded = ", ".join(trust.require_auth_domains) or "không tên miền nào"
    if trust.trusted_authserv_ids:
        local = {"auto": "kiểm tra DKIM tại đây khi thiếu trường đó",
                 "always": "cũng kiểm tra DKIM tại đây", "never": "không kiểm tra DKIM tại đây"}[trust.verify_dkim]
        peers = f" từ {', '.join(trust.trusted_mta_peers)}" if trust.trusted_mta_peers else ""
        return Check("trust", OK, f"người gửi được đánh giá theo trường Authentication-Results trên cùng của "
                                  f"{', '.join(trust.trusted_authserv_ids)}{peers} (MTA phải bỏ trường đó khỏi thư "
                                  f"đến); {local}; người gửi thuộc {guarded} không qua được kiểm tra nào bị cách ly; "
                                  f"chỉ báo nhận cho người gửi đã xác thực; tên miền khác: "
                                  f"{TRUST_ACTION_NAMES[trust.other_action]}")
    if trust.verify_dkim == "never":
        return Check("trust", WARN, "không đánh giá xác thực người gửi (trust.verify_dkim = \"never\" và không có "
                                    "trust.trusted_authserv_ids): thư giả danh người gửi .gov.vn vẫn được vào sổ "
                                    "(nhưng không được báo nhận)")
    resolver = describe_resolver(trust)
    if not resolver:
        return Check("trust", FAIL, "kiểm tra DKIM tại đây nhưng máy không có máy chủ DNS nào "
                                    "(/etc/resolv.conf): mọi kiểm tra sẽ hỏng và thư .gov.vn bị cách ly; "
                                    "đặt trust.dns_servers")
    return Check("trust", OK, f"không tin trường Authentication-Results nào (trust.trusted_authserv_ids trống) nên "
                              f"kiểm tra DKIM tại đây qua {resolver}: thư của người gửi thuộc {guarded} không được "
                              f"tên miền của mình ký bị cách ly, và chỉ người gửi đã xác thực được báo nhận; khi "
                              f"MTA phía trước kiểm tra SPF/DKIM/DMARC, đặt trust.trusted_authserv_ids theo mã của "
                              f"nó; tên miền khác: {TRUST_ACTION_NAMES[trust.other_action]}")


def check_rules(config: Config) -> Check:
    """The routing rule files load (WARN when routing is off: every document waits for the văn thư)."""
    from gateway.routing.router import own_address_of
    from gateway.routing.rules import check_rules as problems_in

    if not config.routing.rules_dir:
        return Check("rules", WARN, "chưa đặt routing.rules_dir: văn bản được vào sổ nhưng không được phân phối")
    problems = problems_in(config.routing.rules_dir, own_address_of(config))
    if problems:
        return Check("rules", FAIL, f"{len(problems)} lỗi, lỗi đầu: {problems[0]}; xem `gateway rules check`")
    return Check("rules", OK, f"{config.routing.rules_dir} nạp được")


def run_checks(config: Config) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    checks: list[Callable[[], Check]] = [
        lambda: check_config(config), lambda: check_database(config), lambda: check_spool(config),
        lambda: check_rules(config), lambda: check_disk(config), check_antiword, check_tesseract, lambda: check_clock(config),
        lambda: check_trust(config),
    ]
    return [check() for check in checks]
