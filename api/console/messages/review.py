"""The handlers' review queue."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "review_queue": {"zh": "待复核留言", "en": "Review queue"},
    "review_intro": {
        "zh": "按数字键选择领域，按字母键勾选维度，回车确认。置信度最低的留言排在最前。",
        "en": "Press a digit to pick the area, a letter to toggle a dimension, Enter to confirm. "
        "Least confident messages come first.",
    },
    "count_auto": {"zh": "自动标注", "en": "Auto-tagged"},
    "count_pending": {"zh": "待复核", "en": "Waiting for review"},
    "count_reviewed": {"zh": "已复核", "en": "Reviewed"},
    "queue_empty": {"zh": "没有待复核的留言。", "en": "No messages wait for review."},
    "message": {"zh": "留言内容（已脱敏）", "en": "Message (personal data masked)"},
    "confidence": {"zh": "置信度", "en": "Confidence"},
    "area": {"zh": "服务领域", "en": "Service area"},
    "dimensions": {"zh": "服务维度", "en": "Service dimensions"},
    "suggested": {"zh": "模型建议", "en": "suggested"},
    "confirm": {"zh": "确认（回车）", "en": "Confirm (Enter)"},
    "saved_confirmed": {"zh": "已确认：{id}", "en": "Confirmed: {id}"},
    "saved_corrected": {"zh": "已更正：{id}", "en": "Corrected: {id}"},
    "next_in_queue": {"zh": "后续留言", "en": "Next in the queue"},
    "received": {"zh": "接收时间", "en": "Received"},
    "channel": {"zh": "渠道", "en": "Channel"},
}
