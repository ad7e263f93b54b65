"""Random ND30 documents as plain values (organs, types, dates, trích yếu, signers), drawn from a seed.

Names, organs, places and subjects are combined from parts so that no two documents share a wording by
chance; a few parts and layouts are reserved for the held-out split (``heldout=True``) so that a rule
tuned on the development set meets wordings it has never seen.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

PROVINCES = (
    "Quảng Ngãi", "Quảng Nam", "Bình Định", "Phú Yên", "Khánh Hòa", "Gia Lai", "Đắk Lắk", "Lâm Đồng",
    "Bình Phước", "Tây Ninh", "Đồng Nai", "Long An", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long",
    "Đồng Tháp", "An Giang", "Kiên Giang", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau", "Thanh Hóa",
    "Nghệ An", "Hà Tĩnh", "Ninh Bình", "Nam Định", "Thái Bình", "Hà Nam", "Hưng Yên", "Hải Dương",
    "Bắc Ninh", "Bắc Giang", "Vĩnh Phúc", "Phú Thọ", "Thái Nguyên", "Tuyên Quang", "Hà Giang", "Cao Bằng",
    "Lạng Sơn", "Lào Cai", "Yên Bái", "Điện Biên", "Lai Châu", "Sơn La", "Hòa Bình", "Quảng Trị",
)
HELDOUT_PROVINCES = ("Quảng Bình", "Kon Tum", "Ninh Thuận", "Bình Thuận", "Đắk Nông", "Bắc Kạn", "Quảng Ninh")
CITIES = ("Hà Nội", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Hồ Chí Minh")
DISTRICT_WORDS = ("Sơn Tịnh", "Tư Nghĩa", "Mộ Đức", "Đức Phổ", "Ba Tơ", "Minh Long", "Trà Bồng", "Nghĩa Hành",
                  "Tam Nông", "Cao Lãnh", "Châu Thành", "Thạnh Phú", "Hòa Vang", "Phong Điền", "Yên Thế")

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lâm", "Mai", "Trương", "Lương", "Tạ", "Hà", "Tô")
HELDOUT_SURNAMES = ("Quách", "Phùng", "Kiều", "Triệu", "Lưu", "Cao", "Châu")
MIDDLES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Hoàng", "Công", "Đình", "Anh",
           "Thành", "Phước", "Kim", "Bá", "Tấn", "Trọng", "Duy", "Thu", "Hồng", "Việt", "Quốc")
GIVENS = ("An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Hà", "Hiếu", "Hiền", "Hương", "Huy", "Khánh", "Lan",
          "Linh", "Long", "Mai", "Nam", "Nga", "Nghĩa", "Phong", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thắng",
          "Thành", "Thảo", "Thọ", "Tiến", "Toàn", "Trang", "Trí", "Trung", "Tú", "Tùng", "Vinh", "Yến", "Đạt",
          "Giang", "Hạnh", "Hưng", "Lộc", "Mạnh", "Quý", "Tài", "Thiện", "Thịnh", "Tuấn", "Vân", "Quỳnh", "Bảo")
HELDOUT_GIVENS = ("Khiêm", "Lực", "Nhàn", "Thoa", "Diễm", "Khải", "Luyến", "Sáng", "Triều", "Ước", "Xuyến")

# Departments of a province: (name, abbreviation); the name follows "SỞ".
DEPARTMENTS = (
    ("TÀI CHÍNH", "STC"), ("NỘI VỤ", "SNV"), ("TƯ PHÁP", "STP"), ("XÂY DỰNG", "SXD"), ("Y TẾ", "SYT"),
    ("CÔNG THƯƠNG", "SCT"), ("KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT"), ("GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT"),
    ("GIAO THÔNG VẬN TẢI", "SGTVT"), ("TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT"),
    ("NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNNPTNT"), ("KHOA HỌC VÀ CÔNG NGHỆ", "SKHCN"),
    ("THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT"), ("LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "SLĐTBXH"),
    ("VĂN HÓA, THỂ THAO VÀ DU LỊCH", "SVHTTDL"),
)
MINISTRIES = (
    ("BỘ TÀI CHÍNH", "BTC"), ("BỘ NỘI VỤ", "BNV"), ("BỘ TƯ PHÁP", "BTP"), ("BỘ XÂY DỰNG", "BXD"),
    ("BỘ Y TẾ", "BYT"), ("BỘ CÔNG THƯƠNG", "BCT"), ("BỘ GIÁO DỤC VÀ ĐÀO TẠO", "BGDĐT"),
    ("BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "BTTTT"), ("BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "BTNMT"),
    ("BỘ KẾ HOẠCH VÀ ĐẦU TƯ", "BKHĐT"), ("BỘ GIAO THÔNG VẬN TẢI", "BGTVT"),
)
# (parent, issuing organ, abbreviation, signer's office): units under a parent body.
UNDER_MINISTRY = (
    ("BỘ TÀI CHÍNH", "TỔNG CỤC THUẾ", "TCT", "TỔNG CỤC TRƯỞNG"),
    ("BỘ TÀI CHÍNH", "KHO BẠC NHÀ NƯỚC", "KBNN", "TỔNG GIÁM ĐỐC"),
    ("BỘ CÔNG THƯƠNG", "CỤC XÚC TIẾN THƯƠNG MẠI", "XTTM", "CỤC TRƯỞNG"),
    ("BỘ Y TẾ", "CỤC QUẢN LÝ DƯỢC", "QLD", "CỤC TRƯỞNG"),
    ("BỘ NỘI VỤ", "BAN THI ĐUA - KHEN THƯỞNG TRUNG ƯƠNG", "BTĐKT", "TRƯỞNG BAN"),
    ("BỘ TƯ PHÁP", "CỤC QUẢN LÝ THI HÀNH ÁN DÂN SỰ", "QLTHADS", "CỤC TRƯỞNG"),
)
ENTERPRISES = (
    ("TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM", "EVNSPC", "TỔNG GIÁM ĐỐC"),
    ("TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", "TỔNG CÔNG TY ĐIỆN LỰC MIỀN TRUNG", "EVNCPC", "TỔNG GIÁM ĐỐC"),
    ("TẬP ĐOÀN DẦU KHÍ VIỆT NAM", "TỔNG CÔNG TY KHÍ VIỆT NAM", "KVN", "TỔNG GIÁM ĐỐC"),
    ("TẬP ĐOÀN BƯU CHÍNH VIỄN THÔNG VIỆT NAM", "TỔNG CÔNG TY DỊCH VỤ VIỄN THÔNG", "VNPT-VNP", "TỔNG GIÁM ĐỐC"),
    ("TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM", "CÔNG TY ĐIỆN LỰC {P}", "PC", "GIÁM ĐỐC"),
)
HELDOUT_ENTERPRISES = (
    ("TẬP ĐOÀN CÔNG NGHIỆP THAN - KHOÁNG SẢN VIỆT NAM", "TỔNG CÔNG TY ĐÔNG BẮC", "TCTĐB", "TỔNG GIÁM ĐỐC"),
    ("TẬP ĐOÀN HÓA CHẤT VIỆT NAM", "TỔNG CÔNG TY PHÂN BÓN VÀ HÓA CHẤT DẦU KHÍ", "PVFCCo", "TỔNG GIÁM ĐỐC"),
)

TYPES = (  # (tên loại, code, weight)
    ("Công văn", "", 30), ("Quyết định", "QĐ", 14), ("Giấy mời", "GM", 8), ("Kế hoạch", "KH", 8),
    ("Báo cáo", "BC", 7), ("Tờ trình", "TTr", 6), ("Thông báo", "TB", 8), ("Nghị quyết", "NQ", 5),
    ("Chỉ thị", "CT", 3), ("Hướng dẫn", "HD", 3), ("Công điện", "CĐ", 2), ("Chương trình", "CTr", 2),
    ("Quy chế", "QC", 1), ("Phương án", "PA", 1), ("Đề án", "ĐA", 1), ("Biên bản", "BB", 1),
)
HELDOUT_TYPES = (("Giấy giới thiệu", "GGT", 1), ("Quy định", "QyĐ", 1), ("Thông cáo", "TC", 1))

VERBS = ("triển khai", "tăng cường", "hướng dẫn thực hiện", "báo cáo kết quả", "góp ý dự thảo",
         "đề nghị cung cấp thông tin về", "tổ chức", "phê duyệt", "kiện toàn", "đôn đốc thực hiện",
         "rà soát, tổng hợp", "điều chỉnh", "bổ sung kinh phí cho", "giao chỉ tiêu", "chấn chỉnh",
         "đẩy mạnh", "kiểm tra", "thanh tra", "giải quyết", "xử lý")
OBJECTS = ("công tác cải cách hành chính", "chuyển đổi số", "hóa đơn điện tử", "kế hoạch đầu tư công",
           "dự toán ngân sách nhà nước", "công tác phòng, chống thiên tai", "Chương trình mục tiêu quốc gia xây dựng nông thôn mới",
           "công tác thi đua, khen thưởng", "thủ tục hành chính thuộc thẩm quyền giải quyết", "công tác tiếp công dân",
           "giải phóng mặt bằng dự án đường cao tốc", "quản lý, sử dụng tài sản công", "công tác tuyển dụng viên chức",
           "an toàn thực phẩm", "phòng cháy, chữa cháy", "bảo vệ môi trường làng nghề", "dịch vụ công trực tuyến",
           "chế độ báo cáo định kỳ", "hồ sơ đề nghị công nhận danh hiệu", "phòng, chống dịch bệnh trên cây trồng",
           "chính sách hỗ trợ người có công", "quy hoạch sử dụng đất", "đề án vị trí việc làm",
           "công tác bảo đảm trật tự an toàn giao thông", "mua sắm tập trung thiết bị y tế",
           "kiểm định chất lượng giáo dục", "cấp giấy chứng nhận quyền sử dụng đất", "khiếu nại của công dân")
HELDOUT_OBJECTS = ("số hóa hồ sơ lưu trữ", "phát triển du lịch cộng đồng", "bảo tồn di sản văn hóa phi vật thể",
                   "ứng phó biến đổi khí hậu vùng ven biển")
SCOPES = ("trên địa bàn tỉnh {P}", "năm {Y}", "giai đoạn 2021 - 2025", "6 tháng đầu năm {Y}", "quý {Q} năm {Y}",
          "tại các cơ quan, đơn vị", "của các sở, ban, ngành", "theo Nghị định số {N}/{Y}/NĐ-CP của Chính phủ",
          "trong thời gian tới", "đến năm 2030", "cho các xã đặc biệt khó khăn")
EVENTS = ("Hội nghị tổng kết công tác năm {Y}", "Hội nghị triển khai nhiệm vụ năm {Y}", "cuộc họp giao ban tháng {M}",
          "Lễ kỷ niệm ngày thành lập ngành", "buổi làm việc với Đoàn kiểm tra của Bộ", "Hội thảo khoa học về chuyển đổi số",
          "tập huấn nghiệp vụ văn thư, lưu trữ", "họp Ban Chỉ đạo phòng, chống thiên tai")


@dataclass(frozen=True)
class Organ:
    """The ô 2 of a document: parent lines (chủ quản), issuing lines (ban hành), the ký hiệu group, signer titles."""

    parent: tuple[str, ...]
    lines: tuple[str, ...]
    code: str
    head: str  # the office of the head ("CHỦ TỊCH", "GIÁM ĐỐC"), in capitals
    collective: str = ""  # "ỦY BAN NHÂN DÂN" for TM. signatures of a collective body
    deputy: str = ""  # the deputy's office ("PHÓ GIÁM ĐỐC")
    place: str = ""


@dataclass(frozen=True)
class Doc:
    """One document as a records officer reads it, plus how it is laid out."""

    organ: Organ
    type_name: str
    type_code: str
    number: str
    notation: str
    place: str
    date: dt.date
    subject: str  # as printed (công văn: without "V/v")
    addressees: tuple[str, ...]
    body: tuple[str, ...]
    signer_position: tuple[str, ...]
    signer_name: str
    recipients: tuple[str, ...]
    urgency: int = 0
    preamble: tuple[str, ...] = ()  # lines between the trích yếu and the body (authority, khóa/kỳ họp)
    annex_pages: int = 0  # pages of a PHỤ LỤC after the signer
    tags: tuple[str, ...] = field(default_factory=tuple)


def pick(rng: random.Random, options, heldout_options=(), heldout: bool = False, reserved_share: float = 0.3):
    """One option; the held-out split also draws from its reserved options (``reserved_share`` of the time)."""
    if heldout and heldout_options and rng.random() < reserved_share:
        return rng.choice(heldout_options)
    return rng.choice(options)


def person(rng: random.Random, heldout: bool) -> str:
    surname = pick(rng, SURNAMES, HELDOUT_SURNAMES, heldout)
    given = pick(rng, GIVENS, HELDOUT_GIVENS, heldout)
    shape = rng.random()
    if shape < 0.08:
        return f"{surname} {given}"
    middle = rng.choice(MIDDLES)
    if shape > 0.85:
        return f"{surname} {middle} {rng.choice(MIDDLES)} {given}"
    return f"{surname} {middle} {given}"


def organ(rng: random.Random, heldout: bool) -> Organ:
    province = pick(rng, PROVINCES, HELDOUT_PROVINCES, heldout)
    kind = rng.random()
    if kind < 0.25:
        return Organ((), ("ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}"), "UBND", "CHỦ TỊCH", "ỦY BAN NHÂN DÂN",
                     "PHÓ CHỦ TỊCH", province)
    if kind < 0.5:
        name, code = rng.choice(DEPARTMENTS)
        parent = rng.choice((f"UBND TỈNH {province.upper()}", f"ỦY BAN NHÂN DÂN TỈNH {province.upper()}"))
        return Organ((parent,), (f"SỞ {name}",), code, "GIÁM ĐỐC", "", "PHÓ GIÁM ĐỐC", province)
    if kind < 0.58:
        return Organ((), ("HỘI ĐỒNG NHÂN DÂN", f"TỈNH {province.upper()}"), "HĐND", "CHỦ TỊCH",
                     "HỘI ĐỒNG NHÂN DÂN", "PHÓ CHỦ TỊCH", province)
    if kind < 0.68:
        name, code = rng.choice(MINISTRIES)
        return Organ((), (name,), code, "BỘ TRƯỞNG", "", "THỨ TRƯỞNG", "Hà Nội")
    if kind < 0.76:
        parent, name, code, head = rng.choice(UNDER_MINISTRY)
        return Organ((parent,), (name,), code, head, "", "PHÓ " + head, "Hà Nội")
    if kind < 0.84:
        parent, name, code, head = pick(rng, ENTERPRISES, HELDOUT_ENTERPRISES, heldout, 0.5)
        name = name.replace("{P}", province.upper())
        city = rng.choice(CITIES)
        return Organ((parent,), (name,), code, head, "", "PHÓ " + head, city)
    if kind < 0.92:
        district = rng.choice(DISTRICT_WORDS)
        return Organ((), ("ỦY BAN NHÂN DÂN", f"HUYỆN {district.upper()}"), "UBND", "CHỦ TỊCH", "ỦY BAN NHÂN DÂN",
                     "PHÓ CHỦ TỊCH", district)
    if kind < 0.96:
        parent = f"SỞ Y TẾ TỈNH {province.upper()}" if rng.random() < 0.5 else f"UBND TỈNH {province.upper()}"
        name = rng.choice(("BỆNH VIỆN ĐA KHOA TỈNH", "TRUNG TÂM KIỂM SOÁT BỆNH TẬT", "BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG"))
        return Organ((parent,), (name + (f" {province.upper()}" if name.endswith("TỈNH") else ""),),
                     rng.choice(("BV", "TTKSBT", "BQLDA")), "GIÁM ĐỐC", "", "PHÓ GIÁM ĐỐC", province)
    parent = f"SỞ NÔNG NGHIỆP VÀ PTNT TỈNH {province.upper()}"
    name = rng.choice(("CHI CỤC THỦY LỢI", "CHI CỤC KIỂM LÂM", "CHI CỤC THỦY SẢN"))
    return Organ((parent,), (name,), rng.choice(("CCTL", "CCKL", "CCTS")), "CHI CỤC TRƯỞNG", "",
                 "PHÓ CHI CỤC TRƯỞNG", province)


def _fill(rng: random.Random, text: str, province: str, year: int) -> str:
    return (text.replace("{P}", province).replace("{Y}", str(year)).replace("{Q}", rng.choice(("I", "II", "III", "IV")))
            .replace("{N}", str(rng.randint(10, 180))).replace("{M}", str(rng.randint(1, 12))))


def subject(rng: random.Random, type_name: str, province: str, year: int, heldout: bool) -> str:
    thing = pick(rng, OBJECTS, HELDOUT_OBJECTS, heldout)
    scope = _fill(rng, rng.choice(SCOPES), province, year)
    more = rng.random()
    if type_name == "Giấy mời":
        text = ("Dự " if rng.random() < 0.5 else "Về việc dự ") + _fill(rng, rng.choice(EVENTS), province, year)
    elif type_name == "Thông báo" and rng.random() < 0.5:
        text = f"Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại cuộc họp về {thing} {scope}"
    elif type_name == "Quyết định" and rng.random() < 0.4:
        text = f"Ban hành Quy chế {thing} {scope}"
    elif type_name == "Công văn":
        text = f"{rng.choice(VERBS)} {thing} {scope}"
    else:
        text = f"{'Về việc ' if rng.random() < 0.6 else ''}{rng.choice(VERBS)} {thing} {scope}"
    if more > 0.7:
        text += f" và {pick(rng, OBJECTS, HELDOUT_OBJECTS, heldout)}"
    if more > 0.9:
        text += f" {_fill(rng, rng.choice(SCOPES), province, year)}"
    return text[0].upper() + text[1:] if type_name != "Công văn" else text


def signer(rng: random.Random, body: Organ) -> tuple[str, ...]:
    roll = rng.random()
    if body.collective and roll < 0.35:
        return (f"TM. {body.collective}", body.head)
    if roll < 0.7:
        return (f"KT. {body.head}", body.deputy)
    if roll < 0.8:
        return (f"TL. {body.head}", "CHÁNH VĂN PHÒNG")
    if roll < 0.85 and not body.collective:
        return (f"Q. {body.head}",) if rng.random() < 0.5 else (body.head,)
    return (body.head,)


def document(rng: random.Random, heldout: bool) -> Doc:
    body_organ = organ(rng, heldout)
    types = TYPES + (HELDOUT_TYPES if heldout else ())
    type_name, type_code, _ = rng.choices(types, weights=[t[2] for t in types])[0]
    if body_organ.code == "HĐND" and type_name not in ("Nghị quyết", "Công văn", "Báo cáo", "Thông báo"):
        type_name, type_code = "Nghị quyết", "NQ"
    year = rng.randint(2015, 2025)
    date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    number = str(rng.choice((rng.randint(1, 9), rng.randint(10, 99), rng.randint(100, 999), rng.randint(1000, 9999))))
    number = number.zfill(2)
    unit = rng.choice(("VP", "KTTH", "KT", "VX", "NC", "TCHC", "QLĐT", "NV", "KHTC", "TTr"))
    if type_code:
        notation = f"{type_code}-{body_organ.code}"
    else:
        notation = f"{body_organ.code}-{unit}"
    place = body_organ.place or "Hà Nội"
    subj = subject(rng, type_name, place, year, heldout)
    addressees: tuple[str, ...] = ()
    if type_name in ("Công văn", "Tờ trình", "Báo cáo") and rng.random() < 0.9:
        pool = [f"Sở {name.title()}" for name, _ in DEPARTMENTS] + ["Ủy ban nhân dân các huyện, thị xã, thành phố",
                                                                     "Văn phòng Chính phủ", "Bộ Tài chính",
                                                                     f"Ủy ban nhân dân tỉnh {place}",
                                                                     "Hội đồng nhân dân tỉnh"]
        addressees = tuple(rng.sample(pool, rng.choice((1, 1, 2, 3, 4))))
    preamble: tuple[str, ...] = ()
    if type_name == "Quyết định":
        authority = {"UBND": f"{body_organ.head} ỦY BAN NHÂN DÂN {body_organ.lines[-1]}"}.get(
            body_organ.code, f"{body_organ.head} {body_organ.lines[-1]}" if body_organ.head != "BỘ TRƯỞNG"
            else f"BỘ TRƯỞNG {body_organ.lines[-1]}")
        preamble = (authority,)
    elif type_name == "Nghị quyết":
        preamble = (" ".join(body_organ.lines), f"KHÓA {rng.choice(('X', 'XI', 'XII', 'XIII', 'XIV'))}, "
                    f"KỲ HỌP THỨ {rng.choice(('NHẤT', 'HAI', 'BẢY', '10', '12', '15', 'CHUYÊN ĐỀ'))}")
    elif type_name == "Công điện":
        preamble = (f"{body_organ.head} {' '.join(body_organ.lines)} điện:",)
    body = _body(rng, type_name, body_organ, place, year)
    recipients = ("Như trên", *rng.sample(("Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh", "CT, các PCT UBND tỉnh",
                                          "Các sở, ban, ngành", "VPUB: CVP, PCVP", "Lưu: VT"), rng.randint(1, 4)))
    tags = []
    return Doc(body_organ, type_name, type_code, number, notation, place, date, subj, addressees, body,
               signer(rng, body_organ), person(rng, heldout), recipients,
               urgency=rng.choices((0, 1, 2, 3), weights=(80, 10, 6, 4))[0], preamble=preamble, tags=tuple(tags))


def _body(rng: random.Random, type_name: str, body: Organ, place: str, year: int) -> tuple[str, ...]:
    sentences = (
        f"Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về {rng.choice(OBJECTS)}, {' '.join(body.lines).title()} "
        f"đề nghị các cơ quan, đơn vị triển khai thực hiện nghiêm túc các nội dung sau đây.",
        f"Các đơn vị chủ động rà soát, tổng hợp kết quả thực hiện {rng.choice(OBJECTS)} năm {year}, báo cáo "
        f"trước ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {year} để tổng hợp.",
        "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh kịp thời để được hướng dẫn.",
        f"Giao Văn phòng theo dõi, đôn đốc việc thực hiện {rng.choice(OBJECTS)} và báo cáo kết quả.",
    )
    if type_name == "Quyết định":
        return ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
                f"Căn cứ Nghị định số {rng.randint(10, 150)}/{year - 1}/NĐ-CP của Chính phủ;",
                "Theo đề nghị của Giám đốc Sở Nội vụ.", "QUYẾT ĐỊNH:",
                f"Điều 1. {sentences[1]}", f"Điều 2. {sentences[3]}",
                "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.")
    if type_name == "Nghị quyết":
        return ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
                "Xét Tờ trình của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của Ban Kinh tế - Ngân sách;",
                "QUYẾT NGHỊ:", f"Điều 1. {sentences[1]}", f"Điều 2. {sentences[3]}")
    if type_name == "Giấy mời":
        return (f"{' '.join(body.lines).title()} trân trọng kính mời: {rng.choice(('Lãnh đạo các sở, ban, ngành', 'Đại diện lãnh đạo Ủy ban nhân dân các huyện', 'Ông (bà) Giám đốc Sở Tài chính'))}.",
                f"Thời gian: {rng.randint(7, 15)} giờ 30, ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {year}.",
                f"Địa điểm: Hội trường {rng.choice(('tầng 3', 'số 1', 'A'))}, trụ sở {place}.",
                "Rất mong đại biểu đến dự đúng thời gian.")
    count = rng.randint(2, 4)
    return tuple(rng.sample(sentences, count))
