"""ND30 vocabulary: document types and their Phụ lục III codes, urgency and secrecy marks, signer prefixes."""

from __future__ import annotations

from gateway.core.text import fold

# (tên loại as printed in capitals, Phụ lục III code). The 29 types of Điều 7 (công văn and thư công have no
# code), the copy types, and the legal (quy phạm) types an inbox also receives.
TYPES: tuple[tuple[str, str], ...] = (
    ("Nghị quyết", "NQ"), ("Quyết định", "QĐ"), ("Chỉ thị", "CT"), ("Quy chế", "QC"), ("Quy định", "QyĐ"),
    ("Thông cáo", "TC"), ("Thông báo", "TB"), ("Hướng dẫn", "HD"), ("Chương trình", "CTr"),
    ("Kế hoạch", "KH"), ("Phương án", "PA"), ("Đề án", "ĐA"), ("Dự án", "DA"), ("Báo cáo", "BC"),
    ("Biên bản", "BB"), ("Tờ trình", "TTr"), ("Hợp đồng", "HĐ"), ("Công văn", ""), ("Công điện", "CĐ"),
    ("Bản ghi nhớ", "BGN"), ("Bản thỏa thuận", "BTT"), ("Giấy ủy quyền", "GUQ"), ("Giấy mời", "GM"),
    ("Giấy giới thiệu", "GGT"), ("Giấy nghỉ phép", "GNP"), ("Phiếu gửi", "PG"), ("Phiếu chuyển", "PC"),
    ("Phiếu báo", "PB"), ("Thư công", ""),
    ("Bản sao y", "SY"), ("Bản trích sao", "TrS"), ("Bản sao lục", "SL"),
    ("Luật", "QH"), ("Pháp lệnh", "UBTVQH"), ("Nghị định", "NĐ"), ("Thông tư", "TT"),
    ("Thông tư liên tịch", "TTLT"),
)
ADMINISTRATIVE_TYPES = TYPES[:29]
# Folded capital name → (name, code); the longest names first so "THÔNG TƯ LIÊN TỊCH" beats "THÔNG TƯ".
TYPE_BY_FOLDED = {fold(name): (name, code) for name, code in TYPES}
# Code as written (and upper-cased, as OCR and file names write it) → (name, code). "HD" and "HĐ" differ
# only by Đ, so Đ is never folded here.
TYPE_BY_CODE: dict[str, tuple[str, str]] = {}
for _name, _code in TYPES:
    if _code and _code not in ("QH", "UBTVQH"):
        TYPE_BY_CODE.setdefault(_code, (_name, _code))
        TYPE_BY_CODE.setdefault(_code.upper(), (_name, _code))
# Groups of a ký hiệu that ND30's practice writes with small letters: the types' codes ("TTr") and the Prime
# Minister's "TTg" ("QĐ-TTg"); any other group is capitals.
MIXED_CASE_GROUPS = frozenset(code for _, code in TYPES if code != code.upper()) | {"TTg"}

URGENCY_MARKS = (("hoa toc", 3), ("thuong khan", 2), ("khan", 1))  # folded, most urgent first
SECRECY_MARKS = (("tuyet mat", 3), ("toi mat", 2), ("mat", 1))
URGENCY_NAMES = ("", "Khẩn", "Thượng khẩn", "Hỏa tốc")
SECRECY_NAMES = ("", "Mật", "Tối mật", "Tuyệt mật")
AUTHORITY_PREFIXES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")

NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc", "doc lap tu do hanh phuc")
# First words of the name of a body that issues documents itself: in a two-line header the line starting
# with one of these is the issuing body and the lines above it are its parent (cơ quan chủ quản).
ORGAN_HEAD_NAMES = (
    "SỞ", "CỤC", "CHI CỤC", "TỔNG CỤC", "VỤ", "VĂN PHÒNG", "BAN", "PHÒNG", "TRUNG TÂM", "TRƯỜNG", "BỆNH VIỆN",
    "VIỆN", "ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "UBND", "HỘI ĐỒNG", "CÔNG TY", "THANH TRA", "KHO BẠC",
    "ĐÀI", "BÁO", "BỘ", "TỈNH ỦY", "HUYỆN ỦY", "ĐẢNG ỦY", "CÔNG AN", "BỘ CHỈ HUY", "LIÊN ĐOÀN", "HỘI",
    "ĐOÀN", "TÒA ÁN", "VIỆN KIỂM SÁT", "NGÂN HÀNG", "CẢNG VỤ", "ĐẠI HỌC", "HỌC VIỆN",
    "TỔNG CÔNG TY", "TẬP ĐOÀN", "CHI NHÁNH", "BẢO HIỂM XÃ HỘI", "QUỸ", "NHÀ XUẤT BẢN", "HỢP TÁC XÃ",
    "LIÊN MINH", "ỦY BAN", "UỶ BAN", "MẶT TRẬN", "ĐIỆN LỰC", "CỤC THUẾ", "KIỂM TOÁN",
)
ORGAN_HEADS = tuple(fold(w) for w in ORGAN_HEAD_NAMES)
# Words of a signer's title (folded): a capitalised line without one is the seal's or the stamp's litter.
OFFICE_WORDS = frozenset((
    "tm", "kt", "tl", "tuq", "q", "chu", "tich", "giam", "doc", "truong", "pho", "chanh", "van", "phong",
    "uy", "ban", "hoi", "dong", "tong", "cuc", "vu", "thu", "ky", "bo", "nhan", "dan", "tinh", "thanh",
    "huyen", "quan", "xa", "so", "vien", "trung", "tam", "cong", "ty", "hieu", "ve", "dai", "dien",
    "thuong", "truc", "ke", "toan", "tra", "chi", "huy", "bi", "tham", "phan", "uyen",
))
# Second lines that continue the name above instead of starting a body ("ỦY BAN NHÂN DÂN" / "TỈNH QUẢNG NGÃI").
LEVEL_NAMES = ("TỈNH", "THÀNH PHỐ", "HUYỆN", "QUẬN", "THỊ XÃ", "XÃ", "PHƯỜNG", "THỊ TRẤN", "ĐẶC KHU")
NAME_CONTINUATIONS = tuple(fold(w) + " " for w in LEVEL_NAMES)

# Family names, which OCR reads with the wrong tone ("Nguyên" for "Nguyễn") and which have one spelling.
SURNAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lâm", "Mai", "Trương", "Lương", "Tạ", "Hà", "Tô", "Thái", "Châu",
    "Cao", "Lưu", "Quách", "Phùng", "Văn", "Kiều", "Tăng", "Hứa", "Lại", "La", "Triệu", "Từ", "Mạc", "Khổng",
)

# Words of agency names and places that OCR gets right but for a tone ("NHÂN DẪN", "TĨNH"): a match on the
# folded text is put back in its one correct spelling.
LEXICON = (
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Tỉnh", "Thành phố", "Huyện", "Thị xã", "Phường",
    "Văn phòng", "Chi cục", "Tổng cục", "Trung tâm", "Chủ tịch", "Phó Chủ tịch",
    "Giám đốc", "Phó Giám đốc", "Chánh Văn phòng", "Phó Chánh Văn phòng", "Bộ trưởng", "Thứ trưởng",
    "Trưởng ban", "Phó Trưởng ban", "Cục trưởng", "Phó Cục trưởng", "Tài chính", "Nội vụ", "Tư pháp",
    "Kế hoạch và Đầu tư", "Giáo dục và Đào tạo", "Y tế", "Công Thương", "Xây dựng", "Giao thông vận tải",
    "Thông tin và Truyền thông", "Tài nguyên và Môi trường", "Nông nghiệp và Phát triển nông thôn",
    "Khoa học và Công nghệ", "Văn hóa, Thể thao và Du lịch", "Lao động - Thương binh và Xã hội",
    "Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế", "Quảng Ngãi", "Quảng Nam", "Quảng Ninh",
    "Quảng Trị", "Quảng Bình", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Kon Tum",
    "Gia Lai", "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Bình Phước", "Tây Ninh", "Bình Dương", "Đồng Nai",
    "Bà Rịa - Vũng Tàu", "Long An", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang",
    "Kiên Giang", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Ninh Bình", "Nam Định", "Thái Bình", "Hà Nam", "Hưng Yên", "Hải Dương", "Bắc Ninh", "Bắc Giang",
    "Vĩnh Phúc", "Phú Thọ", "Thái Nguyên", "Tuyên Quang", "Hà Giang", "Cao Bằng", "Lạng Sơn", "Lào Cai",
    "Yên Bái", "Điện Biên", "Lai Châu", "Sơn La", "Hòa Bình", "Bắc Kạn",
)

# Phrases of administrative prose (two to four words). OCR reads their letters right but often a tone or a
# vowel mark wrong ("Tỉnh hình", "bô sung", "mỡ rộng"); a run of OCR words whose folded form is one of these
# phrases is put back in the phrase's spelling. Only phrases: a single folded word is too often ambiguous
# ("tinh" is tỉnh, tình, tính, tinh).
PHRASES = (
    "về việc", "tình hình", "bổ sung", "sửa đổi", "mở rộng", "triển khai", "thực hiện", "tổ chức", "tổ công tác",
    "tổ phó", "tổ trưởng", "tổ viên", "công tác", "cải cách", "thủ tục hành chính", "hành chính", "kết quả",
    "địa bàn", "trên địa bàn", "đề nghị", "dự toán", "dự thảo", "dự án", "đầu tư", "ngân sách", "kinh phí",
    "tăng cường", "thi hành án", "khiếu nại", "tố cáo", "giải quyết", "tiếp công dân", "thụ lý", "quản lý",
    "nhà nước", "phát triển", "kinh tế", "xã hội", "quốc phòng", "an ninh", "trật tự", "an toàn", "giao thông",
    "phòng chống", "thiên tai", "dịch bệnh", "chuyển đổi số", "điện tử", "hóa đơn điện tử",
    "thuế điện tử", "nộp thuế", "cá nhân", "kinh doanh", "doanh nghiệp", "hộ kinh doanh", "sử dụng", "miễn nhiệm",
    "bổ nhiệm", "chức danh", "nhiệm kỳ", "nhiệm vụ", "trọng tâm", "thời gian", "báo cáo", "kế hoạch",
    "chương trình", "đề án", "phương án", "quy hoạch", "quy định", "quyết định", "nghị quyết", "chỉ thị",
    "hướng dẫn", "thông báo", "kết luận", "cuộc họp", "kỳ họp", "hội nghị", "đăng ký", "nội dung", "góp ý",
    "ý kiến", "cung cấp", "dịch vụ", "viễn thông", "công ích", "cổ phần hóa", "cổ phần", "đổi tên", "giao dự toán",
    "sáu tháng", "đầu năm", "cuối năm", "định kỳ", "đột xuất",
    "phê duyệt", "điều chỉnh", "bổ sung kinh phí", "phân bổ", "thanh toán", "quyết toán", "giải ngân",
    "đất đai", "thu hồi đất", "bồi thường", "hỗ trợ", "tái định cư", "giải phóng mặt bằng", "xây dựng",
    "môi trường", "tài nguyên", "khoáng sản", "nông nghiệp", "nông thôn", "nông thôn mới", "lâm nghiệp",
    "thủy sản", "thủy lợi", "giáo dục", "đào tạo", "y tế", "văn hóa", "thể thao", "du lịch", "lao động",
    "việc làm", "thương binh", "người có công", "bảo hiểm xã hội", "bảo hiểm y tế", "an sinh xã hội",
    "giảm nghèo", "dân tộc", "tôn giáo", "thi đua", "khen thưởng", "kỷ luật", "cán bộ", "công chức",
    "viên chức", "người lao động", "biên chế", "tuyển dụng", "đánh giá", "xếp loại", "kiểm tra", "thanh tra",
    "giám sát", "kiểm toán", "phối hợp", "chủ trì", "tham mưu", "đôn đốc", "chỉ đạo", "điều hành",
    "trách nhiệm", "thẩm quyền", "theo dõi", "tổng hợp", "tiếp thu", "giải trình", "lấy ý kiến",
    "công văn", "văn bản", "hồ sơ", "thủ tục", "trình tự", "thời hạn", "kịp thời", "nghiêm túc", "đầy đủ",
    "hiệu quả", "chất lượng", "số lượng", "tiến độ", "công trình", "hạng mục", "gói thầu", "đấu thầu",
    "mua sắm", "tài sản công", "trụ sở", "làm việc", "đoàn công tác", "đoàn kiểm tra", "tổ chức thực hiện",
    "thành phố", "thị xã", "thị trấn",
    "ủy ban nhân dân", "hội đồng nhân dân", "chủ tịch", "phó chủ tịch", "thường trực", "văn phòng",
    "chính phủ", "thủ tướng", "thủ tướng chính phủ", "bộ trưởng", "thứ trưởng", "giám đốc", "phó giám đốc",
    "trưởng ban", "phó trưởng ban", "chánh văn phòng", "phó chánh văn phòng", "nội vụ", "tư pháp", "tài chính",
    "công thương", "khoa học", "công nghệ", "thông tin", "truyền thông", "đối với",
    "liên quan", "có liên quan", "trường hợp", "bản án", "tòa án", "vụ án", "lần hai", "lần đầu", "lần thứ",
    "cơ quan", "đơn vị", "địa phương", "người dân", "công dân", "nhân dân",
    "trung ương", "tổng công ty", "tổng cục", "tổng giám đốc", "phó tổng giám đốc", "tổng cục trưởng",
    "tập đoàn", "điện lực", "miền nam", "miền trung", "miền bắc", "dầu khí", "bưu chính", "hóa chất",
    "ban quản lý", "ban chỉ đạo", "đẩy mạnh", "kiểm định", "kiểm soát", "chấn chỉnh", "rà soát",
    "cải cách hành chính", "dịch vụ công", "trực tuyến", "an toàn thực phẩm", "phòng cháy", "chữa cháy",
    "làng nghề", "sản xuất", "tiêu thụ", "xuất khẩu", "nhập khẩu", "thương mại", "xúc tiến", "đầu tư công",
    "vốn đầu tư", "năm học", "học sinh", "sinh viên", "bệnh viện", "khám chữa bệnh", "tiêm chủng",
    "vệ sinh", "thực phẩm", "biến đổi khí hậu", "ô nhiễm", "rác thải", "chất thải", "nước sạch", "đô thị",
    "nhà ở", "nhà ở xã hội", "bất động sản", "quyền sử dụng đất", "giấy chứng nhận", "thành lập", "giải thể",
    "sắp xếp", "tinh gọn", "bộ máy", "tiền lương", "phụ cấp", "chế độ", "chính sách", "mục tiêu",
    "quốc gia", "giai đoạn", "định hướng", "ứng dụng", "công nghệ thông tin", "cơ sở dữ liệu",
    "an toàn thông tin", "phổ biến", "pháp luật", "tuyên truyền", "lễ hội", "di tích", "kỷ niệm",
    "cứu hộ", "cứu nạn", "trường học", "cơ sở", "vật chất", "trang thiết bị", "quản lý nhà nước",
    "thẩm định", "cấp phép", "giấy phép", "xử lý", "vi phạm", "hành vi", "xử phạt", "khắc phục",
    "hậu quả", "sự cố", "khẩn cấp", "ứng phó", "mưa lũ", "bão lũ", "hạn hán", "xâm nhập mặn",
    "bảo đảm", "đảm bảo", "bảo vệ", "kiểm lâm", "quản lý thị trường", "bảo tồn", "tổng kết", "sơ kết",
)

# Middle names that are no given name: a name ending in one lost its given name or misread it ("Vũ Quang Văn"
# for "Vũ Quang Vân").
MIDDLE_NAMES = ("Văn", "Thị")

# Words a trích yếu does not end with: each asks for what follows it ("… của", "… theo"); a subject ending in
# one was cut short.
# ("… nêu trên", "… thời gian đến" and "… tuyệt đối" end a phrase, so trên, đến and đối are not here.)
OPEN_ENDS = frozenset(("của", "và", "theo", "về", "tại", "cho", "với", "các", "những", "trong", "thuộc", "để", "từ"))
# Open ends that also start a place's name ("Từ Sơn"): capitalised inside a subject they need not open a sentence.
NAME_OPENERS = frozenset(("từ",))
# A legal document a subject cites ("theo Nghị định số 30/2020/NĐ-CP") carries its number.
CITED_TYPES = ("Nghị định", "Thông tư", "Nghị quyết", "Quyết định", "Chỉ thị", "Luật")

# Common given and middle names, the most frequent spelling of a folded form first: OCR's "Tuần" is put back
# as "Tuấn" (not "Tuân", rarer) only because "Tuần" is no name. A name OCR reads as another name ("Hiển" for
# "Hiền") cannot be told apart this way and is left as read.
GIVEN_NAMES = (
    "Văn", "Thị", "Hữu", "Đức", "Công", "Quang", "Minh", "Ngọc", "Thanh", "Hoàng", "Xuân", "Thu", "Hồng",
    "Kim", "Anh", "Tuấn", "Hùng", "Dũng", "Hải", "Hà", "Hiếu", "Hiền", "Hiển", "Hiệp", "Hoà", "Hòa", "Hương",
    "Huy", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Nghĩa", "Nhân", "Phong", "Phúc",
    "Phước", "Phương", "Quân", "Quốc", "Sơn", "Tâm", "Tân", "Thắng", "Thành", "Thảo", "Thọ", "Thông", "Thủy",
    "Tiến", "Toàn", "Trang", "Trí", "Trung", "Trường", "Tú", "Tùng", "Việt", "Vinh", "Vũ", "Yến", "Bình",
    "Cường", "Chính", "Châu", "Đạt", "Điệp", "Định", "Đông", "Giang", "Hạnh", "Hào", "Hậu", "Học", "Hưng",
    "Kiên", "Lâm", "Lộc", "Lợi", "Luân", "Mạnh", "Ninh", "Phát", "Quý", "Sang", "Sĩ", "Tài", "Thái", "Thiện",
    "Thịnh", "Thuận", "Tín", "Trọng", "Tường", "Uyên", "Vân", "Vy", "Quỳnh", "Diệu", "Bảo", "Gia", "Đình",
    "Tấn", "Thế", "Trần", "Phạm", "Võ", "Lê", "Hoa", "Huệ", "Loan", "Nhung", "Oanh", "Phượng", "Tuyết",
    "Căng", "Phiên", "Tô", "Sỹ", "Duy", "Bá", "Tuân", "Hiên",
)
