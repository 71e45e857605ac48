"""Numbers in Chinese and English news text, normalised and compared."""

from __future__ import annotations

import pytest

from crawler.judge.numbers import Quantity, cn_to_float, compare, extract_quantities, parse_quantity


def only(text: str) -> Quantity:
    found = extract_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("融资5000亿美元", 5e11, "USD"),
        ("a fund of US$500 billion", 5e11, "USD"),
        ("a $500B plan", 5e11, "USD"),
        ("it cost $5.58M", 5.58e6, "USD"),
        ("成本为558万美元", 5.58e6, "USD"),
        ("roughly 5.6 million dollars", 5.6e6, "USD"),
        ("用了六百万美元", 6e6, "USD"),
        ("USD 6 million", 6e6, "USD"),
        ("市值蒸发4.3万亿元", 4.3e12, "CNY"),
        ("投资5,000億美元", 5e11, "USD"),
        ("每次仅收1.4美分", 0.014, "USD"),
        ("a £ free $1.5bn round", 1.5e9, "USD"),
        ("售价１２０００元", 12000, "CNY"),
        ("RMB 30 million", 3e7, "CNY"),
        ("a $500-billion plan", 5e11, "USD"),
        ("the 500-billion-dollar project", 5e11, "USD"),
    ],
)
def test_money_is_normalised_to_an_amount_in_its_currency(text: str, value: float, unit: str) -> None:
    quantity = only(text)
    assert quantity.kind == "money"
    assert quantity.unit == unit
    assert quantity.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("两千片低端GPU", 2000, "gpu"),
        ("trained on 2,048 H800s", 2048, "gpu"),
        ("used 2,000 Nvidia H800 GPUs", 2000, "gpu"),
        ("他们有 5 万张 H100", 50000, "gpu"),
        ("一万张A100", 10000, "gpu"),
        ("6710亿参数", 6.71e11, "parameter"),
        ("took 55 days", 55, "day"),
        ("便宜了50倍", 50, "times"),
        ("３０００块芯片", 3000, "gpu"),
        ("招了一百五十名员工", 150, "people"),
    ],
)
def test_counts_take_their_unit_from_the_noun_that_follows(text: str, value: float, unit: str) -> None:
    quantity = only(text)
    assert (quantity.kind, quantity.value, quantity.unit) == ("count", value, unit)


@pytest.mark.parametrize(
    ("text", "approx", "bound"),
    [
        ("约2000块GPU", True, None),
        ("about 2,000 GPUs", True, None),
        ("nearly $6 million", True, "upper"),
        ("不到600万美元", False, "upper"),
        ("under US$6 million", False, "upper"),
        ("up to $500 billion", False, "upper"),
        ("more than $1 billion", False, "lower"),
        ("超过1万块GPU", False, "lower"),
        ("2000多块GPU", True, "lower"),
        ("600万美元左右", True, None),
        ("立即部署1000亿美元", False, "part"),
        ("an initial $100 billion", False, "part"),
        ("exactly 2,048 GPUs", False, None),
    ],
)
def test_words_around_a_number_say_how_exact_it_is(text: str, approx: bool, bound: str | None) -> None:
    quantity = only(text)
    assert (quantity.approx, quantity.bound) == (approx, bound)


def test_ranges_share_the_unit_written_once() -> None:
    gpus = only("使用了2000～3000块H800")
    assert (gpus.value, gpus.high, gpus.unit, gpus.bound) == (2000, 3000, "gpu", "range")
    money = only("成本约1至2亿美元")
    assert (money.value, money.high, money.unit) == (1e8, 2e8, "USD")
    english = only("between 100,000 and 1 million US dollars")
    assert (english.value, english.high) == (1e5, 1e6)
    dashed = only("$10-15 million")
    assert (dashed.value, dashed.high, dashed.unit) == (1e7, 1.5e7, "USD")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("股价下跌17%", 17),
        ("fell 16.97 percent", 16.97),
        ("下降了百分之十七", 17),
        ("up 8.14 per cent", 8.14),
    ],
)
def test_percentages(text: str, value: float) -> None:
    quantity = only(text)
    assert (quantity.kind, quantity.unit, quantity.value) == ("percent", "%", pytest.approx(value))


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025年1月20日发布", "2025-01-20"),
        ("released on 20 January 2025", "2025-01-20"),
        ("on January 20, 2025,", "2025-01-20"),
        ("since Jan. 20", "--01-20"),
        ("1 月 20 日晚", "--01-20"),
        ("１月２０日", "--01-20"),
        ("2025-02-06", "2025-02-06"),
        ("2月6号", "--02-06"),
    ],
)
def test_dates_become_iso(text: str, iso: str) -> None:
    quantity = only(text)
    assert quantity.kind == "date"
    assert quantity.iso == iso


def test_a_year_is_inferred_from_an_earlier_date_or_the_default() -> None:
    text = "2025年1月20日模型发布，1月27日股价大跌，第二天也就是28日反弹"
    assert [q.iso for q in extract_quantities(text)] == ["2025-01-20", "2025-01-27", "2025-01-28"]
    assert [q.iso for q in extract_quantities("Jan. 21 was busy", default_year=2025)] == ["2025-01-21"]


def test_offsets_point_into_the_original_text() -> None:
    text = "据报道，ＤｅｅｐＳｅｅｋ用了２０４８块Ｈ８００，成本约558万美元。"
    for quantity in extract_quantities(text):
        assert text[quantity.start : quantity.end] == quantity.text
    assert [q.value for q in extract_quantities(text)] == [2048, 5.58e6]


@pytest.mark.parametrize(
    "text",
    [
        "DeepSeek-R1 beats GPT-4o and o3-mini",
        "百度和千问都降价",
        "我十分肯定",
        "万一失败",
        "H800 chips",
        "1月，特朗普宣布",
    ],
)
def test_names_and_words_are_not_numbers(text: str) -> None:
    assert [q for q in extract_quantities(text) if q.kind != "year"] == []


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("两千", 2000),
        ("五千亿", 5e11),
        ("一万", 1e4),
        ("六百万", 6e6),
        ("三十", 30),
        ("十五", 15),
        ("4.3万亿", 4.3e12),
    ],
)
def test_chinese_numerals(raw: str, value: float) -> None:
    assert cn_to_float(raw) == pytest.approx(value)


@pytest.mark.parametrize(
    ("asserted", "found", "verdict"),
    [
        ("5000亿美元", "US$500 billion", "agree"),
        ("558万美元", "US$5.58 million", "agree"),
        ("约2000块GPU", "2,048 H800s", "agree"),
        ("约2000块GPU", "50,000 H100s", "conflict"),
        ("约2000块GPU", "一万张A100", "conflict"),
        ("约2000块GPU", "2000～3000块H800", "agree"),
        ("不到600万美元", "US$5.576 million", "agree"),
        ("under US$6 million", "557.6万美元", "agree"),
        ("不到600万美元", "近600万美元", "agree"),
        ("不到600万美元", "in excess of $1 billion", "conflict"),
        ("不到600万美元", "25.73亿美元", "conflict"),
        ("不到600万美元", "4000万元", "agree"),
        ("5000亿美元", "$100 billion", "conflict"),
        ("5000亿美元", "立即部署1000亿美元", "unrelated"),
        ("5000亿美元", "up to $500 billion", "agree"),
        ("5000亿美元", "3.6万亿元", "agree"),
        ("1月20日", "January 20, 2025", "agree"),
        ("2025年1月20日", "Jan. 21", "conflict"),
        ("约2000块GPU", "$2,000", "unrelated"),
        ("约2000块GPU", "2000 parameters", "unrelated"),
        ("17%", "16.97%", "agree"),
        ("17%", "8%", "conflict"),
    ],
)
def test_compare_across_languages_units_and_bounds(asserted: str, found: str, verdict: str) -> None:
    assert compare(parse_quantity(asserted), parse_quantity(found)) == verdict


def test_parse_quantity_refuses_text_without_a_number() -> None:
    with pytest.raises(ValueError, match="no number"):
        parse_quantity("nothing here")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("5.6百万美元", 5.6e6, "USD"),
        ("5千亿美元", 5e11, "USD"),
        ("1千万元", 1e7, "CNY"),
        ("It cost six million dollars.", 6e6, "USD"),
        ("half a trillion dollars", 5e11, "USD"),
        ("five hundred billion dollars", 5e11, "USD"),
        ("two thousand GPUs", 2000, "gpu"),
    ],
)
def test_compound_chinese_magnitudes_and_english_number_words(text: str, value: float, unit: str) -> None:
    found = only(text)
    assert (found.value, found.unit) == (pytest.approx(value), unit)
    assert text[found.start : found.end] == found.text  # offsets still index the original text


def test_a_number_word_without_a_magnitude_is_no_quantity() -> None:
    assert extract_quantities("one of the million users") == []


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("the full training of V3 took 2.788mn GPU hours on Nvidia H800 chips", "gpu_hours"),
        ("V3 训练共耗费 278.8 万 H800 GPU 小时", "gpu_hours"),
        ("2788千卡时", "gpu_hours"),
        ("trained on 2,048 H800 GPUs", "gpu"),
        ("2048块H800", "gpu"),
    ],
)
def test_gpu_hours_are_time_on_gpus_not_gpus(text: str, unit: str) -> None:
    (found,) = extract_quantities(text)
    assert found.kind == "count" and found.unit == unit
