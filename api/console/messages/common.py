"""Labels every page shares: the frame, sign-in, roles, error pages."""

from __future__ import annotations

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
    "nav_alerts": {"zh": "预警收件箱", "en": "Alert inbox"},
    "nav_targets": {"zh": "目标红黄绿", "en": "Targets"},
    "nav_forecasts": {"zh": "需求预测", "en": "Forecasts"},
    "nav_compare": {"zh": "多维对比", "en": "Comparison"},
    "nav_review": {"zh": "待复核留言", "en": "Review queue"},
    "nav_reports": {"zh": "绩效报告", "en": "Reports"},
    "nav_audit": {"zh": "操作记录", "en": "Audit trail"},
    "role_supervisor": {"zh": "督查人员", "en": "Supervisor"},
    "role_analyst": {"zh": "政策分析员", "en": "Policy analyst"},
    "role_handler": {"zh": "诉求办理人员", "en": "Complaint handler"},
    "role_admin": {"zh": "管理员", "en": "Administrator"},
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
