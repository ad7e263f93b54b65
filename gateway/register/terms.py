"""The register's closed vocabularies (plain strings, as stored): registers, assignment roles and states, outbox
states, user roles. Free of SQLAlchemy, so the stages and the web can name them."""

from __future__ import annotations

MAIN_REGISTER = "den"
SECRET_REGISTER = "den-mat"

ROLE_LEAD = "lead"  # chủ trì
ROLE_COOPERATE = "cooperate"  # phối hợp
ROLE_INFORM = "inform"  # để biết
ASSIGNMENT_PROPOSED = "proposed"  # đề xuất theo luật phân phối, chờ ý kiến chỉ đạo của lãnh đạo
ASSIGNMENT_NEW = "new"  # chưa xử lý
ASSIGNMENT_IN_PROGRESS = "in_progress"  # đang xử lý
ASSIGNMENT_DONE = "done"  # hoàn thành

OUTBOX_QUEUED = "queued"
OUTBOX_SENDING = "sending"
OUTBOX_SENT = "sent"
OUTBOX_FAILED = "failed"

ROLE_ADMIN = "admin"
ROLE_VAN_THU = "van_thu"  # văn thư: registers, corrects, assigns
ROLE_LANH_DAO = "lanh_dao"  # lãnh đạo: reads everything (secret only when allowed)
ROLE_CHUYEN_VIEN = "chuyen_vien"  # chuyên viên of one unit: sees and handles that unit's documents
USER_ROLES = (ROLE_ADMIN, ROLE_VAN_THU, ROLE_LANH_DAO, ROLE_CHUYEN_VIEN)

# What became of a registered document (documents.status); each keeps its số đến.
REGISTERED = "registered"
HANDLED = "handled"  # đã xử lý xong
RETURNED = "returned"  # trả lại: sent back to its sender (wrong recipient, failed checks)
RECALLED = "recalled"  # thu hồi by its sender: files and fields removed, shown "đã thu hồi"
