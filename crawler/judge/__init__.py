"""Judgement: pure functions over text, numbers and dataclasses; nothing here does I/O.

- `text`: normalising, hashing, language, sentences
- `canonical`: canonical URLs
- `relevance`: is an article about a watched topic
- `dedup`: exact and near-duplicate texts (MinHash + LSH), outlet boilerplate
- `stories`: articles about the same event
- `numbers`: amounts, counts and dates in Chinese and English, normalised
- `claims`: which seed claims an article supports, disputes or mentions
- `novelty`: the share of an article that is new
- `core`: `Judge`, which applies all of them to one article at a time

Scrapy pipelines, `seedwatch rejudge`, the bot and the CLI are thin adapters around these.
"""
