"""Every label of the console in Chinese (the default) and English."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"zh": "绩效智能服务控制台", "en": "govperf console"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "username": {"zh": "用户名", "en": "User name"},
    "password": {"zh": "密码", "en": "Password"},
    "bad_login": {"zh": "用户名或密码不正确。", "en": "The user name or password is not right."},
    "signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "home": {"zh": "首页", "en": "Home"},
    "welcome": {"zh": "欢迎，{name}", "en": "Welcome, {name}"},
    "your_role": {"zh": "您的角色：{role}", "en": "Your role: {role}"},
    "no_pages_yet": {
        "zh": "您的角色暂无可用页面，后续版本将陆续提供。",
        "en": "There are no pages for your role yet; they come in a later release.",
    },
    "role_supervisor": {"zh": "督查人员", "en": "Supervisor"},
    "role_analyst": {"zh": "政策分析员", "en": "Policy analyst"},
    "role_handler": {"zh": "诉求办理人员", "en": "Complaint handler"},
    "role_admin": {"zh": "管理员", "en": "Administrator"},
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
    "language": {"zh": "语言", "en": "Language"},
    "error_title": {"zh": "出错了", "en": "Something went wrong"},
    "back_home": {"zh": "返回首页", "en": "Back to the console"},
    "err_403": {"zh": "您没有权限访问此页面或执行此操作。", "en": "You may not open this page or do this."},
    "err_csrf": {
        "zh": "表单已过期或来源无效，请返回后重试。",
        "en": "The form has expired or did not come from this console; go back and try again.",
    },
    "err_404": {"zh": "找不到该页面或留言。", "en": "This page or message does not exist."},
    "err_422": {"zh": "提交的标签无效：{detail}", "en": "The tags sent are not valid: {detail}"},
    "err_503": {
        "zh": "留言分类模型尚未加载，请稍后再试。",
        "en": "The feedback model is not loaded yet; try again later.",
    },
}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang`` (the key itself if unknown, so a gap is visible)."""
    lang = lang if lang in LANGS else DEFAULT_LANG

    def t(key: str, **values: object) -> str:
        text = MESSAGES.get(key, {}).get(lang, key)
        return text.format(**values) if values else text

    return t
