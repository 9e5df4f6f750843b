"""The analysts' forecast explorer."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "fc_title": {"zh": "需求预测", "en": "Demand forecasts"},
    "fc_intro": {
        "zh": "选择一个序列，查看历史与预测（含80%和95%预测区间）。预测由服务存储，页面不会另行计算。",
        "en": "Pick a series to see its history and forecast with 80 % and 95 % intervals. "
        "Forecasts are the stored ones; this page computes none of its own.",
    },
    "fc_pick": {"zh": "序列", "en": "Series"},
    "fc_show": {"zh": "查看", "en": "Show"},
    "fc_store_sample": {"zh": "示例城市需求预测", "en": "Sample-city demand forecasts"},
    "fc_store_run": {"zh": "预测批次 {run}", "en": "Forecast run {run}"},
    "fc_none_stored": {
        "zh": "尚未存储任何预测。持评分核心（scoring_core）API 密钥者可调用 POST /v1/admin/sample-city/forecasts（或 POST /v1/admin/sample-city 加载示例城市）"
        "生成示例城市的需求预测；分析人员可用 POST /v1/forecast-runs 预测并存储自己的序列及其层级。",
        "en": "No forecasts are stored yet. The scoring-core API key creates the sample city's demand forecasts with "
        "POST /v1/admin/sample-city/forecasts (or loads the sample city, forecasts included, with POST /v1/admin/sample-city); "
        "analysts forecast and store their own series and hierarchy with POST /v1/forecast-runs.",
    },
    "fc_none_stored_short": {"zh": "尚未存储任何预测。", "en": "No forecasts are stored yet."},
    "fc_model_version": {"zh": "模型版本", "en": "Model version"},
    "fc_cutoff": {"zh": "预测起点（历史截止）", "en": "Cutoff (last day of history)"},
    "fc_horizon": {"zh": "预测期数", "en": "Horizon"},
    "fc_horizon_value": {"zh": "{h} 期", "en": "{h} periods"},
    "fc_stored_at": {"zh": "存储时间", "en": "Stored"},
    "fc_reconciliation": {"zh": "层级调和", "en": "Reconciliation"},
    "fc_history_source": {"zh": "历史数据来源", "en": "History shown"},
    "fc_source_stored": {"zh": "服务存储的观测值", "en": "observations stored by the service"},
    "fc_source_sample": {"zh": "示例城市的需求序列", "en": "the sample city's demand series"},
    "fc_source_none": {
        "zh": "无（服务未存储该序列截至预测起点的历史）",
        "en": "none (the service stores no history of this series up to the cutoff)",
    },
    "fc_accuracy": {"zh": "回测精度（模型训练时的滚动回测）", "en": "Backtest accuracy (rolling-origin backtest at training)"},
    "fc_accuracy_missing": {
        "zh": "这些预测由 {version} 生成，当前加载的预测模型不是该版本，因此无法显示其回测精度。",
        "en": "These forecasts were made by {version}, which is not the forecast model loaded now, "
        "so its backtest accuracy is not at hand.",
    },
    "fc_metric_mase": {"zh": "MASE（越低越好，<1 优于季节性朴素预测）", "en": "MASE (lower is better; < 1 beats the seasonal naive)"},
    "fc_metric_smape": {"zh": "sMAPE（%）", "en": "sMAPE (%)"},
    "fc_metric_coverage80": {"zh": "80% 区间实际覆盖率", "en": "Coverage of the 80 % interval"},
    "fc_metric_coverage95": {"zh": "95% 区间实际覆盖率", "en": "Coverage of the 95 % interval"},
    "fc_multiples": {"zh": "各区对比与全市合计", "en": "Districts side by side and the city total"},
    "fc_coherent": {
        "zh": "{n} 个区的预测之和与全市合计预测的最大差距为 {gap}%（经调和后各区相加等于全市）。",
        "en": "The {n} districts' forecasts add up to the city total within {gap} % (reconciled).",
    },
    "fc_incoherent": {
        "zh": "{n} 个区的预测之和与全市合计预测的最大差距为 {gap}%：各区相加不等于全市，预测未经调和。",
        "en": "The {n} districts' forecasts differ from the city total by up to {gap} %: they do not add up "
        "(not reconciled).",
    },
    "fc_table": {"zh": "预测值", "en": "Forecast values"},
    "fc_download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "fc_download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "fc_col_date": {"zh": "日期", "en": "Date"},
    "fc_col_mean": {"zh": "预测值", "en": "Forecast"},
    "fc_col_lo80": {"zh": "80%区间下限", "en": "80 % low"},
    "fc_col_hi80": {"zh": "80%区间上限", "en": "80 % high"},
    "fc_col_lo95": {"zh": "95%区间下限", "en": "95 % low"},
    "fc_col_hi95": {"zh": "95%区间上限", "en": "95 % high"},
    "fc_sheet": {"zh": "预测", "en": "forecast"},
    "fc_legend_history": {"zh": "实际值", "en": "observed"},
    "fc_legend_forecast": {"zh": "预测", "en": "forecast"},
    "fc_legend_fan80": {"zh": "80%区间", "en": "80 % interval"},
    "fc_legend_fan95": {"zh": "95%区间", "en": "95 % interval"},
    "fc_err_unknown_series": {"zh": "没有存储序列 {series} 的预测。", "en": "No forecast is stored for series {series}."},
    "fc_err_unknown_run": {"zh": "预测批次 {run} 不存在。", "en": "There is no forecast run {run}."},
    "fc_err_unknown_format": {"zh": "不支持下载格式 {fmt}（可用 csv 或 xlsx）。", "en": "No download as {fmt} (csv or xlsx)."},
    "back_to_previous_page": {"zh": "返回上一页面", "en": "Back to the page"},
}
