"""The administrators' audit trail."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "audit_title": {"zh": "操作记录", "en": "Audit trail"},
    "audit_user": {"zh": "用户", "en": "User"},
    "audit_action": {"zh": "操作", "en": "Action"},
    "audit_item_type": {"zh": "对象类型", "en": "Item type"},
    "audit_item_id": {"zh": "对象编号", "en": "Item id"},
    "audit_item": {"zh": "对象", "en": "Item"},
    "audit_total": {"zh": "共 {n} 条记录，由新到旧排列。", "en": "{n} entries, newest first."},
    "audit_none": {"zh": "没有符合条件的记录。", "en": "No entries match."},
    "audit_err_value": {"zh": "筛选条件 {name} 的值“{value}”不存在。", "en": "No entry has {name} “{value}”."},
}
