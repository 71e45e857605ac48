"""Short articles written for the judging tests (ours, not copied from any outlet), and a StoredArticle builder.

One paragraph a line, as extraction gives them, hence the long lines.
"""

# ruff: noqa: E501

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.judge.types import StoredArticle

T0 = datetime(2025, 1, 28, 9, 0, tzinfo=UTC)

R1_EN_TITLE = "DeepSeek releases R1 reasoning model under MIT licence"
R1_EN = """DeepSeek released its R1 reasoning model on 20 January and published the weights on Hugging Face under the MIT licence.
The company says R1 matches OpenAI's o1 on maths, code and reasoning benchmarks such as AIME 2024 and MATH-500.
R1 scored 79.8% on AIME 2024 and 97.3% on MATH-500, according to the technical report posted on GitHub.
Its API costs US$0.55 per million input tokens and US$2.19 per million output tokens, about 3% of what OpenAI charges for o1.
The model is built on DeepSeek-V3, a mixture-of-experts model with 671 billion parameters, of which 37 billion are active for each token.
DeepSeek said V3 was trained on 2,048 Nvidia H800 GPUs in about two months at a cost of US$5.576 million.
Founder Liang Wenfeng also runs the quantitative fund High-Flyer, which backs the lab from Hangzhou."""

R1_ZH_TITLE = "DeepSeek 以 MIT 许可证发布推理模型 R1"
R1_ZH = """DeepSeek 于 1 月 20 日发布推理模型 R1，并以 MIT 许可证在 Hugging Face 上公开权重。
公司称，R1 在 AIME 2024、MATH-500 等数学、代码和推理基准上与 OpenAI 的 o1 相当。
根据发布在 GitHub 上的技术报告，R1 在 AIME 2024 上得分 79.8%，在 MATH-500 上得分 97.3%。
其 API 价格为每百万输入 token 0.55 美元、每百万输出 token 2.19 美元，约为 OpenAI o1 价格的 3%。
该模型基于 DeepSeek-V3，这是一个拥有 6710 亿参数的混合专家模型，每个 token 激活其中 370 亿参数。
DeepSeek 表示，V3 使用 2048 块英伟达 H800 GPU 训练约两个月，成本为 557.6 万美元。
创始人梁文锋同时经营量化基金幻方（High-Flyer），该基金从杭州为实验室提供资金。"""

MARKET_ZH_TITLE = "DeepSeek 登顶美国 App Store，英伟达市值单日蒸发近 6000 亿美元"
MARKET_ZH = """受 DeepSeek 推理模型 R1 走红影响，英伟达股价 1 月 27 日下跌 17%，市值蒸发约 5890 亿美元，创美股单日最大跌幅纪录。
DeepSeek 应用当天登上美国 App Store 免费榜第一，超过 OpenAI 的 ChatGPT。
分析人士指出，DeepSeek 称其 V3 模型训练成本不到 600 万美元，引发市场对 AI 资本开支的担忧。
博通、台积电和 ASML 股价也随之下挫，纳斯达克指数收跌 3.1%。
微软 CEO Satya Nadella 在达沃斯表示，应当非常认真地对待中国的这些进展。
英伟达回应称，DeepSeek 是一项出色的 AI 进展，推理仍需要大量英伟达 GPU。"""

ITALY_TITLE = "Italy's privacy watchdog blocks DeepSeek over data concerns"
ITALY = """Italy's data protection authority, the Garante, ordered DeepSeek on 30 January to stop processing the personal data of Italian users, with immediate effect.
The watchdog said the answers Hangzhou DeepSeek Artificial Intelligence and Beijing DeepSeek Artificial Intelligence gave to its questions were entirely insufficient.
The Garante had asked on 28 January which personal data the chatbot collects, from which sources, for what purposes and whether it is stored on servers in China.
DeepSeek told the authority that it does not operate in Italy and that European law does not apply to it, according to the statement.
The app had climbed to the top of Apple's App Store in Italy in the days before the order, after its R1 reasoning model drew attention worldwide.
Ireland's Data Protection Commission has also written to DeepSeek asking how it handles the data of Irish users."""

ITALY_REWRITE_TITLE = "DeepSeek blocked in Italy as Garante cites data protection failures"
ITALY_REWRITE = """With immediate effect, DeepSeek must stop processing personal data of Italian users, the Garante ordered on 30 January.
Answers given by Hangzhou DeepSeek Artificial Intelligence and Beijing DeepSeek Artificial Intelligence to the watchdog's questions were insufficient, the regulator said.
On 28 January the Garante asked the chatbot's makers which personal data they collect, from which sources and for what purposes, and whether data is stored on servers in China.
According to the statement, DeepSeek replied that European law does not apply to it because it does not operate in Italy.
After its R1 reasoning model drew attention worldwide, the app had climbed to the top of Apple's App Store in Italy in the days before the order."""

ITALY_NEWS_TITLE = "Garante opens DeepSeek investigation as app vanishes from Italian stores"
ITALY_NEWS = """The Garante opened a formal investigation into DeepSeek on 31 January, a day after blocking the chatbot in Italy.
By Thursday evening the DeepSeek app could no longer be downloaded from Apple's App Store or Google Play in Italy.
Euroconsumers, which filed the original complaint, said 45 million members across five countries could be affected.
A spokesperson for the Italian authority said the company has 20 days to respond to the investigation.
The Dutch privacy regulator Autoriteit Persoonsgegevens announced a separate inquiry into DeepSeek's data collection.
Belgium's consumer group Test-Achats lodged its own complaint with the national data protection authority."""

KOREA_TITLE = "South Korea suspends new downloads of DeepSeek"
KOREA = """South Korea's Personal Information Protection Commission said on 17 February that DeepSeek's app was removed from local app stores on Saturday at 6 pm.
The service will resume once the company improves its handling of personal data under Korea's Personal Information Protection Act, the commission said.
Users who already downloaded the app can keep using it, but the regulator advised them to be careful with their personal information.
The commission sent DeepSeek a letter on 31 January asking about the department responsible for user data, the items collected and their purposes.
DeepSeek replied on 14 February and admitted it had not fully considered Korean privacy law when launching its global service."""

KOREA_ZH_TITLE = "韩国暂停 DeepSeek 应用下载"
KOREA_ZH = """韩国个人信息保护委员会 2 月 17 日表示，DeepSeek 应用已于 15 日下午 6 时起在韩国应用商店下架，暂停新的下载。
委员会称，待该公司依照韩国《个人信息保护法》改进个人信息处理方式后，服务才会恢复。
已经下载的用户仍可继续使用，但监管机构提醒用户注意个人信息安全。
委员会曾于 1 月 31 日向 DeepSeek 发函，询问负责用户数据的部门、收集项目和目的等问题。
DeepSeek 于 2 月 14 日回函，承认在推出全球服务时对韩国相关法律考虑不周。"""

KOREA_ZH2_TITLE = "DeepSeek 在韩国被下架：个人信息保护委员会要求整改"
KOREA_ZH2 = """因个人信息处理方式存在争议，DeepSeek 应用 2 月 15 日起在韩国应用商店下架。
韩国个人信息保护委员会 17 日说明，DeepSeek 须按照《个人信息保护法》完成整改，之后才能恢复下载。
委员会提醒，已经安装应用的用户可以继续使用，但要注意个人信息安全。
据悉，委员会 1 月 31 日曾向 DeepSeek 总部发函质询，DeepSeek 在 2 月 14 日的回函中承认考虑不周。"""

ITALY_ZH_TITLE = "意大利数据保护机构封锁 DeepSeek"
ITALY_ZH = """意大利数据保护机构 Garante 1 月 30 日下令 DeepSeek 立即停止处理意大利用户的个人数据。
Garante 表示，杭州和北京两家 DeepSeek 公司对其问询的答复完全不足。
该机构 1 月 28 日曾询问聊天机器人收集哪些个人数据、数据来源和用途，以及数据是否存储在中国的服务器上。
DeepSeek 回复称其不在意大利运营，欧洲法律不适用于该公司。"""

FOOTER = """Subscribe to the Daily Byte newsletter for the day's technology news in your inbox every morning.
The Daily Byte is an independent publication; all rights reserved, reproduction without permission is prohibited.
Follow us on social media and share this story with your friends, colleagues and family members today.
Advertise with us: reach a million technology readers every month with sponsored posts and newsletter slots.
Read more: our complete coverage of artificial intelligence, semiconductors, start-ups and venture capital."""


def doc(
    key: int,
    text: str,
    title: str = "",
    *,
    outlet: str = "outlet",
    lang: str = "en",
    hours: float = 0.0,
    relevant: bool = True,
    url: str = "",
) -> StoredArticle:
    """An article at `hours` after T0."""
    when = T0 + timedelta(hours=hours)
    return StoredArticle(
        key=key,
        url=url or f"https://{outlet.replace(' ', '-').lower()}.example/{key}",
        outlet=outlet,
        title=title,
        text=text,
        lang=lang,
        fetched=when,
        published=when,
        relevant=relevant,
    )
