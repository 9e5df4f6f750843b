import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback import TfidfFeedbackClassifier, load_taxonomy, mask_pii


@pytest.mark.parametrize(
    "text, token, secret",
    [
        ("我的电话13812345678，请回电", "[PHONE]", "13812345678"),
        ("身份证号430102199001011234办理", "[ID_CARD]", "430102199001011234"),
        ("身份证43010219900101123X", "[ID_CARD]", "43010219900101123X"),
        ("mail me at li.lei@example.com please", "[EMAIL]", "li.lei@example.com"),
        ("座机0731-84561234没人接", "[PHONE]", "84561234"),
        ("我叫王小明，住在东湖区", "[NAME]", "王小明"),
        ("My name is John Smith and I live here", "[NAME]", "John Smith"),
        ("银行卡6222021234567890123被扣款", "[BANK_CARD]", "6222021234567890123"),
        ("车牌湘A12345被贴条", "[PLATE]", "湘A12345"),
        ("我的微信号：zw_hotline88，请联系", "[WECHAT]", "zw_hotline88"),
        ("add me on WeChat: weizhang_1990", "[WECHAT]", "weizhang_1990"),
        ("转账给wxid_ab12cd34ef了", "[WECHAT]", "wxid_ab12cd34ef"),
        ("QQ号：987654321，随时联系", "[QQ]", "987654321"),
    ],
)
def test_mask_pii(text, token, secret):
    masked = mask_pii(text)
    assert token in masked and secret not in masked


def test_mask_keeps_ordinary_numbers():
    assert mask_pii("等了3个月，2024年反映过12次") == "等了3个月，2024年反映过12次"


def test_taxonomy_loads():
    tax = load_taxonomy()
    assert len(tax.areas) == 7 and "fees" in tax.dimensions
    assert tax.area_name("transport") == "交通运输"


def corpus():
    rows = []
    for i in range(12):
        rows.append({"text": f"公交车{i}路晚点严重，司机态度差", "area": "transport", "dimensions": "timeliness;attitude"})
        rows.append({"text": f"学校{i}年级乱收补课费", "area": "education_culture_sports", "dimensions": "fees"})
        rows.append({"text": f"小区{i}号楼旁工地夜间施工噪音扰民", "area": "environment", "dimensions": "outcome_quality"})
    return pd.DataFrame(rows)


def test_classifier_fit_classify():
    model = TfidfFeedbackClassifier().fit(corpus())
    out = model.classify(pd.DataFrame({"message_id": ["m1"], "text": ["3路公交车又晚点了，电话13812345678"]}))
    row = out.iloc[0]
    assert row["area"] == "transport"
    assert 0 <= row["area_confidence"] <= 1
    assert abs(sum(row["area_probabilities"].values()) - 1) < 1e-6
    assert "timeliness" in row["dimensions"]
    assert row["needs_review"] in (True, False)


def test_classifier_needs_two_areas():
    with pytest.raises(DataContractError, match="two service areas"):
        TfidfFeedbackClassifier().fit(pd.DataFrame({"text": ["a", "b"], "area": ["x", "x"]}))


def test_a_message_in_a_script_the_model_never_saw_goes_to_review_with_no_confidence():
    from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier, unknown_language

    assert unknown_language("Автобус двенадцать опаздывает каждое утро")
    assert unknown_language("الحافلة تتأخر كل صباح")
    assert not unknown_language("公交12路每天早上都晚点，司机态度差")
    assert not unknown_language("The bus route 12 is late every morning")
    assert not unknown_language("12345 !!! 😀")  # no letters: nothing to judge
    assert not unknown_language("小区停车难 parking 😀 <b>急</b>")
    train = pd.DataFrame({
        "text": ["公交车晚点", "地铁太挤", "医院排队久", "看病难挂号难", "学校收费乱", "孩子上学远"] * 4,
        "area": ["transport", "transport", "health", "health", "education", "education"] * 4,
    })
    model = TfidfFeedbackClassifier().fit(train)
    out = model.classify(pd.DataFrame({"text": ["公交车晚点", "Автобус опаздывает каждое утро"]}), review_threshold=0.0)
    assert out.area_confidence.iloc[1] <= 1 / 3 + 1e-9
    assert bool(out.needs_review.iloc[1]) and out.area.iloc[1] in {"transport", "health", "education"}
